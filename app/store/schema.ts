import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/** pg returns int8 as a string (it may exceed 2^53); repositories convert it exactly. */
type Int8 = ColumnType<number | string, number, number>;
/** bigserial: generated on insert, read like Int8. */
type SerialId = ColumnType<number | string, never, never>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;

export type MerchantStatus = 'onboarding' | 'active' | 'disconnected' | 'disabled';
export type CheckoutStatus = 'creating' | 'open' | 'paid' | 'expired' | 'superseded';
/** test_mode: paid with a Xendit test key into an organisation not marked as a test company: never sent to Xero. */
export type SyncState = 'pending' | 'recorded' | 'needs_review' | 'test_mode';
export type FeeState = 'pending' | 'posted' | 'not_needed' | 'needs_review';
/** A fee's entry in Xero: Spend Money out of a clearing bank account, or a manual journal. */
export type FeeEntryKind = 'spend' | 'journal';
export type FeePosting = 'bank_transaction' | 'manual_journal' | 'off';
/** How Xendit bills its fees: kept from each payment (its default) or invoiced separately. */
export type XenditFeeBilling = 'deducted' | 'invoiced';
export type JobState = 'queued' | 'running' | 'done' | 'needs_review';

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
  listing_paid_after: Timestamp | null;
  listing_window_end: Timestamp | null;
  listing_last_invoice_id: string | null;
  /** Migration 20261206T1300: the refund listing's cursor when Xendit lists refunds oldest first (null: none). */
  refund_list_after_id: ColumnType<string | null, string | null | undefined, string | null>;
  status: MerchantStatus;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ClearingAccountsTable {
  merchant_id: string;
  currency: string;
  account_id: string;
}

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
  xero_overpayment_id: string | null;
  /** Set before a create is sent to Xero, cleared once Xero answered (migration 020). */
  xero_attempt_at: Timestamp | null;
  fee_attempt_at: Timestamp | null;
  /** How the last attempt sent the fee, and against which clearing account (migration 20261206T1510). */
  fee_entry_kind: ColumnType<FeeEntryKind | null, FeeEntryKind | null | undefined, FeeEntryKind | null>;
  fee_entry_account: ColumnType<string | null, string | null | undefined, string | null>;
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
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface JobsTable {
  id: SerialId;
  kind: string;
  merchant_id: string | null;
  payload: JSONColumnType<Record<string, unknown>>;
  dedupe_key: string | null;
  state: JobState;
  attempts: Generated<number>;
  max_attempts: number;
  run_at: Timestamp;
  locked_until: Timestamp | null;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RateLimitsTable {
  key: string;
  window_start: Timestamp;
  hits: number;
}

export type UserRole = 'operator' | 'merchant';

export interface UsersTable {
  id: string;
  email: string;
  password_hash: string;
  role: UserRole;
  merchant_id: string | null;
  /** For merchant users: owner may change keys, accounts, Xero, settings and users; staff only reads. */
  merchant_role: Generated<MerchantRole>;
  disabled_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** No alert e-mails for this user (migration 20261205T0640). */
  alerts_opt_out: Generated<boolean>;
  created_at: Timestamp;
}

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
  last_error: string | null;
  refunded_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type RefundState = 'pending' | 'recorded' | 'needs_review' | 'test_mode';
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

/** The Xero bank account a merchant's withdrawals in one currency go to (migration 20261205T1215). */
export interface SettlementAccountsTable {
  merchant_id: string;
  currency: string;
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
}

/** Migration 20261206T1400: where an unfinished withdrawal listing continues (jobs/sync/list-withdrawals.ts). */
export interface WithdrawalListCursorsTable {
  merchant_id: string;
  currency: string;
  listing: 'created' | 'reversed';
  since: Timestamp;
  after_id: string;
  started_at: Timestamp;
}

/**
 * waiting: no settlement bank account picked for its currency yet (the merchant must pick one);
 * reversed: sent back by the bank, and both transfers in Xero (or neither): nothing left to do.
 */
/** A Bank Transfer out of a BANK clearing account; a Receive Money into the settlement bank coded to any other. */
export type WithdrawalEntryKind = 'transfer' | 'receive';

export type WithdrawalState = 'pending' | 'waiting' | 'recorded' | 'needs_review' | 'test_mode' | 'reversed';

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

export type FeeBillState = 'pending' | 'recorded' | 'needs_review' | 'test_mode';

/** A dispute still open when last read (migration 20261205T2320). */
export interface OpenDisputesTable {
  merchant_id: string;
  xendit_dispute_id: string;
  status: string;
  next_look_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A change of a merchant's Xendit fee billing (migration 20261205T2300). */
export interface FeeBillingChangesTable {
  id: Generated<string>;
  merchant_id: string;
  changed_at: Timestamp;
  billing_before: XenditFeeBilling;
  billing_after: XenditFeeBilling;
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

/** A merchant's open sales invoice numbers as last read from Xero (migration 20261205T0720). */
export interface OpenInvoiceNumbersTable {
  merchant_id: string;
  invoice_number: string;
  seen_at: Timestamp;
}

/** Something a person should know (migration 20261205T0640): mailed in the next digest. */
export interface AlertsTable {
  id: SerialId;
  merchant_id: string | null;
  kind: string;
  /** A message key and its parameters (i18n encodeMessage). */
  message: string;
  /** The user whose own action raised it: not told about it. */
  except_user_id: string | null;
  dedupe_key: string | null;
  created_at: Timestamp;
  mailed_at: Timestamp | null;
}

/** The outbox: one digest per recipient, sent once the SMTP server accepted it. */
export interface AlertMailsTable {
  id: SerialId;
  recipient: string;
  subject: string;
  body: string;
  created_at: Timestamp;
  sent_at: Timestamp | null;
  locked_until: Timestamp | null;
  attempts: Generated<number>;
  last_error: string | null;
}

export type MerchantRole = 'owner' | 'staff';

export interface UserLinksTable {
  token_hash: string;
  user_id: string;
  purpose: 'invite' | 'reset';
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface AuditLogTable {
  id: SerialId;
  merchant_id: string | null;
  user_id: string | null;
  user_email: string;
  action: string;
  detail: JSONColumnType<Record<string, string | number | boolean | null>, string | undefined, string>;
  at: Timestamp;
}

export interface SessionsTable {
  id_hash: string;
  user_id: string | null;
  csrf_token: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  /** When the user last typed their password in this session (sign-in or step-up). */
  reauth_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface SetupTokensTable {
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface LoginAttemptsTable {
  key: string;
  window_start: Timestamp;
  count: number;
}

export interface XeroCallsTable {
  key: string;
  minute_start: Timestamp;
  minute_used: ColumnType<number, number | undefined, number>;
  day_start: Timestamp;
  day_used: ColumnType<number, number | undefined, number>;
  blocked_until: Timestamp | null;
}

export interface XeroSlotsTable {
  id: string;
  key: string;
  lease_until: Timestamp;
}

/** One OAuth token set per merchant, sealed (app/security/secrets.ts); its row lock serialises refreshes. */
export interface XeroTokensTable {
  merchant_id: string;
  token_set_enc: string;
  expires_at: Timestamp;
  updated_at: Timestamp;
}

export interface XeroOAuthStatesTable {
  state_hash: string;
  session_hash: string;
  /** Null when the request was started from a connect link (connect_link_hash) instead of an admin user. */
  user_id: string | null;
  merchant_id: string | null;
  code_verifier_enc: string;
  nonce: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  pick_token_hash: string | null;
  pending_token_set_enc: string | null;
  pending_tenants: JSONColumnType<{ tenantId: string; tenantName: string; connectionId: string }[] | null, string | null, string | null>;
  connect_link_hash: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
}

export interface PayMissesTable {
  merchant_id: string;
  invoice_number: string;
  /** The link's hints as asked (pay/link-hint.ts linkKey); migration 20261206T1750. */
  link: string;
  until: Timestamp;
}

export interface XeroConnectLinksTable {
  token_hash: string;
  merchant_id: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface Database {
  merchants: MerchantsTable;
  clearing_accounts: ClearingAccountsTable;
  checkouts: CheckoutsTable;
  callback_events: CallbackEventsTable;
  payments: PaymentsTable;
  backend_sales: BackendSalesTable;
  jobs: JobsTable;
  rate_limits: RateLimitsTable;
  users: UsersTable;
  alerts: AlertsTable;
  open_invoice_numbers: OpenInvoiceNumbersTable;
  refunds: RefundsTable;
  refund_requests: RefundRequestsTable;
  settlement_accounts: SettlementAccountsTable;
  withdrawals: WithdrawalsTable;
  withdrawal_list_cursors: WithdrawalListCursorsTable;
  fee_bills: FeeBillsTable;
  fee_returns: FeeReturnsTable;
  fee_billing_changes: FeeBillingChangesTable;
  open_disputes: OpenDisputesTable;
  alert_mails: AlertMailsTable;
  sessions: SessionsTable;
  setup_tokens: SetupTokensTable;
  login_attempts: LoginAttemptsTable;
  xero_calls: XeroCallsTable;
  xero_slots: XeroSlotsTable;
  xero_tokens: XeroTokensTable;
  xero_oauth_states: XeroOAuthStatesTable;
  xero_connect_links: XeroConnectLinksTable;
  pay_misses: PayMissesTable;
  user_links: UserLinksTable;
  audit_log: AuditLogTable;
}
