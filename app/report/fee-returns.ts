/**
 * Fees Xendit gave back with a refund (jobs/sync/fee-return.ts): the gateway's Receive Money (or
 * manual journal) `Xendit fee returned <invoice id>` on the clearing account, next to what Xendit's
 * payment transaction says: its fee and VAT when its fee.status says Xendit no longer keeps them, or
 * when it is VOIDED (cancelled before settlement, which gives them back; the lookup's feeReturned).
 */
import type { FeeTaxLookup, XenditInvoice } from '../clients/xendit/types.js';
import { feeGivenBack } from '../clients/xendit/transactions.js';
import type { ListedRefund } from './refunds.js';
import type { Merchant } from '../store/merchants.js';
import { toDecimal, toMinor, type Currency } from '../money.js';
import { format, hundredths, type ReportDeps, type ReportRow } from './rows.js';
import { inAccount, refusedByRow, type TransactionOf, type XenditAccounts } from './xendit-accounts.js';

export const FEE_RETURN_REF = /^Xendit fee returned (\S+)$/;

/** Fee and VAT the gateway posted for an invoice, at any date, as the clearing accounts show them (hundredths). */
export type PostedFee = (xenditInvoiceId: string) => bigint;

/**
 * What Xendit gave back of the invoice's fee (hundredths), or null: the job's own reckoning
 * (feeGivenBack), so a void showing no figures is expected to give back what was posted.
 */
function givenBack(lookup: FeeTaxLookup | { kind: 'refused' }, inv: XenditInvoice, posted: bigint): bigint | null {
  if (lookup.kind === 'refused') return null;
  // Tax withheld is booked on the fee's entry (post-fee.ts) but is not the fee: never given back.
  const w = lookup.kind === 'found' && lookup.withholding ? lookup.withholding.xendit + lookup.withholding.thirdParty : 0;
  const back = feeGivenBack(lookup, { fee: minorOrZero(posted - hundredths(toDecimal(w, inv.currency)), inv.currency), tax: 0 });
  return back ? hundredths(toDecimal(back.fee + back.tax, inv.currency)) : null;
}

function minorOrZero(h: bigint, currency: Currency): number {
  try {
    return toMinor(format(h), currency);
  } catch {
    return 0; // not an amount of the currency: nothing the gateway posted
  }
}

/** One such entry as the clearing account shows it. */
export interface BookedFeeReturn {
  xenditInvoiceId: string;
  date: string;
  currency: string;
  /** Into the clearing account, hundredths. */
  amount: bigint;
}

export async function feeReturnRow(
  deps: ReportDeps,
  accounts: XenditAccounts,
  transactionOf: TransactionOf,
  booked: BookedFeeReturn,
  /** The invoice when the report already read it. */
  known: XenditInvoice | undefined,
  posted: PostedFee,
): Promise<{ row: ReportRow; xendit: bigint; xero: bigint }> {
  // Not read yet: looked for in each account in turn.
  const found = known ? null : await accounts.find('invoices', (key) => deps.xendit.getInvoice(key, booked.xenditInvoiceId));
  if (found?.value) accounts.seen(found.value.id, found.key);
  const inv = known ?? found?.value ?? undefined;
  const account = inv ? accounts.keyOf(inv.id) : undefined;
  const lookup = inv ? await transactionOf(inv) : undefined;
  const returned = inv && lookup ? givenBack(lookup, inv, posted(inv.id)) : null;
  const base = {
    date: booked.date,
    xenditInvoiceId: booked.xenditInvoiceId,
    currency: booked.currency,
    xenditAmount: null,
    xenditFee: returned === null ? null : format(-returned),
    xeroPayment: null,
    xeroFee: format(-booked.amount),
  };
  if (returned === null) {
    const why = !inv ? 'Xendit has no such invoice' : "Xendit's payment transaction does not say the fee was given back";
    const row = inAccount({ ...base, status: 'fee_differs', note: `fee given back in Xero, but ${why}` }, account);
    const refused = found && found.value === null ? found.refused : lookup?.kind === 'refused' ? [lookup.key] : [];
    return { row: refused.length ? refusedByRow(row, refused) : row, xendit: 0n, xero: booked.amount };
  }
  if (returned !== booked.amount) {
    return {
      row: inAccount({ ...base, status: 'fee_differs', note: `fee given back: Xendit ${format(returned)}, Xero ${format(booked.amount)}` }, account),
      xendit: returned,
      xero: booked.amount,
    };
  }
  return {
    row: inAccount({ ...base, status: 'fee_returned', note: 'Xendit gave the fee back with a refund' }, account),
    xendit: returned,
    xero: booked.amount,
  };
}

