/**
 * The database as Kysely sees it: one interface per table, kept by area in schema/, re-exported
 * here so every import of store/schema.js keeps working.
 */
export * from './schema/merchants.js';
export * from './schema/payments.js';
export * from './schema/jobs.js';
export * from './schema/refunds.js';
export * from './schema/settlements.js';
export * from './schema/users.js';
export * from './schema/xero.js';

import type {
  MerchantsTable,
  ClearingAccountsTable,
  FeeBillingChangesTable,
  OpenInvoiceNumbersTable,
  OpenInvoicePassesTable,
  PayMissesTable,
  PaidListingCursorsTable,
  RefundListCursorsTable,
  RefundListMarksTable,
  XenditKeyBusinessesTable,
  XenditListedSinceTable,
} from './schema/merchants.js';
import type { CheckoutsTable, CallbackEventsTable, PaymentsTable, BackendSalesTable } from './schema/payments.js';
import type { JobsTable, RateLimitsTable, ReportRunsTable, ReviewHandledTable } from './schema/jobs.js';
import type { RefundsTable, RefundRequestsTable, OpenDisputesTable, KnownDisputesTable, FeeReturnsTable, PendingRefundsTable } from './schema/refunds.js';
import type {
  SettlementAccountsTable,
  SettlementDestinationsTable,
  WithdrawalsTable,
  WithdrawalListCursorsTable,
  ListingFloorsTable,
  OtherMovementsTable,
  FeeBillsTable,
} from './schema/settlements.js';
import type {
  UsersTable,
  UserLinksTable,
  AuditLogTable,
  SessionsTable,
  SetupTokensTable,
  LoginAttemptsTable,
  AlertsTable,
  AlertMailsTable,
} from './schema/users.js';
import type { XeroCallsTable, XeroSlotsTable, XeroTokensTable, XeroOAuthStatesTable, XeroConnectLinksTable } from './schema/xero.js';

export interface Database {
  merchants: MerchantsTable;
  clearing_accounts: ClearingAccountsTable;
  checkouts: CheckoutsTable;
  callback_events: CallbackEventsTable;
  payments: PaymentsTable;
  backend_sales: BackendSalesTable;
  jobs: JobsTable;
  rate_limits: RateLimitsTable;
  report_runs: ReportRunsTable;
  users: UsersTable;
  alerts: AlertsTable;
  open_invoice_numbers: OpenInvoiceNumbersTable;
  open_invoice_passes: OpenInvoicePassesTable;
  refunds: RefundsTable;
  refund_requests: RefundRequestsTable;
  settlement_accounts: SettlementAccountsTable;
  settlement_destinations: SettlementDestinationsTable;
  withdrawals: WithdrawalsTable;
  withdrawal_list_cursors: WithdrawalListCursorsTable;
  listing_floors: ListingFloorsTable;
  other_movements: OtherMovementsTable;
  paid_listing_cursors: PaidListingCursorsTable;
  refund_list_cursors: RefundListCursorsTable;
  refund_list_marks: RefundListMarksTable;
  xendit_key_businesses: XenditKeyBusinessesTable;
  xendit_listed_since: XenditListedSinceTable;
  fee_bills: FeeBillsTable;
  fee_returns: FeeReturnsTable;
  fee_billing_changes: FeeBillingChangesTable;
  open_disputes: OpenDisputesTable;
  known_disputes: KnownDisputesTable;
  pending_refunds: PendingRefundsTable;
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
  review_handled: ReviewHandledTable;
}
