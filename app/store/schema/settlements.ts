import type { ColumnType } from 'kysely';
import type { Int8, Timestamp } from './columns.js';

/** Withdrawals to the merchant's bank and Xendit's monthly fee bills. */

/** The Xero bank account a merchant's withdrawals in one currency go to (migration 20261205T1215). */
export interface SettlementAccountsTable {
  merchant_id: string;
  currency: string;
  account_id: string;
}

/**
 * The Xero bank account the withdrawals to one destination (Xendit's account_identifier) in one
 * currency go to, over settlement_accounts' (migration 20261207T0517).
 */
export interface SettlementDestinationsTable {
  merchant_id: string;
  currency: string;
  account_identifier: string;
  account_id: string;
}

/** A withdrawal from the merchant's Xendit balance and its Bank Transfer in Xero (migration 20261205T1215). */
export interface WithdrawalsTable {
  id: string;
  merchant_id: string;
  xendit_transaction_id: string;
  currency: string;
  amount: Int8;
  state: ColumnType<WithdrawalState, WithdrawalState | undefined, WithdrawalState>;
  xero_bank_transfer_id: string | null;
  transfer_attempt_at: Timestamp | null;
  last_error: string | null;
  withdrawn_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Migration 20261205T1900: when the bank sent it back (Xendit: REVERSED; the transaction's updated time). */
  reversed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  reversal_attempt_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  xero_reversal_transfer_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Migration 20261206T1200: how the money left the clearing account in Xero (null: nothing sent yet). */
  entry_kind: ColumnType<WithdrawalEntryKind | null, WithdrawalEntryKind | null | undefined, WithdrawalEntryKind | null>;
  /** Migration 20261206T1942: the clearing account the money left in Xero. */
  clearing_account: ColumnType<string | null, string | null | undefined, string | null>;
  /** Migration 20261207T0517: where it went, as Xendit names it (null: Xendit said nothing, or a row from before). */
  account_identifier: ColumnType<string | null, string | null | undefined, string | null>;
  channel_code: ColumnType<string | null, string | null | undefined, string | null>;
  /** Migration 20261207T0626: Xendit's fee on it and the Spend Money booking that fee. */
  fee: ColumnType<string | number, number | undefined, number>;
  fee_in_amount: ColumnType<boolean, boolean | undefined, boolean>;
  fee_attempt_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  xero_fee_entry_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Migration 20261207T0808: Xendit gave the fee back with the reversed payout, and the Receive Money booking that. */
  fee_returned: ColumnType<boolean, boolean | undefined, boolean>;
  fee_return_attempt_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  xero_fee_return_entry_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Migration 20261207T1727: when Xendit gave back a fee it kept at the reversal (null: with the reversal). */
  fee_returned_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Migration 20261207T0816: the VAT part of `fee`, and what the entry out carried into the settlement bank. */
  fee_tax: ColumnType<string | number, number | undefined, number>;
  transfer_amount: ColumnType<string | number | null, number | null | undefined, number | null>;
  /** Migration 20261207T1119: when the listing queued a reversed row's job again for the fee Xendit kept. */
  fee_kept_noted_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Migration 20261207T1403: when it was read again by its id, no longer listed, for a fee Xendit kept. */
  kept_fee_read_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Migration 20261207T1653: how often it was read again by its id (the last at kept_fee_read_at). */
  kept_fee_reads: ColumnType<number, number | undefined, number>;
}

/** Migration 20261206T1400: where an unfinished withdrawal listing continues (jobs/sync/list-withdrawals.ts). */
export interface WithdrawalListCursorsTable {
  merchant_id: string;
  /** The mode of the key whose account is listed (migration 20261206T1944). */
  mode: 'test' | 'live';
  currency: string;
  /** 'other': Xendit's other balance movements (migration 20261206T2345, jobs/sync/list-other-movements.ts); 'other_updated': those made before its window and changed since (migration 20261207T1653); 'chargeback': lost disputes' CHARGEBACK transactions (migration 20261207T1655, jobs/sync/list-chargebacks.ts); 'refund': REFUND transactions (migration 20261208T0050, jobs/sync/list-refund-transactions.ts). */
  listing: 'created' | 'reversed' | 'other' | 'other_updated' | 'chargeback' | 'refund';
  since: Timestamp;
  after_id: string;
  started_at: Timestamp;
  /** Migration 20261207T2305: the oldest `created` the unfinished walk read; the next run goes on from it by time (null: after after_id). */
  reached: Timestamp | null;
}

/** A Bank Transfer out of a BANK clearing account; a Receive Money into the settlement bank coded to any other. */
export type WithdrawalEntryKind = 'transfer' | 'receive';

/**
 * waiting: no settlement bank account picked for its currency yet (the merchant must pick one);
 * reversed: sent back by the bank, and both transfers in Xero (or neither): nothing left to do.
 */
export type WithdrawalState = 'pending' | 'waiting' | 'recorded' | 'needs_review' | 'test_mode' | 'reversed' | 'handled';

/** A movement of the Xendit balance of another type than payments, refunds and withdrawals, booked in Xero (migration 20261206T2345). */
export interface OtherMovementsTable {
  id: string;
  merchant_id: string;
  xendit_transaction_id: string;
  /** The Transactions API type (TRANSFER, TOPUP, DISBURSEMENT, …). */
  type: string;
  currency: string;
  /** Minor units; negative: out of the balance (MONEY_OUT). */
  amount: Int8;
  moved_at: Timestamp;
  state: ColumnType<OtherMovementState, OtherMovementState | undefined, OtherMovementState>;
  /** The Spend Money or Receive Money on the clearing account. */
  xero_bank_transaction_id: string | null;
  attempt_at: Timestamp | null;
  /** The clearing account the entry is on, set with the attempt mark (store/clearing-posts.ts). */
  clearing_account: string | null;
  last_error: string | null;
  /** A reserve hold or release booked by an earlier version: when a person was told to void it (migration 20261207T0341). */
  reserve_alerted_at: Timestamp | null;
  /** Xendit's fee and VAT on it (minor units; 0: none known), and whether it came out of money out's `amount` (migration 20261207T0824). */
  fee: ColumnType<string | number, number | undefined, number>;
  fee_in_amount: ColumnType<boolean, boolean | undefined, boolean>;
  /** The VAT part of `fee` (migration 20261207T1100). */
  fee_tax: ColumnType<string | number, number | undefined, number>;
  fee_attempt_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The fee's Spend Money out of the clearing account. */
  xero_fee_entry_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** What the movement's entry carried (minor units, a size), set with its attempt mark. */
  entry_amount: ColumnType<string | number | null, number | null | undefined, number | null>;
  /** Listed REVERSED by Xendit (sent back into the balance), and when its booked entries went to review (migration 20261207T0845). */
  reversed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  reversal_told_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Booked back once reversed, its fee given back with it, and their attempt marks (migration 20261207T1143). */
  xero_reversal_entry_id: ColumnType<string | null, string | null | undefined, string | null>;
  reversal_attempt_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  fee_returned: ColumnType<boolean, boolean | undefined, boolean>;
  xero_fee_return_entry_id: ColumnType<string | null, string | null | undefined, string | null>;
  fee_return_attempt_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Migration 20261207T1727: when Xendit gave back a fee it kept at the reversal (null: with the reversal). */
  fee_returned_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** When the listing queued it again, off with the fee Xendit kept on it unbooked (migration 20261207T1159). */
  fee_kept_noted_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Migration 20261207T1403: when it was read again by its id, no longer listed, for a fee Xendit kept. */
  kept_fee_read_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Migration 20261207T1653: how often it was read again by its id (the last at kept_fee_read_at). */
  kept_fee_reads: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** off: the setting was turned off before it was booked; test_mode: moved with a test key, kept out of a real organisation. */
export type OtherMovementState = 'pending' | 'recorded' | 'needs_review' | 'test_mode' | 'off' | 'handled';

/** Xendit's monthly fee invoice and its bill in Xero (migration 20261205T1600). */
export interface FeeBillsTable {
  id: string;
  merchant_id: string;
  period: string; // YYYY-MM
  currency: string;
  fees: Int8;
  vat: Int8;
  transactions: number;
  xendit_invoice_number: string | null;
  state: ColumnType<FeeBillState, FeeBillState | undefined, FeeBillState>;
  xero_invoice_id: string | null;
  attempt_at: Timestamp | null;
  last_error: string | null;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type FeeBillState = 'pending' | 'recorded' | 'needs_review' | 'test_mode' | 'handled';

/** Migration 20261207T1655: from when a listing an upgrade added may book (store/listing-floors.ts). */
export interface ListingFloorsTable {
  listing: 'chargeback' | 'refund';
  since: ColumnType<Date, Date | undefined, Date>;
}
