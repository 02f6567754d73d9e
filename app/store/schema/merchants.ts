import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { Timestamp } from './columns.js';

/** Merchants and their settings' tables. */

export type MerchantStatus = 'onboarding' | 'active' | 'disconnected' | 'disabled';

export type FeePosting = 'bank_transaction' | 'manual_journal' | 'off';

/** How Xendit bills its fees: kept from each payment (its default) or invoiced separately. */
export type XenditFeeBilling = 'deducted' | 'invoiced';

export interface MerchantsTable {
  id: string;
  name: string;
  short_code: string;
  xero_connection: 'custom' | 'oauth';
  xero_tenant_id: string;
  xero_client_id: string;
  xero_client_secret_enc: string;
  /** The active mode's key (what /pay, callbacks and jobs use); a copy of one of the two below. */
  xendit_secret_key_enc: string | null;
  xendit_test_key_enc: ColumnType<string | null, string | null | undefined, string | null>;
  xendit_live_key_enc: ColumnType<string | null, string | null | undefined, string | null>;
  callback_token_enc: string | null;
  mode: 'test' | 'live';
  clearing_account_id: string | null;
  /** clearing_account_id's currency; null until known (migration 20261206T1540). */
  clearing_currency: ColumnType<string | null, string | null | undefined, string | null>;
  fee_account_code: string | null;
  /** Migration 20261206T1930: where tax Xendit withholds is booked; null: not set. */
  withholding_account_code: string | null;
  sales_account_code: string | null;
  /** Xero TaxType on backend-flow sales (LineAmountTypes Inclusive); null: no tax. */
  sales_tax_type: ColumnType<string | null, string | null | undefined, string | null>;
  fee_posting: Generated<FeePosting>;
  xendit_fee_billing: Generated<XenditFeeBilling>;
  backend_flow: Generated<boolean>;
  xero_day_limit: ColumnType<number | null, number | null | undefined, number | null>;
  /** Set while Xero refuses our tokens (invalid_grant) or after a disconnect: the merchant's jobs wait. */
  xero_disconnected_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  xero_disconnect_reason: ColumnType<string | null, string | null | undefined, string | null>;
  overpayments: Generated<boolean>;
  /** Customers may pay part of an invoice, at least this percent of what is due; null: off (migration 20261205T0650). */
  partial_min_percent: ColumnType<number | null, number | null | undefined, number | null>;
  /** How long a checkout stays payable, hours; null: the configured default (migration 20261205T0700). */
  checkout_hours: ColumnType<number | null, number | null | undefined, number | null>;
  /** Xendit e-mails the customer its receipt when paid. */
  xendit_receipts: Generated<boolean>;
  /** The Xendit channels offered; null: every channel (migration 20261205T0730). */
  payment_methods: ColumnType<string[] | null, string[] | null | undefined, string[] | null>;
  xero_test_organisation: Generated<boolean>;
  xero_timezone: string | null;
  xero_lock_date: string | null;
  xero_lock_read_at: Date | null;
  /** Migration 20261206T1530: the organisation's BaseCurrency, once read (null until then). */
  xero_base_currency: ColumnType<string | null, string | null | undefined, string | null>;
  /** Migration 20261206T2345: the account Xendit's other balance movements are booked against (by code); null: off. */
  other_movements_account_code: ColumnType<string | null, string | null | undefined, string | null>;
  /** When that was turned on: nothing that moved before is booked. */
  other_movements_since: ColumnType<Date | null, Date | null | undefined, Date | null>;
  status: MerchantStatus;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ClearingAccountsTable {
  merchant_id: string;
  currency: string;
  account_id: string;
}

/** A change of a merchant's Xendit fee billing (migration 20261205T2300). */
export interface FeeBillingChangesTable {
  id: Generated<string>;
  merchant_id: string;
  changed_at: Timestamp;
  billing_before: XenditFeeBilling;
  billing_after: XenditFeeBilling;
}

/** A merchant's open sales invoice numbers as last read from Xero (migration 20261205T0720). */
/** Migration 20261207T2210: a pass over the open invoices left part way (jobs/sync/open-invoices.ts). */
export interface OpenInvoicePassesTable {
  merchant_id: string;
  started_at: Timestamp;
  page: number;
  last_read: JSONColumnType<{ id: string; at: string }[]>;
  /** Migration 20261207T2300: when the last complete pass began. */
  previous_started_at: Timestamp | null;
}

export interface OpenInvoiceNumbersTable {
  merchant_id: string;
  invoice_number: string;
  seen_at: Timestamp;
  /** What the invoice's own pay link carries, as last read (decimal strings); migration 20261206T1943. */
  currency: string | null;
  amount_due: string | null;
  total: string | null;
}

export interface PayMissesTable {
  merchant_id: string;
  invoice_number: string;
  /** The link's hints as asked (pay/link-hint.ts linkKey); migration 20261206T1750. */
  link: string;
  until: Timestamp;
}

/** Migration 20261206T1944: where the backend flow's listing of paid invoices stands, per merchant and key mode (list-paid.ts). */
export interface PaidListingCursorsTable {
  merchant_id: string;
  mode: 'test' | 'live';
  paid_after: Timestamp;
  window_end: Timestamp | null;
  last_invoice_id: string | null;
}

/** Migration 20261206T1944: the refund listing's after_id per key mode, when Xendit lists refunds oldest first (list-refunds.ts). */
export interface RefundListCursorsTable {
  merchant_id: string;
  mode: 'test' | 'live';
  after_id: string;
}

/** Migration 20261206T2129: how far back the refund listing has read, per key mode, when Xendit lists refunds newest first (list-refunds.ts). */
export interface RefundListMarksTable {
  merchant_id: string;
  mode: 'test' | 'live';
  mark_id: string | null;
  mark_created: Timestamp | null;
  walk_after_id: string | null;
  walk_top_id: string | null;
  walk_top_created: Timestamp | null;
  walk_started_at: Timestamp | null;
}

/** Migration 20261206T2150: the Xendit business of each stored key (one merchant per Xendit account and mode). */
export interface XenditKeyBusinessesTable {
  merchant_id: string;
  mode: 'test' | 'live';
  business_id: string | null;
  shared_business: string | null;
  looked_at: Timestamp;
}

/**
 * Migration 20261207T0526: from when a Xendit account (business, key mode) is the merchant's: when a
 * key of it was first stored; a later key of the same business keeps it. Listings read nothing older.
 */
export interface XenditListedSinceTable {
  merchant_id: string;
  mode: 'test' | 'live';
  business_id: string;
  since: Timestamp;
}
