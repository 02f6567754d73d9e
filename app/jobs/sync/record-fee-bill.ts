/**
 * Xendit's monthly invoice for the fees of a merchant whose fees are billed, not taken from each
 * payment (docs.xendit.co "Your invoice", "Billing report"), goes into Xero as one bill (ACCPAY,
 * AUTHORISED) from the contact "Xendit", dated the last day of the billing month, so the fee
 * expense of that month is in the books and the bill waits in accounts payable for the merchant's
 * bank payment to Xendit. Two lines on the fee account: the fees, and the VAT Xendit charged on
 * them, both without a Xero tax rate (any organisation's rates accept that; the merchant may move
 * the VAT line to their input-tax account). Exactly once like every booking: the row is made when
 * the report is confirmed, the attempt is marked before the bill is sent, and the bill is looked up
 * by its number (`Xendit fees <YYYY-MM> <currency>`) only after an unknown outcome or when the job
 * was queued again (send-once.ts).
 */
import { bookableDate, refusedForNewLock } from './org-date.js';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Job } from '../../store/jobs.js';
import type { FeeBill } from '../../store/fee-bills.js';
import { DEFAULT_FEE_ACCOUNT_CODE, mayRecordInXero } from '../../store/merchant-model.js';
import type { Merchant } from '../../store/merchants.js';
import type { XeroGateway } from '../../clients/xero/types.js';
import { toDecimal } from '../../money.js';
import { NeedsReview } from '../runner.js';
import { FeeBillPayload } from '../kinds.js';
import { FEE_CONTACT_NAME } from './post-fee.js';
import { foundEarlier, requeued, sendOnce } from './send-once.js';
import { recordFailure } from './record-failure.js';
import type { CrashHook } from './crash-points.js';

export interface RecordFeeBillDeps {
  stores: Stores;
  xero: XeroGateway;
  clock: Clock;
  logger: Logger;
  crash?: CrashHook;
}

/** The bill's number (shown as its Reference in Xero), by which it is found again. */
export function feeBillReference(bill: Pick<FeeBill, 'period' | 'currency'>): string {
  return `Xendit fees ${bill.period} ${bill.currency}`;
}

/** Xendit sends its invoice in the first days of the next month; the bill is due a month after the billing month. */
const DUE_DAYS = 30;

export function recordFeeBillJob(deps: RecordFeeBillDeps) {
  return async (job: Job): Promise<void> => {
    const { merchantId, feeBillId } = FeeBillPayload.parse(job.payload);
    const merchant = await deps.stores.merchants.byId(merchantId);
    if (!merchant) throw new NeedsReview(`merchant ${merchantId} no longer exists`);
    const bill = await deps.stores.feeBills.byId(feeBillId);
    if (!bill || bill.merchantId !== merchantId) throw new NeedsReview(`no Xendit fee bill ${feeBillId} for this merchant`);
    if (bill.state === 'recorded' || bill.state === 'test_mode') return;
    // Judged by the setting of the billing month (changed since the upload: those fees were posted per payment).
    if (!(await deps.stores.feeBills.billedMonthlyIn(merchant, bill.period))) {
      const reason = `the merchant's Xendit fees were taken from each payment in ${bill.period}: bill ${bill.period} ${bill.currency} not booked`;
      await deps.stores.feeBills.needsReview(bill.id, reason, deps.clock());
      throw new NeedsReview(reason);
    }
    // Fees of a test account are no money: they reach only an organisation marked as a test company.
    if (!mayRecordInXero(merchant)) return void (await deps.stores.feeBills.testMode(bill.id, deps.clock()));
    try {
      const invoiceId = await billOnce(deps, merchant, bill, requeued(job));
      deps.crash?.('fee-bill-accepted');
      await deps.stores.feeBills.recorded(bill.id, invoiceId, deps.clock());
      deps.logger.info({ merchantId, feeBillId, period: bill.period, currency: bill.currency, invoiceId }, 'Xendit fee bill recorded in Xero');
    } catch (err) {
      await recordFailure(err, 'Xendit fee bill', {
        needsReview: (reason) => deps.stores.feeBills.needsReview(bill.id, reason, deps.clock()),
        noteError: (message) => deps.stores.feeBills.noteError(bill.id, message, deps.clock()),
        newLockDate: (e) => refusedForNewLock(deps, merchant, e),
      });
    }
  };
}

/** The bill in Xero once: looked up by its number first after an unknown outcome, or when the job was queued again (`lookFirst`: booked by hand meanwhile?). */
async function billOnce(deps: RecordFeeBillDeps, merchant: Merchant, bill: FeeBill, lookFirst: boolean): Promise<string> {
  const reference = feeBillReference(bill);
  const found = await foundEarlier(
    deps.clock(),
    { sentAt: bill.attemptAt, lookFirst },
    async () => (await deps.xero.findBillsByNumber(merchant.xero, reference))[0]?.invoiceId,
    'Xendit fee bill',
  );
  if (found) return found;
  // Dated the billing month's last day, or the first open day when that month is locked.
  const billed = billDates(bill.period);
  const date = bookableDate(merchant, billed.date);
  const dueDate = billed.dueDate > date ? billed.dueDate : date;
  const account = merchant.feeAccountCode ?? DEFAULT_FEE_ACCOUNT_CODE;
  const line = (description: string, minor: number) => ({ description, quantity: '1', unitAmount: toDecimal(minor, bill.currency), accountCode: account });
  const created = await sendOnce(
    (at) => deps.stores.feeBills.noteAttempt(bill.id, at, deps.clock()),
    deps.clock(),
    () =>
      deps.xero.createInvoice(
        merchant.xero,
        {
          type: 'ACCPAY',
          contactName: FEE_CONTACT_NAME,
          date,
          dueDate,
          // A bill keeps no Reference (xero_accounting.yaml Invoice.Reference: ACCREC only); its
          // number is what Xero shows as the bill's reference, and what it is found by.
          reference: '',
          invoiceNumber: reference,
          currencyCode: bill.currency,
          lineItems: [
            line(`Xendit fees ${bill.period}${bill.xenditInvoiceNumber ? ` (Xendit invoice ${bill.xenditInvoiceNumber})` : ''}`, bill.fees),
            ...(bill.vat !== 0 ? [line(`VAT on Xendit fees ${bill.period}`, bill.vat)] : []),
          ],
        },
        `xendit-fee-bill-${bill.id}`,
      ),
  );
  return created.invoiceId;
}

/** The billing month's last day, and the due date a month on (YYYY-MM-DD). */
export function billDates(period: string): { date: string; dueDate: string } {
  const [year, month] = period.split('-').map(Number);
  const last = new Date(Date.UTC(year, month, 0));
  const due = new Date(last.getTime() + DUE_DAYS * 86_400_000);
  return { date: last.toISOString().slice(0, 10), dueDate: due.toISOString().slice(0, 10) };
}
