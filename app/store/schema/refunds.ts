import type { ColumnType } from 'kysely';
import type { Int8, Timestamp } from './columns.js';

/** Money going back: refunds, chargebacks (open disputes) and fees Xendit gave back. */

/** A refund made at Xendit and its credit note + cash refund in Xero (migration 20261205T0910). */
export interface RefundsTable {
  id: string;
  merchant_id: string;
  payment_id: string;
  xendit_refund_id: string;
  currency: string;
  amount: Int8;
  reason: string | null;
  /** 'chargeback': a lost dispute, its dispute id in xendit_refund_id (migration 20261205T1000). */
  kind: ColumnType<RefundKind, RefundKind | undefined, RefundKind>;
  state: ColumnType<RefundState, RefundState | undefined, RefundState>;
  xero_credit_note_id: string | null;
  xero_refund_payment_id: string | null;
  credit_attempt_at: Timestamp | null;
  refund_attempt_at: Timestamp | null;
  /** Migration 20261206T1000: the part refunded on the payment's Xero overpayment. */
  overpayment_part: Int8 | null;
  xero_overpayment_refund_id: string | null;
  overpayment_refund_attempt_at: Timestamp | null;
  /** The clearing account the refund was paid out of (migration 20261206T1942). */
  clearing_account: ColumnType<string | null, string | null | undefined, string | null>;
  /** Migration 20261207T0520: the sale's accounts archived in Xero whose credit note lines went to credit_moved_to, the sales account. */
  credit_archived_accounts: ColumnType<string[] | null, string[] | null | undefined, string[] | null>;
  credit_moved_to: ColumnType<string | null, string | null | undefined, string | null>;
  /** Migration 20261207T2003: a chargeback's fee, read from its CHARGEBACK transaction (null: not read), and its Spend Money. */
  chargeback_txn_id: ColumnType<string | null, string | null | undefined, string | null>;
  fee: Int8 | null;
  fee_tax: Int8 | null;
  fee_withheld: Int8 | null;
  fee_attempt_at: Timestamp | null;
  xero_fee_txn_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Migration 20261207T2230: the fee's entry kind in Xero, and the CHARGEBACK transaction's amount and whether its fee came out of it. */
  fee_entry_kind: ColumnType<'spend' | 'journal' | null, 'spend' | 'journal' | null | undefined, 'spend' | 'journal' | null>;
  chargeback_amount: Int8 | null;
  fee_in_amount: ColumnType<boolean | null, boolean | null | undefined, boolean | null>;
  last_error: string | null;
  refunded_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type RefundState = 'pending' | 'recorded' | 'needs_review' | 'test_mode' | 'handled';

export type RefundKind = 'refund' | 'chargeback';

/** A refund asked of Xendit from the admin (migration 20261205T1010). */
export interface RefundRequestsTable {
  id: string;
  merchant_id: string;
  payment_id: string;
  requested_by: string | null;
  currency: string;
  amount: Int8;
  reason: string;
  state: ColumnType<RefundRequestState, RefundRequestState | undefined, RefundRequestState>;
  xendit_refund_id: string | null;
  attempt_at: Timestamp | null;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type RefundRequestState = 'sending' | 'sent' | 'refused';

/** A dispute as Xendit last read it: which payment it took back (migration 20261207T2232_known_disputes). */
export interface KnownDisputesTable {
  merchant_id: string;
  xendit_dispute_id: string;
  xendit_payment_id: string | null;
  currency: string;
  amount: Int8;
  status: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A dispute still open when last read (migration 20261205T2320). */
export interface OpenDisputesTable {
  merchant_id: string;
  xendit_dispute_id: string;
  status: string;
  next_look_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A refund the refund listing saw PENDING, read again by id until it ends (migration 20261206T1946). */
export interface PendingRefundsTable {
  merchant_id: string;
  mode: 'test' | 'live';
  xendit_refund_id: string;
  created: Timestamp;
  looked_at: Timestamp;
}

/** Receive Money into a bank clearing account, or a manual journal on any other. */
export type FeeReturnEntryKind = 'receive' | 'journal';

/** A payment's fee Xendit gave back, and its entry in Xero (migration 20261205T2100). */
export interface FeeReturnsTable {
  payment_id: string;
  merchant_id: string;
  refund_id: string;
  returned_at: Timestamp;
  fee: Int8;
  tax: Int8;
  entry_kind: FeeReturnEntryKind | null;
  entry_account: string | null;
  attempt_at: Timestamp | null;
  xero_entry_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}
