/**
 * Xendit fee bills: for a merchant whose Xendit fees are billed monthly (not taken from each
 * payment), the merchant uploads Xendit's Billing Report (or types the invoice's totals) and the
 * gateway books one Xero bill per billing month and currency (jobs/sync/record-fee-bill.ts). A
 * month already booked with the same totals is left as it is; with other totals it is refused (the
 * bill in Xero is then the merchant's to correct), so nothing is ever booked twice. A bill nothing
 * of which can be in Xero (refused by Xero or kept out in test mode, never sent without an answer)
 * takes the new totals instead: otherwise its only retry would resend the totals known wrong.
 */
import { randomUUID } from 'node:crypto';
import type { User } from '../../store/users.js';
import { replaceable, type FeeBill, type FeeBillClaim } from '../../store/fee-bills.js';
import { mayRecordInXero, type Merchant } from '../../store/merchants.js';
import { FormInvalid } from '../../errors.js';
import { jobRow } from '../../jobs/enqueue.js';
import { message } from '../../i18n/index.js';
import { AmountError, isPlainDecimal, isSupportedCurrency, toDecimal, toMinor } from '../../money.js';
import { alertChange, auditEntry } from '../audit.js';
import { merchantFor, merchantToChange, type MerchantOnboardingDeps } from '../merchants/service.js';
import { parseBillingReport, type BillTotal } from './billing-report.js';
import { unstorableReason } from '../../security/body-bounds.js';
import { parseMonth } from '../dates.js';

export type FeeBillDeps = MerchantOnboardingDeps & { onJobEnqueued?: () => void };

/**
 * What an upload would book: each month and currency, new, already booked alike, replacing the
 * totals of a bill that never reached Xero, or booked otherwise (refused).
 */
export type PreviewRow = BillTotal & { status: 'new' | 'same' | 'replaces' | 'differs' };

function statusAgainst(booked: FeeBill | undefined, t: Pick<BillTotal, 'fees' | 'vat'>, live: boolean): PreviewRow['status'] {
  if (!booked) return 'new';
  // Kept out of Xero because a test key was in use when its job ran. Xendit bills only a live
  // account's fees, so the same report uploaded again once the live key is in use books it: before,
  // the same totals were "same", nothing happened, and that month's fees never reached the books.
  if (booked.state === 'test_mode' && live && replaceable(booked)) return 'replaces';
  if (booked.fees === t.fees && booked.vat === t.vat) return 'same';
  return replaceable(booked) ? 'replaces' : 'differs';
}

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
  return parsed.totals.map((t) => ({
    ...t,
    status: statusAgainst(
      booked.find((b) => b.period === t.period && b.currency === t.currency),
      t,
      mayRecordInXero(merchant),
    ),
  }));
}

/** Books the report's months (all or none): the rows, then one job each. Returns how many were queued (new or replaced). */
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
/** A fee or VAT typed in: 16 digits of minor units, a point, and leading zeros to spare. */
const MAX_TYPED_AMOUNT_CHARS = 40;

