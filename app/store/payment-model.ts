/**
 * The payment as the gateway reads it (payments table), its insert row and the shapes the store's
 * writes take. Apart from payments.ts, which holds the statements.
 */
import type { Selectable } from 'kysely';
import type { FeeState, PaymentsTable, SyncState } from './schema.js';
import type { FeeEntry } from './payment-fees.js';
import { int8 } from './int8.js';
import type { Currency } from '../money.js';

export interface Payment {
  id: string;
  merchantId: string;
  checkoutId: string | null;
  xenditInvoiceId: string;
  xeroInvoiceId: string;
  currency: Currency;
  amount: number; // minor units
  fee: number | null; // minor units
  paidAt: Date;
  reference: string;
  xeroPaymentId: string | null;
  syncState: SyncState;
  lastError: string | null;
  /** null until the payment is in Xero. */
  feeState: FeeState | null;
  xeroFeeTxnId: string | null;
  feeError: string | null;
  /** What is in Xero when it is less than Xendit collected; null when it is all of it (or nothing yet). */
  amountRecorded: number | null;
  /** VAT Xendit charged on its fee (minor units), deducted on top of the fee. */
  feeTax: number | null;
  /** Tax Xendit withheld from the payment (minor units), read with feeTax; booked beside the fee, never given back with it. */
  feeWithheld: number | null;
  /** Xendit's fee exactly as Xendit sent it, when it does not fit the currency's minor unit (fee is then null). */
  feeRaw: string | null;
  /** The part of the amount recorded as a Xero overpayment (merchant opted in). */
  overpaid: number | null;
  /** The overpayment's own id, which its refunds name; null on rows from before it was kept (then found in Xero). */
  xeroOverpaymentId: string | null;
  /** Its bank transaction (BankTransactionID). */
  xeroOverpaymentTxnId: string | null;
  /** Set while the overpayment's create has no answer yet: its outcome is unknown until then (overpayment.ts looks before any create). */
  overpaymentAttemptAt: Date | null;
  /** Set while a payment create sent to Xero has no answer yet: its outcome is unknown until then. */
  xeroAttemptAt: Date | null;
  /** The same for the fee's create. */
  feeAttemptAt: Date | null;
  /** How the fee's last attempt was sent (null: never, or before this was kept): where a retry looks. */
  feeEntry: FeeEntry | null;
  /** The clearing account the payment was sent into (null: not yet, or before this was kept). */
  clearingAccount: string | null;
  /** How the customer paid, as Xendit named it (BANK_TRANSFER / BCA, EWALLET / OVO, ...). */
  paymentMethod: string | null;
  paymentChannel: string | null;
  /** Xendit's payment_id of the invoice's payment: how a refund that names no invoice is tied to it. */
  xenditPaymentId: string | null;
}

export type NewPayment = Omit<
  Payment,
  | 'xeroPaymentId'
  | 'syncState'
  | 'lastError'
  | 'feeState'
  | 'xeroFeeTxnId'
  | 'feeError'
  | 'amountRecorded'
  | 'feeTax'
  | 'feeWithheld'
  | 'feeRaw'
  | 'overpaid'
  | 'xeroOverpaymentId'
  | 'xeroOverpaymentTxnId'
  | 'overpaymentAttemptAt'
  | 'xeroAttemptAt'
  | 'feeAttemptAt'
  | 'feeEntry'
  | 'clearingAccount'
  | 'paymentMethod'
  | 'paymentChannel'
  | 'xenditPaymentId'
> & { feeTax?: number | null; feeRaw?: string | null; paymentMethod?: string | null; paymentChannel?: string | null; xenditPaymentId?: string | null };

