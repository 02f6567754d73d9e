/**
 * Xendit fee bills: for a merchant whose Xendit fees are billed monthly (not taken from each
 * payment), the merchant uploads Xendit's Billing Report (or types the invoice's totals) and the
 * gateway books one Xero bill per billing month and currency (jobs/sync/record-fee-bill.ts). A
 * month already booked with the same totals is left as it is; with other totals it is refused (the
 * bill in Xero is then the merchant's to correct), so nothing is ever booked twice.
 */
import { randomUUID } from 'node:crypto';
import type { User } from '../../store/users.js';
import type { FeeBill } from '../../store/fee-bills.js';
import type { Merchant } from '../../store/merchants.js';
import { FormInvalid } from '../../errors.js';
import { jobRow } from '../../jobs/enqueue.js';
import { message } from '../../i18n/index.js';
import { AmountError, isSupportedCurrency, toDecimal, toMinor } from '../../money.js';
import { recordChange } from '../audit.js';
import { merchantFor, merchantToChange, type MerchantOnboardingDeps } from '../merchants/service.js';
import { parseBillingReport, type BillTotal } from './billing-report.js';
import { unstorableReason } from '../../security/body-bounds.js';

export type FeeBillDeps = MerchantOnboardingDeps & { onJobEnqueued?: () => void };

/** What an upload would book: each month and currency, new, already booked alike, or booked otherwise. */
export type PreviewRow = BillTotal & { status: 'new' | 'same' | 'differs' };

/** The merchant the actor may see, with its booked bills. */
export async function feeBillsOf(deps: FeeBillDeps, actor: User, merchantId: string): Promise<{ merchant: Merchant; bills: FeeBill[] }> {
  const merchant = await merchantFor(deps, actor, merchantId);
  return { merchant, bills: await deps.stores.feeBills.forMerchant(merchant.id) };
}

/** The report read and set against what is booked; FormInvalid (400) naming what is wrong with it. */
export async function previewReport(deps: FeeBillDeps, actor: User, merchantId: string, csv: string): Promise<PreviewRow[]> {
  return previewFor(deps, await merchantToChange(deps, actor, merchantId), csv);
}

async function previewFor(deps: FeeBillDeps, merchant: Merchant, csv: string): Promise<PreviewRow[]> {
  const parsed = parseBillingReport(csv);
  if ('problems' in parsed) throw new FormInvalid({ report: message('errors:feeReportUnreadable', { problems: parsed.problems }) }, 400);
  await billedMonthly(
    deps,
    merchant,
    'report',
    parsed.totals.map((t) => t.period),
  );
  const booked = await deps.stores.feeBills.forMerchant(merchant.id);
  return parsed.totals.map((t) => {
    const same = booked.find((b) => b.period === t.period && b.currency === t.currency);
    return { ...t, status: !same ? 'new' : same.fees === t.fees && same.vat === t.vat ? 'same' : 'differs' };
  });
}

/** Books the report's months (all or none): the rows, then one job each. Returns how many were new. */
export async function bookReport(deps: FeeBillDeps, actor: User, merchantId: string, csv: string): Promise<number> {
  const merchant = await merchantToChange(deps, actor, merchantId);
  return book(deps, actor, merchant.id, await previewFor(deps, merchant, csv), null);
}

/**
 * Fees Xendit takes from each payment are in Xero already (post-fee): a bill for a month in which
 * they were all taken so would count them twice. Judged by the setting in force in that month, so a
 * merchant who changed it since can still book the months billed before.
 */
async function billedMonthly(deps: FeeBillDeps, merchant: Merchant, field: string, periods: string[]): Promise<void> {
  const deducted: string[] = [];
  for (const period of [...new Set(periods)].sort()) if (!(await deps.stores.feeBills.billedMonthlyIn(merchant, period))) deducted.push(period);
  if (!deducted.length) return;
  throw new FormInvalid({ [field]: message('errors:feeBillDeducted', { months: deducted.join(', ') }) });
}