/**
 * Whether the gateway posted this payment's fee, or is still to post it: only then does return-fee
 * book a fee Xendit gave back. Asked of the payment, not of today's settings: a merchant who
 * switched fee posting off (or to monthly bills) after the payment still gets its fee back in Xero,
 * one who switched it on never gets back a fee the gateway did not post. A fee not decided yet (its
 * job waits or is in review, the payment not recorded) is decided as post-fee decides it: fee
 * posting today, fee billing when the customer paid (`billedMonthly`).
 */
export async function gatewayPostsFee(deps: ReportDeps, merchant: Merchant, xenditInvoiceId: string, billedMonthly: () => boolean): Promise<boolean> {
  const payment = await deps.stores?.payments?.byXenditInvoice(merchant.id, xenditInvoiceId);
  if (payment?.syncState === 'test_mode') return false; // nothing of it goes to Xero
  // A fee billed monthly is never posted: a 'posted' one of such a payment is the tax withheld alone (post-fee.ts).
  if (billedMonthly()) return false;
  if (payment?.feeState === 'posted') return true;
  if (payment?.feeState === 'not_needed') return false;
  return merchant.feePosting !== 'off' && !billedMonthly();
}

/**
 * A fee Xendit gave back that is not in Xero (the job that books it waits, is in review, or Xendit
 * marked it after the gateway last looked), of a payment whose fee the gateway posted
 * (gatewayPostsFee): for each invoice whose latest refund falls in the range,
 * its transaction is read (once per report); when it says the fee came back and the clearing
 * accounts hold no `Xendit fee returned <invoice>` entry at any date, a `missing_in_xero` row on the
 * refund's date, counted in Xendit's total (the balance got it back).
 */
export async function unbookedFeeReturnRows(
  deps: ReportDeps,
  merchant: Merchant,
  accounts: XenditAccounts,
  transactionOf: TransactionOf,
  /** The invoice when the report already read it. */
  known: (id: string) => XenditInvoice | undefined,
  range: { from: string; to: string },
  /** Succeeded refunds as listed, newest first. */
  refunds: ListedRefund[],
  /** Invoice ids with a fee given back on the clearing accounts, at any date. */
  booked: Set<string>,
  posted: PostedFee,
  /** Whether the invoice's fees were billed monthly when it was paid (reconcile.ts). */
  billedMonthly: (inv: XenditInvoice) => boolean,
): Promise<{ rows: ReportRow[]; sums: Map<string, bigint> }> {
  const rows: ReportRow[] = [];
  const sums = new Map<string, bigint>();
  const seen = new Set<string>();
  for (const { refund, date } of refunds) {
    if (seen.has(refund.invoiceId)) continue; // an earlier refund of the same invoice
    seen.add(refund.invoiceId);
    if (date < range.from || date > range.to || booked.has(refund.invoiceId)) continue;
    const found = known(refund.invoiceId) ? null : await accounts.find('invoices', (k) => deps.xendit.getInvoice(k, refund.invoiceId));
    if (found?.value) accounts.seen(found.value.id, found.key);
    const inv = known(refund.invoiceId) ?? found?.value ?? undefined;
    if (!inv) continue;
    // The gateway books a fee given back only of a payment whose fee it posted (return-fee.ts).
    if (!(await gatewayPostsFee(deps, merchant, inv.id, () => billedMonthly(inv)))) continue;
    const lookup = await transactionOf(inv);
    const returned = givenBack(lookup, inv, posted(inv.id));
    if (returned === null) continue;
    sums.set(inv.currency, (sums.get(inv.currency) ?? 0n) + returned);
    rows.push({
      date,
      xenditInvoiceId: inv.id,
      currency: inv.currency,
      xenditAmount: null,
      xenditFee: format(-returned),
      xeroPayment: null,
      xeroFee: null,
      status: 'missing_in_xero',
      note: `Xendit gave the fee back (refund ${refund.id}): not in Xero yet`,
      ...(accounts.keyOf(inv.id) ? { xenditMode: accounts.keyOf(inv.id)!.mode } : {}),
    });
  }
  return { rows, sums };
}
