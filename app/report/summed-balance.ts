/**
 * A bank account's balance in its own currency, added up from what Xero lists on it: the only way
 * to read a foreign-currency clearing account's balance through Xero's API, whose reports are in
 * the organisation's base currency only (help.xero.com "Foreign currency & reporting").
 *
 * Money moves through a bank account in Xero as payments (GET /Payments: invoices, bills, the cash
 * refunds of credit notes, overpayments and prepayments, each with BankAmount "in the currency of
 * the bank account") and bank transactions (GET /BankTransactions: spend and receive money,
 * overpayments, prepayments, and each side of a bank transfer as SPEND-TRANSFER / RECEIVE-TRANSFER);
 * xero_accounting.yaml schemas Payment, BankTransaction. Manual journals cannot be posted to a bank
 * account (help.xero.com Q_JournalBankAcc). An opening balance entered as a conversion balance is not listed by either, so the sum
 * is the account's balance only when it has none (the clearing account the gateway creates has none).
 *
 * Any entry whose amount in the account's currency is not known makes the whole sum unknown: a
 * figure that might be wrong is never put next to Xendit's.
 */
import type { XeroAccountPayment, XeroBankTransaction } from '../clients/xero/types.js';
import { format, hundredths } from './rows.js';

/** PaymentType → direction for the bank account (xero_accounting.yaml Payment.PaymentType). */
const PAYMENT_SIGN: Record<string, 1n | -1n> = {
  ACCRECPAYMENT: 1n,
  APCREDITPAYMENT: 1n,
  APOVERPAYMENTPAYMENT: 1n,
  APPREPAYMENTPAYMENT: 1n,
  ACCPAYPAYMENT: -1n,
  ARCREDITPAYMENT: -1n,
  AROVERPAYMENTPAYMENT: -1n,
  ARPREPAYMENTPAYMENT: -1n,
};

/** BankTransaction.Type → direction (xero_accounting.yaml BankTransaction.Type). */
const TRANSACTION_SIGN: Record<string, 1n | -1n> = {
  RECEIVE: 1n,
  'RECEIVE-OVERPAYMENT': 1n,
  'RECEIVE-PREPAYMENT': 1n,
  'RECEIVE-TRANSFER': 1n,
  SPEND: -1n,
  'SPEND-OVERPAYMENT': -1n,
  'SPEND-PREPAYMENT': -1n,
  'SPEND-TRANSFER': -1n,
};

/**
 * The balance at the end of `asOf` (YYYY-MM-DD) as a decimal string in the account's currency, or
 * null when an entry cannot be counted. The listings are the account's live entries (deleted and
 * voided ones left out by the client).
 */
export function summedBalance(p: { payments: XeroAccountPayment[]; transactions: XeroBankTransaction[]; currency: string; asOf: string }): string | null {
  const moves: { sign: 1n | -1n | undefined; date?: string; amount?: string }[] = [
    ...p.payments.map((pay) => ({ sign: PAYMENT_SIGN[pay.paymentType], date: pay.date, amount: pay.bankAmount })),
    ...p.transactions.map((t) => ({ sign: t.currencyCode === p.currency ? TRANSACTION_SIGN[t.type] : undefined, date: t.date, amount: t.total })),
  ];
  let total = 0n;
  for (const m of moves) {
    const cents = m.amount === undefined ? null : centsOrNull(m.amount);
    if (!m.sign || !m.date || cents === null) return null;
    if (m.date <= p.asOf) total += m.sign * cents;
  }
  return format(total);
}

/** Xero's amounts have two decimals; anything else is not counted rather than guessed at. */
function centsOrNull(decimal: string): bigint | null {
  try {
    return hundredths(decimal);
  } catch (err) {
    if (err instanceof RangeError) return null;
    throw err;
  }
}
