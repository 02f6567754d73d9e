import type { Db } from './db.js';
import type { SecretBox } from '../security/secrets.js';
import { createMerchantStore } from './merchants.js';
import { createCheckoutStore } from './checkouts.js';
import { createCallbackStore } from './callbacks.js';
import { createPaymentStore } from './payments.js';
import { createJobStore } from './jobs.js';
import { createReviewJobStore } from './review-jobs.js';
import { createRateLimitStore } from './rate-limits.js';
import { createPayClickStore } from './pay-clicks.js';
import { createUserStore } from './users.js';
import { createSessionStore } from './sessions.js';
import { createDashboardStore } from './dashboard.js';
import { createBackendSaleStore } from './backend-sales.js';
import { createXeroTokenStore } from './xero-tokens.js';
import { createXeroConnectionStore } from './xero-connections.js';
import { createConnectLinkStore } from './connect-links.js';
import { createAuditStore } from './audit.js';
import { createListingStore } from './listing.js';
import { createRefundListingStore } from './refund-listing.js';
import { createSecretsStore } from './secrets-reseal.js';
import { createHousekeepingStore } from './housekeeping.js';
import { createMetricsStore } from './metrics.js';
import { createInvoiceWatchStore } from './invoice-watch.js';
import { createAlertStore } from './alerts.js';
import { createOpenInvoiceStore } from './open-invoices.js';
import { createRefundStore } from './refunds.js';
import { createRefundRequestStore } from './refund-requests.js';
import { createSettlementStore } from './settlements.js';
import { createListingFloorStore } from './listing-floors.js';
import { createOtherMovementStore } from './other-movements.js';
import { createFeeBillStore } from './fee-bills.js';
import { createFeeReturnStore } from './fee-returns.js';
import { createOpenDisputeStore } from './open-disputes.js';
import { createKnownDisputeStore } from './known-disputes.js';
import { createClearingPostStore } from './clearing-posts.js';
import { createPendingRefundStore } from './pending-refunds.js';
import { createReportRunStore } from './report-runs.js';
import { createXenditBusinessStore } from './xendit-businesses.js';

/** All repositories over one database handle. */
export function createStores(db: Db, box: SecretBox) {
  return {
    db,
    merchants: createMerchantStore(db, box),
    checkouts: createCheckoutStore(db, box),
    callbacks: createCallbackStore(db),
    payments: createPaymentStore(db),
    refunds: createRefundStore(db),
    refundRequests: createRefundRequestStore(db),
    settlements: createSettlementStore(db),
    listingFloors: createListingFloorStore(db),
    otherMovements: createOtherMovementStore(db),
    feeBills: createFeeBillStore(db),
    feeReturns: createFeeReturnStore(db),
    clearingPosts: createClearingPostStore(db),
    openDisputes: createOpenDisputeStore(db),
    knownDisputes: createKnownDisputeStore(db),
    pendingRefunds: createPendingRefundStore(db),
    reportRuns: createReportRunStore(db),
    jobs: createJobStore(db),
    reviewJobs: createReviewJobStore(db),
    rateLimits: createRateLimitStore(db),
    payClicks: createPayClickStore(db, box),
    users: createUserStore(db),
    sessions: createSessionStore(db),
    dashboard: createDashboardStore(db),
    backendSales: createBackendSaleStore(db),
    xeroTokens: createXeroTokenStore(db, box),
    xeroConnections: createXeroConnectionStore(db, box),
    connectLinks: createConnectLinkStore(db),
    audit: createAuditStore(db),
    listing: createListingStore(db),
    refundListing: createRefundListingStore(db),
    xenditBusinesses: createXenditBusinessStore(db),
    secrets: createSecretsStore(db, box),
    housekeeping: createHousekeepingStore(db),
    metrics: createMetricsStore(db),
    invoiceWatch: createInvoiceWatchStore(db),
    alerts: createAlertStore(db),
    openInvoices: createOpenInvoiceStore(db),
  };
}

export type Stores = ReturnType<typeof createStores>;