export interface InXero {
  /** null when nothing was due and the whole amount went into a Xero overpayment. */
  xeroPaymentId: string | null;
  /** Set when less than the Xendit amount went into Xero. */
  amountRecorded?: number;
  /** Present: the payment needs a person (e.g. over-payment), even though part of it is in Xero. */
  reviewReason?: string;
  /** The rest, recorded as a Xero overpayment. */
  overpayment?: { amount: number } & XeroOverpaymentIds;
  /** pending: markInXero queues the fee's job in the same transaction; see FeeDecision. */
  fee: FeeDecision;
  /** An earlier attempt the database lost track of may have posted the fee: it is looked up by Reference first. */
  feeMayExist?: boolean;
}

/** A Xero overpayment's two ids: its own (null when Xero's answer left it out) and its bank transaction's. */
export interface XeroOverpaymentIds {
  xeroOverpaymentId: string | null;
  xeroOverpaymentTxnId: string;
}

export const toPayment = (r: Selectable<PaymentsTable>): Payment => ({
  id: r.id,
  merchantId: r.merchant_id,
  checkoutId: r.checkout_id,
  xenditInvoiceId: r.xendit_invoice_id,
  xeroInvoiceId: r.xero_invoice_id,
  currency: r.currency as Currency,
  amount: int8(r.amount),
  fee: r.fee === null ? null : int8(r.fee),
  paidAt: r.paid_at,
  reference: r.reference,
  xeroPaymentId: r.xero_payment_id,
  syncState: r.sync_state,
  lastError: r.last_error,
  feeState: r.fee_state,
  xeroFeeTxnId: r.xero_fee_txn_id,
  feeError: r.fee_error,
  amountRecorded: r.amount_recorded === null ? null : int8(r.amount_recorded),
  feeTax: r.fee_tax === null ? null : int8(r.fee_tax),
  feeWithheld: r.fee_withheld === null || r.fee_withheld === undefined ? null : int8(r.fee_withheld),
  feeRaw: r.fee_raw,
  overpaid: r.overpaid === null ? null : int8(r.overpaid),
  xeroOverpaymentId: r.xero_overpayment_id,
  xeroOverpaymentTxnId: r.xero_overpayment_txn_id ?? null,
  overpaymentAttemptAt: r.overpayment_attempt_at ?? null,
  xeroAttemptAt: r.xero_attempt_at,
  feeAttemptAt: r.fee_attempt_at,
  feeEntry: r.fee_entry_kind && r.fee_entry_account ? { kind: r.fee_entry_kind, accountId: r.fee_entry_account } : null,
  clearingAccount: r.clearing_account ?? null,
  paymentMethod: r.payment_method,
  paymentChannel: r.payment_channel,
  xenditPaymentId: r.xendit_payment_id,
});

/** The row a new payment is inserted as. */
export const newRow = (p: NewPayment, now: Date) => ({
  id: p.id,
  merchant_id: p.merchantId,
  checkout_id: p.checkoutId,
  xendit_invoice_id: p.xenditInvoiceId,
  xero_invoice_id: p.xeroInvoiceId,
  currency: p.currency,
  amount: p.amount,
  fee: p.fee,
  fee_tax: p.feeTax ?? null,
  fee_raw: p.feeRaw ?? null,
  payment_method: p.paymentMethod ?? null,
  payment_channel: p.paymentChannel ?? null,
  xendit_payment_id: p.xenditPaymentId ?? null,
  paid_at: p.paidAt,
  reference: p.reference,
  sync_state: 'pending' as const,
  created_at: now,
  updated_at: now,
});

/**
 * A payment's fee as its recording decides it. 'withholding': fees were billed monthly when the
 * customer paid, so only tax Xendit withheld is booked per payment, and only for a merchant with a
 * withholding tax account: decided by the merchant as stored when the mark commits, not as the job
 * loaded it. An Accounts save that sets the account holds the merchant's row (FOR NO KEY UPDATE)
 * while its catch-up picks the payments recorded without it (withholding-catch-up.ts); this read
 * takes a share lock on that row, so either it waits for the save and sees the account, or the
 * save's catch-up waits for this mark and finds the payment not_needed: never neither.
 */
export type FeeDecision = 'pending' | 'not_needed' | 'withholding';
