/**
 * Xendit's fee on a payout of its balance (a withdrawal: withdrawal-fee.ts; an other balance
 * movement: movement-fee.ts), booked alike: a Spend Money of its own out of the clearing bank
 * account to the merchant's fee account, the fee and the VAT on it on lines of their own (as a
 * payment fee's: post-fee feeLines), so the VAT Xendit charged shows apart in Xero. What differs is
 * the row's: its Reference, Idempotency-Key, date and attempt mark.
 */
import { toDecimal, type Currency } from '../../money.js';
import type { Merchant } from '../../store/merchants.js';
import { bankTransactionOnce, type Attempt, type EntryDeps } from './entry-once.js';
import { feeAndVatLines } from './post-fee.js';
import { Unrecordable } from './record-failure.js';

/** A payout's fee: the whole (minor units, with its VAT), the VAT part, and what it was on (`withdrawal <id>`, `DISBURSEMENT <id>`). */
export interface PayoutFee {
  currency: Currency;
  fee: number;
  feeTax: number;
  what: string;
  /** Tax Xendit withheld besides its fee (a chargeback's), to the withholding tax account, as on a payment fee's entry (post-fee feeLines). */
  withheld?: { amount: number; accountCode: string };
}

/** The fee's lines to the fee account: the fee, and its VAT on a line of its own; tax withheld on a line of its own to its account. */
export function payoutFeeLines(merchant: Merchant, f: PayoutFee) {
  if (!f.withheld) return feeOnlyLines(merchant, f);
  const withheld = { description: `Tax withheld by Xendit, ${f.what}`, accountCode: f.withheld.accountCode, amount: toDecimal(f.withheld.amount, f.currency) };
  // Tax withheld alone needs no fee account: the fee's lines of 0 are left out.
  return [...(f.fee > 0 ? feeOnlyLines(merchant, f) : []), withheld];
}

function feeOnlyLines(merchant: Merchant, f: PayoutFee) {
  if (!merchant.feeAccountCode) throw new Unrecordable(`no fee account is configured for Xendit's fee on ${f.what}`);
  return feeAndVatLines(f.currency, f.what, { fee: f.fee - f.feeTax, tax: f.feeTax, feeAccountCode: merchant.feeAccountCode });
}

/** The fee's Spend Money out of the clearing bank account `clearing`, once (entryOnce); its id. */
export function feeSpendOnce(deps: EntryDeps, merchant: Merchant, f: PayoutFee, clearing: string, attempt: Attempt): Promise<string> {
  return bankTransactionOnce(
    deps,
    merchant,
    { currency: f.currency, amount: f.fee + (f.withheld?.amount ?? 0) },
    // No feed carries the clearing account.
    { ...attempt, type: 'SPEND', bank: clearing, lines: payoutFeeLines(merchant, f), reconciled: true },
  );
}
