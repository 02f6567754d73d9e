/**
 * One paid Xendit invoice against its entries on the clearing account: the payment, the fee (with
 * the VAT Xendit charged on it) and any overpayment, compared in hundredths.
 */
import type { XenditInvoice } from '../clients/xendit/types.js';
import type { XeroAccountPayment, XeroBankTransaction } from '../clients/xero/types.js';
import { toDecimal } from '../money.js';
import { format, hundredths, type ReportRow, type RowStatus } from './rows.js';
import type { TransactionOf } from './xendit-accounts.js';

/**
 * The VAT on Xendit's fee in hundredths, and the tax Xendit withheld from the payment besides
 * (fee.xendit_withholding_tax, fee.third_party_withholding_tax), or why they cannot be read.
 */
export type FeeTax = { known: bigint; withheld?: { xendit: bigint; thirdParty: bigint } } | { unknown: string };

/**
 * VAT on Xendit's fee and the tax it withheld are reported on the payment's transaction, not on the
 * invoice: one more Xendit call per paid invoice (a VAT line deleted in Xero would otherwise go
 * unseen). Read for a payment without a fee and for one whose fee is billed monthly too (`billed`):
 * Xendit withholds tax from what it remits either way (clients/xendit/transactions.ts withholdingTaken).
 */
export async function feeTaxFor(transactionOf: TransactionOf, inv: XenditInvoice, billed = false): Promise<FeeTax> {
  const lookup = await transactionOf(inv);
  if (lookup.kind === 'found') {
    const h = (minor: number) => hundredths(toDecimal(minor, inv.currency));
    const w = lookup.withholding;
    return { known: h(lookup.tax), ...(w ? { withheld: { xendit: h(w.xendit), thirdParty: h(w.thirdParty) } } : {}) };
  }
  const why =
    lookup.kind === 'refused'
      ? `Xendit refused the ${lookup.key.mode} key ${lookup.key.hint}`
      : lookup.kind === 'not_found'
        ? 'Xendit lists no payment transaction for it'
        : lookup.kind === 'unfit'
          ? `Xendit's ${lookup.field} ${lookup.raw} does not fit ${inv.currency}`
          : `${lookup.more ? `more than ${lookup.count}` : lookup.count} Xendit payment transactions fit it`;
  // Only the tax withheld is read for a fee billed monthly or a payment without one.
  const what = billed || !inv.feesPaidAmount ? 'tax withheld' : 'VAT on the fee';
  return { unknown: `${what} unknown (${why}, external id ${inv.externalId})` };
}