export interface ManualBill {
  period: string;
  currency: string;
  fees: string;
  vat: string;
  xenditInvoiceNumber: string;
}

/** The totals of Xendit's PDF invoice typed in: the same checks and booking as a report's month. */
export async function bookManual(deps: FeeBillDeps, actor: User, merchantId: string, form: ManualBill): Promise<number> {
  const merchant = await merchantToChange(deps, actor, merchantId);
  const errors: Record<string, ReturnType<typeof message> | string> = {};
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(form.period.trim())) errors.period = 'errors:feeBillPeriod';
  const currency = form.currency.trim().toUpperCase();
  if (!isSupportedCurrency(currency)) errors.currency = 'errors:feeBillCurrency';
  const amount = (text: string, field: 'fees' | 'vat') => {
    if (!isSupportedCurrency(currency)) return 0;
    try {
      if (!/^\d+(\.\d+)?$/.test(text.trim())) throw new AmountError(text);
      return toMinor(text.trim(), currency);
    } catch (err) {
      if (!(err instanceof AmountError)) throw err;
      errors[field] = message('errors:feeBillAmount', { currency });
      return 0;
    }
  };
  const fees = amount(form.fees, 'fees');
  const vat = form.vat.trim() === '' ? 0 : amount(form.vat, 'vat');
  const number = form.xenditInvoiceNumber.trim();
  if (number.length > 100 || /[\r\n\t]/.test(number) || unstorableReason(number) !== null) errors.xenditInvoiceNumber = 'errors:feeBillNumber';
  if (!Object.keys(errors).length && fees + vat <= 0) errors.fees = message('errors:feeBillAmount', { currency });
  if (Object.keys(errors).length) throw new FormInvalid(errors);
  await billedMonthly(deps, merchant, 'period', [form.period.trim()]);
  const booked = (await deps.stores.feeBills.forMerchant(merchant.id)).find((b) => b.period === form.period.trim() && b.currency === currency);
  const row: PreviewRow = {
    period: form.period.trim(),
    currency: currency as BillTotal['currency'],
    rows: 0,
    fees,
    vat,
    status: !booked ? 'new' : booked.fees === fees && booked.vat === vat ? 'same' : 'differs',
  };
  return book(deps, actor, merchant.id, [row], number || null);
}

async function book(deps: FeeBillDeps, actor: User, merchantId: string, rows: PreviewRow[], xenditInvoiceNumber: string | null): Promise<number> {
  const differs = rows.filter((r) => r.status === 'differs');
  if (differs.length) {
    throw new FormInvalid({ report: message('errors:feeBillDiffers', { months: differs.map((r) => `${r.period} ${r.currency}`).join(', ') }) });
  }
  const fresh = rows.filter((r) => r.status === 'new');
  if (!fresh.length) return 0;
  let made = 0;
  for (const r of fresh) {
    if (r.fees + r.vat <= 0) continue; // fees given back outweigh fees charged: no bill to book
    const { bill, made: isNew } = await deps.stores.feeBills.getOrCreate(
      {
        id: randomUUID(),
        merchantId,
        period: r.period,
        currency: r.currency,
        fees: r.fees,
        vat: r.vat,
        transactions: r.rows,
        xenditInvoiceNumber,
        createdBy: actor.id,
      },
      (feeBillId) => jobRow('record-fee-bill', { merchantId, feeBillId }, deps.clock()),
      deps.clock(),
    );
    if (!isNew) continue; // booked a moment ago by the same upload sent twice
    made++;
    deps.onJobEnqueued?.();
    deps.logger.info({ merchantId, feeBillId: bill.id, period: r.period, currency: r.currency }, 'Xendit fee bill queued for Xero');
    await recordChange(deps, actor, merchantId, 'xendit_fee_bill_booked', {
      period: r.period,
      total: `${toDecimal(r.fees + r.vat, r.currency)} ${r.currency}`,
    });
  }
  return made;
}
