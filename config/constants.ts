/**
 * Values the configuration is checked against or falls back to, kept here so config/ depends on
 * no feature of app/: the features import them from here.
 */

/**
 * Where record-payment may die between its effects. Tests (and the demo) can make the worker kill
 * itself with SIGKILL at one of them (CRASH_AT) to prove a restart still records exactly once.
 */
export const PAYMENT_CRASH_POINTS = ['after-claim', 'after-xendit-refetch', 'after-xero-accepted', 'after-store'] as const;
/**
 * The same for the books after the payment: a refund's (or lost chargeback's) credit note taken by
 * Xero and not yet stored, stored and its cash refund not yet sent, the cash refund taken and not
 * yet stored; a withdrawal's bank transfer (or, from a non-bank clearing account, its Receive Money
 * and the Spend Money of its reversal), its fee's Spend Money, or that fee's Receive Money back once the
 * withdrawal was reversed with its fee given back, taken and not yet stored; a fee given back taken and not yet
 * stored; a month's Xendit fee bill taken and not yet stored; one of Xendit's other balance movements
 * (Spend or Receive Money on the clearing account), its fee's, and, once reversed, its entry back
 * and its fee's given back, each taken and not yet stored.
 */
export const BOOKING_CRASH_POINTS = [
  'refund-credit-accepted',
  'refund-credit-stored',
  'refund-overpayment-accepted',
  'refund-cash-accepted',
  'withdrawal-transfer-accepted',
  'withdrawal-reversal-accepted',
  'withdrawal-receive-accepted',
  'withdrawal-spend-back-accepted',
  'withdrawal-fee-accepted',
  'withdrawal-fee-return-accepted',
  'fee-return-accepted',
  'fee-bill-accepted',
  'other-movement-accepted',
  'other-movement-fee-accepted',
  'other-movement-reversal-accepted',
  'other-movement-fee-return-accepted',
] as const;
/**
 * And for closing a checkout whose Xero invoice changed: Xendit expired its invoice, and the
 * checkout is not yet closed here.
 */
export const CHECKOUT_CLOSE_CRASH_POINTS = ['checkout-expired-at-xendit'] as const;
/** And for expiring a checkout's own invoice once a twin of it was paid: Xendit answered, the job not yet done. */
export const TWIN_CRASH_POINTS = ['own-invoice-expired-at-xendit'] as const;
/**
 * And for the scheduled listings, between what one page of them writes: a withdrawal's (or other
 * balance movement's) row made and its job not yet queued; its job queued and the rest of the page
 * (and the cursor past it) not; a listed refund's job queued and the rest of the page (and the
 * cursor or mark past it) not; a listed chargeback's job queued and the rest of the page (and the
 * cursor past it) not; a check of a changed invoice queued and the checkouts compared not yet noted
 * as compared; the daily look's job for a dispute it read lost queued and the dispute not yet noted
 * as settled; one of its fee looks (a return-fee job) queued and the others not.
 */
export const LISTING_CRASH_POINTS = [
  'withdrawal-listing-row-made',
  'withdrawal-listing-job-queued',
  'other-movement-listing-row-made',
  'other-movement-listing-job-queued',
  'refund-listing-job-queued',
  'chargeback-listing-job-queued',
  'checkout-compare-check-queued',
  'dispute-look-lost-queued',
  'fee-look-queued',
] as const;
export const CRASH_POINTS = [
  ...PAYMENT_CRASH_POINTS,
  ...BOOKING_CRASH_POINTS,
  ...CHECKOUT_CLOSE_CRASH_POINTS,
  ...TWIN_CRASH_POINTS,
  ...LISTING_CRASH_POINTS,
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/**
 * The granular scopes (apps created from 2 March 2026) our calls need: the admin's balances read
 * the Bank Summary report, which needs its own report scope (developer.xero.com/documentation/
 * guides/oauth2/scopes: accounting.reports.read split into one scope per report).
 */
export const DEFAULT_XERO_API_SCOPES = [
  'accounting.invoices',
  'accounting.payments',
  'accounting.banktransactions',
  'accounting.manualjournals',
  'accounting.contacts',
  'accounting.settings',
  'accounting.reports.banksummary.read',
];

/** The API scopes, plus a refresh token and the id_token. */
export const DEFAULT_OAUTH_SCOPES = [...DEFAULT_XERO_API_SCOPES, 'offline_access', 'openid', 'profile', 'email'];

/** The gateway's Xero app in demo mode ("Connect to Xero" against the simulator). */
export const DEMO_OAUTH_APP = { clientId: 'demo-oauth-app', clientSecret: 'demo-oauth-app-secret' } as const;

/** The demo's Xero webhooks key: the simulated Xero signs its invoice events with it. */
export const DEMO_WEBHOOK_KEY = 'demo-xero-webhook-key-not-secret';