export function compare(
  id: string,
  inv: XenditInvoice | undefined,
  x: { payments: XeroAccountPayment[]; fees: { total: string; date?: string }[]; overpayments: XeroBankTransaction[] },
  accountCurrency: string,
  feeTax: FeeTax,
  xenditDate: (inv: XenditInvoice) => string | undefined,
  /** Xendit bills the fee monthly: it keeps none of the payment, and Xero should hold no fee for it. */
  billedMonthly: boolean,
) {
  const received = [...x.payments.map((p) => p.amount), ...x.overpayments.map((t) => t.total)];
  const xeroPaid = received.length ? received.reduce((s, a) => s + hundredths(a), 0n) : null;
  const xeroFee = x.fees.length ? x.fees.reduce((s, t) => s + hundredths(t.total), 0n) : null;
  const xeroNet = (xeroPaid ?? 0n) - (xeroFee ?? 0n);
  const date = (inv ? xenditDate(inv) : undefined) ?? x.payments[0]?.date ?? x.fees[0]?.date ?? x.overpayments[0]?.date ?? '';
  const base = { date, xenditInvoiceId: id, xeroPayment: xeroPaid === null ? null : format(xeroPaid), xeroFee: xeroFee === null ? null : format(xeroFee) };
  if (!inv) {
    return {
      xenditNet: 0n,
      xeroNet,
      row: {
        ...base,
        currency: accountCurrency,
        xenditAmount: null,
        xenditFee: null,
        status: 'missing_at_xendit' as const,
        note: 'no paid Xendit invoice with this id',
      },
    };
  }
  const amount = hundredths(toDecimal(inv.paidAmount ?? inv.amount, inv.currency));
  const charged = hundredths(toDecimal(inv.feesPaidAmount ?? 0, inv.currency));
  // What Xendit keeps: its fee plus the VAT on it (without the VAT when it is unknown, and flagged);
  // no fee when it is billed monthly (the invoice still shows fees_paid_amount then). Tax it
  // withheld left the balance whatever the billing, and is booked on the fee's entry (post-fee.ts): counted with it.
  const w = 'known' in feeTax && feeTax.withheld ? feeTax.withheld : { xendit: 0n, thirdParty: 0n };
  const withheld = w.xendit + w.thirdParty;
  const fee = (billedMonthly ? 0n : charged + ('known' in feeTax ? feeTax.known : 0n)) + withheld;
  const row = { ...base, currency: inv.currency, xenditAmount: format(amount), xenditFee: format(fee) };
  const withheldNote =
    withheld > 0n
      ? `Xendit withheld tax of ${format(withheld)} (xendit_withholding_tax ${format(w.xendit)}, third_party_withholding_tax ${format(w.thirdParty)}), counted in its fee ${format(fee)}`
      : '';
  const unknownTax = 'unknown' in feeTax ? feeTax.unknown : null;
  const billedNote = billedMonthly
    ? `Xendit's fee${charged > 0n ? ` (${format(charged)} before VAT)` : ''} is billed monthly (Xendit fee bill), not taken from the payment: compared gross${withheld > 0n ? ' less the tax withheld' : ''}`
    : '';
  const result = (status: RowStatus, note: string) => {
    if (unknownTax === null)
      return { xenditNet: amount - fee, xeroNet, row: { ...row, status, note: [note, billedNote, withheldNote].filter(Boolean).join('; ') } };
    // The row cannot say matched (nor that the fee differs: Xero's fee was compared with the fee alone).
    const flagged = status === 'matched' || status === 'fee_differs' ? 'fee_tax_unknown' : status;
    const without = billedMonthly || charged === 0n ? 'without tax withheld' : 'without VAT';
    const figures = status === 'matched' ? `; Xendit fee ${without} ${format(fee)}, Xero ${format(xeroFee ?? 0n)}` : '';
    const notes = [note, billedNote, unknownTax + figures];
    return { xenditNet: amount - fee, xeroNet, row: { ...row, status: flagged, note: notes.filter(Boolean).join('; ') } };
  };
  if (xeroPaid === null) return result('missing_in_xero', fee > 0n && xeroFee !== null ? 'fee posted but no payment' : 'no payment in Xero');
  if (xeroPaid !== amount) return result('amount_differs', `Xendit ${format(amount)}, Xero ${format(xeroPaid)} (${format(amount - xeroPaid)} unrecorded)`);
  if (x.overpayments.length)
    return result(fee > 0n && xeroFee === null ? 'fee_missing' : (xeroFee ?? 0n) !== fee ? 'fee_differs' : 'matched', overpaymentNote(x, fee, xeroFee));
  if (fee > 0n && xeroFee === null) return result('fee_missing', `fee ${format(fee)} not posted`);
  if ((xeroFee ?? 0n) !== fee) return result('fee_differs', `Xendit fee ${format(fee)}, Xero ${format(xeroFee ?? 0n)}`);
  return result('matched', '');
}

/**
 * The payment is in Xero in the range and again on another date: not matched, whatever the
 * amounts say. When Xendit was paid outside the range, the entry here is the extra one, so
 * Xendit's side does not count the payment again.
 */
export function bookedTwice(
  c: { xenditNet: bigint; xeroNet: bigint; row: ReportRow },
  elsewhere: string[] | undefined,
  paidInRange: boolean,
): { xenditNet: bigint; xeroNet: bigint; row: ReportRow } {
  if (!elsewhere?.length) return c;
  const note = `the payment is in Xero twice: also on ${[...new Set(elsewhere)].sort().join(', ')}`;
  return {
    xenditNet: paidInRange ? c.xenditNet : 0n,
    xeroNet: c.xeroNet,
    // Xendit's payment belongs to the other month: what else compare() said of it is said there.
    row: { ...c.row, status: 'amount_differs' as const, note: paidInRange ? [note, c.row.note].filter(Boolean).join('; ') : note },
  };
}

function overpaymentNote(x: { overpayments: XeroBankTransaction[] }, fee: bigint, xeroFee: bigint | null): string {
  const over = format(x.overpayments.reduce((s, t) => s + hundredths(t.total), 0n));
  const feeNote =
    fee > 0n && xeroFee === null
      ? `; fee ${format(fee)} not posted`
      : (xeroFee ?? 0n) !== fee
        ? `; Xendit fee ${format(fee)}, Xero ${format(xeroFee ?? 0n)}`
        : '';
  return `${over} of it recorded as a Xero overpayment${feeNote}`;
}