export async function bookManual(deps: FeeBillDeps, actor: User, merchantId: string, form: ManualBill): Promise<number> {
  const merchant = await merchantToChange(deps, actor, merchantId);
  const errors: Record<string, ReturnType<typeof message> | string> = {};
  // The admin's date window, as for a report's billed_at: far-off years are nobody's fees (and Date.UTC,
  // which makes the bill's dates, reads years 0-99 as 1900-1999).
  const period = parseMonth(form.period);
  if (!period) errors.period = 'errors:feeBillPeriod';
  const currency = form.currency.trim().toUpperCase();
  if (!isSupportedCurrency(currency)) errors.currency = 'errors:feeBillCurrency';
  const amount = (text: string, field: 'fees' | 'vat') => {
    if (!isSupportedCurrency(currency)) return 0;
    try {
      // No typed amount is longer: anything past it is refused before it is read at all.
      if (text.trim().length > MAX_TYPED_AMOUNT_CHARS || !isPlainDecimal(text.trim())) throw new AmountError('not a plain decimal');
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
  if (!Object.keys(errors).length) {
    if (fees + vat <= 0) errors.fees = message('errors:feeBillAmount', { currency });
    // Each amount is exact; their total (booked and audited) must be too, checked before anything is written.
    else if (!Number.isSafeInteger(fees + vat)) errors.fees = 'errors:feeBillTooLarge';
  }
  if (Object.keys(errors).length || !period) throw new FormInvalid(errors);
  await billedMonthly(deps, merchant, 'period', [period]);
  const booked = (await deps.stores.feeBills.forMerchant(merchant.id)).find((b) => b.period === period && b.currency === currency);
  const row: PreviewRow = {
    period,
    currency: currency as BillTotal['currency'],
    rows: 0,
    fees,
    vat,
    status: statusAgainst(booked, { fees, vat }, mayRecordInXero(merchant)),
  };
  return book(deps, actor, merchant.id, [row], number || null);
}

/**
 * Books the rows all or none: every month is claimed (bill, job, audit) in one transaction
 * (store/fee-bills.ts bookAll) before a worker can send anything to Xero, so a month booked meanwhile
 * with other totals (another tab) refuses the whole upload, not only its own month.
 */
async function book(deps: FeeBillDeps, actor: User, merchantId: string, rows: PreviewRow[], xenditInvoiceNumber: string | null): Promise<number> {
  const refuse = (months: string) => new FormInvalid({ report: message('errors:feeBillDiffers', { months }) });
  const differs = rows.filter((r) => r.status === 'differs');
  if (differs.length) throw refuse(differs.map((r) => `${r.period} ${r.currency}`).join(', '));
  const now = deps.clock();
  const claims: FeeBillClaim[] = [];
  const booked = rows.some((r) => r.status === 'replaces') ? await deps.stores.feeBills.forMerchant(merchantId) : [];
  for (const r of rows) {
    const month = `${r.period} ${r.currency}`;
    const total = `${toDecimal(r.fees + r.vat, r.currency)} ${r.currency}`;
    if (r.status === 'new') {
      if (r.fees + r.vat <= 0) continue; // fees given back outweigh fees charged: no bill to book
      claims.push({
        kind: 'new',
        bill: {
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
        job: (feeBillId) => jobRow('record-fee-bill', { merchantId, feeBillId }, now),
        audit: auditEntry(actor, merchantId, 'xendit_fee_bill_booked', { period: r.period, total }),
      });
    } else if (r.status === 'replaces') {
      // A bill that never reached Xero takes the upload's totals and its job is queued again.
      const bill = booked.find((b) => b.period === r.period && b.currency === r.currency);
      // The same upload sent twice (a bill kept out as test money is booked again: statusAgainst).
      if (bill && bill.fees === r.fees && bill.vat === r.vat && bill.state !== 'test_mode') continue;
      // No fees left to bill (given back on refunds) cannot stand as a bill, nor be booked in Xero.
      if (!bill || r.fees + r.vat <= 0 || !replaceable(bill)) throw refuse(month);
      claims.push({
        kind: 'replace',
        bill,
        next: { fees: r.fees, vat: r.vat, transactions: r.rows, xenditInvoiceNumber, createdBy: actor.id },
        job: jobRow('record-fee-bill', { merchantId, feeBillId: bill.id }, now),
        audit: auditEntry(actor, merchantId, 'xendit_fee_bill_replaced', {
          period: r.period,
          previous: `${toDecimal(bill.fees + bill.vat, r.currency)} ${r.currency}`,
          total,
        }),
      });
    }
  }
  if (!claims.length) return 0;
  const outcome = await deps.stores.feeBills.bookAll(claims, now);
  // Booked a moment ago by another request with other totals (a second tab): refused as when booked before.
  if ('refused' in outcome) {
    if (outcome.refused === 'busy') throw new FormInvalid({ report: message('errors:feeBillBusy', { months: outcome.month }) });
    throw refuse(outcome.month);
  }
  for (const bill of outcome.made) {
    const replaced = claims.some((c) => c.kind === 'replace' && c.bill.id === bill.id);
    deps.onJobEnqueued?.();
    deps.logger.info(
      { merchantId, feeBillId: bill.id, period: bill.period, currency: bill.currency },
      replaced ? 'Xendit fee bill replaced, queued for Xero' : 'Xendit fee bill queued for Xero',
    );
    await alertChange(deps, actor, merchantId, replaced ? 'xendit_fee_bill_replaced' : 'xendit_fee_bill_booked');
  }
  return outcome.made.length;
}
