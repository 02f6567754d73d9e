import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { Int8, SerialId, Timestamp } from './columns.js';

/** Checkouts, the callbacks that pay them, and the payments recorded in Xero. */

export type CheckoutStatus = 'creating' | 'open' | 'paid' | 'expired' | 'superseded';

/** test_mode: paid with a Xendit test key into an organisation not marked as a test company: never sent to Xero. */
export type SyncState = 'pending' | 'recorded' | 'needs_review' | 'test_mode' | 'handled';

export type FeeState = 'pending' | 'posted' | 'not_needed' | 'needs_review' | 'handled';

/** A fee's entry in Xero: Spend Money out of a clearing bank account, or a manual journal. */
export type FeeEntryKind = 'spend' | 'journal';

export interface CheckoutsTable {
  id: string;
  merchant_id: string;
  xero_invoice_id: string;
  invoice_number: string;
  currency: string;
  amount: Int8;
  external_id: string;
  xendit_invoice_id: string | null;
  invoice_url: string | null;
  expires_at: Timestamp;
  status: CheckoutStatus;
  customer_name: ColumnType<string | null, string | null | undefined, string | null>;
  customer_email: ColumnType<string | null, string | null | undefined, string | null>;
  reconciled_at: Timestamp | null;
  /** Why the gateway expired it at Xendit (a message key, JSON): its Xero invoice changed (migration 20261205T0630). */
  closed_reason: ColumnType<string | null, string | null | undefined, string | null>;
  xero_checked_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The mode of the Xendit key that made it, and that key's last 4 characters (migration 20261206T1600); null: not known. */
  xendit_mode: ColumnType<'test' | 'live' | null, 'test' | 'live' | null | undefined, 'test' | 'live' | null>;
  xendit_key_hint: ColumnType<string | null, string | null | undefined, string | null>;
  /** Closed while a create of it had no answer: until then Xendit may still make its invoice, and reconcile asks (migration 20261206T2049). */
  late_create_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Since when reconcile's asks find that no stored Xendit key reaches it (migration 20261206T2114); null: reached, or not asked. */
  unreachable_since: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** When a pay click last read its Xero invoice and found this amount due (migration 20261207T0249); null: never. */
  xero_read_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CallbackEventsTable {
  id: SerialId;
  merchant_id: string;
  xendit_invoice_id: string;
  external_id: string;
  status: string;
  raw: JSONColumnType<Record<string, unknown>>;
  received_at: Timestamp;
}

export interface PaymentsTable {
  id: string;
  merchant_id: string;
  checkout_id: string | null;
  xendit_invoice_id: string;
  xero_invoice_id: string;
  currency: string;
  amount: Int8;
  fee: Int8 | null;
  paid_at: Timestamp;
  reference: string;
  xero_payment_id: string | null;
  sync_state: SyncState;
  last_error: string | null;
  fee_state: FeeState | null;
  xero_fee_txn_id: string | null;
  fee_error: string | null;
  amount_recorded: Int8 | null;
  fee_tax: Int8 | null;
  /** Migration 20261206T1930: tax Xendit withheld, read with fee_tax; null: none read. */
  fee_withheld: Int8 | null;
  fee_raw: string | null;
  overpaid: Int8 | null;
  /** The overpayment's own id (BankTransaction.OverpaymentID); before migration 20261207T0039 its bank transaction's, moved to xero_overpayment_txn_id. */
  xero_overpayment_id: string | null;
  /** The overpayment's BankTransactionID, and the mark of its create sent with no answer yet (migration 20261207T0039). */
  xero_overpayment_txn_id: ColumnType<string | null, string | null | undefined, string | null>;
  overpayment_attempt_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Set before a create is sent to Xero, cleared once Xero answered (migration 020). */
  xero_attempt_at: Timestamp | null;
  fee_attempt_at: Timestamp | null;
  /** How the last attempt sent the fee, and against which clearing account (migration 20261206T1510). */
  fee_entry_kind: ColumnType<FeeEntryKind | null, FeeEntryKind | null | undefined, FeeEntryKind | null>;
  fee_entry_account: ColumnType<string | null, string | null | undefined, string | null>;
  /** The clearing account the payment (and its overpayment) was sent into (migration 20261206T1942). */
  clearing_account: ColumnType<string | null, string | null | undefined, string | null>;
  /** How the customer paid, as Xendit named it (migration 20261205T0620). */
  payment_method: ColumnType<string | null, string | null | undefined, string | null>;
  payment_channel: ColumnType<string | null, string | null | undefined, string | null>;
  /** Xendit's payment_id of the invoice's payment, when it gave one (migration 20261206T1100). */
  xendit_payment_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface BackendSalesTable {
  merchant_id: string;
  xendit_invoice_id: string;
  xero_contact_id: string | null;
  xero_invoice_id: string | null;
  /** As Xero numbered it (migration 20261205T0710). */
  xero_invoice_number: ColumnType<string | null, string | null | undefined, string | null>;
  customer_name: ColumnType<string | null, string | null | undefined, string | null>;
  customer_email: ColumnType<string | null, string | null | undefined, string | null>;
  last_error: string | null;
  /** The mode and last 4 characters of the Xendit key whose account holds the sale (migration 20261206T1945); null: not known. */
  xendit_mode: ColumnType<'test' | 'live' | null, 'test' | 'live' | null | undefined, 'test' | 'live' | null>;
  xendit_key_hint: ColumnType<string | null, string | null | undefined, string | null>;
  /** Its Xendit invoice's external_id, which a dispute may name as reference_id (migration 20261207T0245); null: not known. */
  external_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
