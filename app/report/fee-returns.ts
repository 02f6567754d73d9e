/**
 * Fees Xendit gave back with a refund (jobs/sync/fee-return.ts): the gateway's Receive Money (or
 * manual journal) `Xendit fee returned <invoice id>` on the clearing account, next to what Xendit's
 * payment transaction says: its fee and VAT when its fee.status says Xendit no longer keeps them.
 */
import type { XenditInvoice } from '../clients/xendit/types.js';
import type { Merchant } from '../store/merchants.js';
import { toDecimal } from '../money.js';
import { format, hundredths, type ReportDeps, type ReportRow, type TransactionOf } from './rows.js';

export const FEE_RETURN_REF = /^Xendit fee returned (\S+)$/;

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
  merchant: Merchant,
  transactionOf: TransactionOf,
  booked: BookedFeeReturn,
  /** The invoice when the report already read it. */
  known: XenditInvoice | undefined,
): Promise<{ row: ReportRow; xendit: bigint; xero: bigint }> {
  const inv = known ?? (await deps.xendit.getInvoice(merchant.xenditSecretKey, booked.xenditInvoiceId)) ?? undefined;
  const lookup = inv ? await transactionOf(inv) : undefined;
  const returned = lookup?.kind === 'found' && lookup.feeReturned ? hundredths(toDecimal(lookup.fee + lookup.tax, inv!.currency)) : null;
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
    return { row: { ...base, status: 'fee_differs', note: `fee given back in Xero, but ${why}` }, xendit: 0n, xero: booked.amount };
  }
  if (returned !== booked.amount) {
    return {
      row: { ...base, status: 'fee_differs', note: `fee given back: Xendit ${format(returned)}, Xero ${format(booked.amount)}` },
      xendit: returned,
      xero: booked.amount,
    };
  }
  return { row: { ...base, status: 'fee_returned', note: 'Xendit gave the fee back with a refund' }, xendit: returned, xero: booked.amount };
}
