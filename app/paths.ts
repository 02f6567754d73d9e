/** Every route the gateway serves, named once; views and redirects build links from here. */
export const paths = {
  home: '/',
  pay: '/pay',
  payReturn: '/pay/return',
  xenditCallback: '/callbacks/xendit/:merchantId',
  /** Xendit's refund webhooks (Settings → Webhooks → Refunds), with the same callback token. */
  xenditRefundCallback: '/callbacks/xendit/:merchantId/refunds',
  /** Xendit's dispute webhooks (Settings → Webhooks → Disputes), with the same callback token. */
  xenditDisputeCallback: '/callbacks/xendit/:merchantId/disputes',
  /** Xero's webhooks (invoice events) for the gateway's Xero app: one URL for every organisation. */
  xeroWebhook: '/webhooks/xero',
  healthz: '/healthz',
  readyz: '/readyz',
  metrics: '/metrics',
  simXero: '/_sim/xero',
  simXendit: '/_sim/xendit',
  simOutbox: '/_sim/outbox',
  admin: '/admin',
  adminLogin: '/admin/login',
  adminLogout: '/admin/logout',
  adminSetup: '/admin/setup/:token',
  adminUsers: '/admin/users',
  adminPaymentsCsv: '/admin/payments.csv',
  adminPayment: '/admin/payments/:paymentId',
  adminPaymentRetry: '/admin/payments/:paymentId/retry',
  adminPaymentRefund: '/admin/payments/:paymentId/refund',
  adminMerchantNew: '/admin/merchants/new',
  adminMerchant: '/admin/merchants/:merchantId',
  adminMerchantXendit: '/admin/merchants/:merchantId/xendit',
  adminMerchantAccounts: '/admin/merchants/:merchantId/accounts',
  adminMerchantXenditBank: '/admin/merchants/:merchantId/accounts/xendit-bank',
  adminMerchantXenditMode: '/admin/merchants/:merchantId/xendit/mode',
  adminMerchantSettings: '/admin/merchants/:merchantId/settings',
  adminMerchantSettlement: '/admin/merchants/:merchantId/settings/settlement',
  adminMerchantFeeBills: '/admin/merchants/:merchantId/fee-bills',
  adminMerchantFeeBillsPreview: '/admin/merchants/:merchantId/fee-bills/preview',
  adminMerchantFeeBillsBook: '/admin/merchants/:merchantId/fee-bills/book',
  adminMerchantDisputes: '/admin/merchants/:merchantId/disputes',
  adminMerchantDisputesReport: '/admin/merchants/:merchantId/disputes/report',
  adminMerchantPaymentService: '/admin/merchants/:merchantId/payment-service',
  /** What the worker stopped trying to book, besides payments: each with its Retry. */
  adminMerchantReview: '/admin/merchants/:merchantId/review',
  adminMerchantReviewRetry: '/admin/merchants/:merchantId/review/:jobId/retry',
  adminMerchantReviewHandled: '/admin/merchants/:merchantId/review/:jobId/handled',
  adminReport: '/admin/report',
  adminReportCsv: '/admin/report.csv',
  adminXeroConnect: '/admin/xero/connect',
  adminXeroCallback: '/admin/xero/callback',
  adminXeroOrganisation: '/admin/xero/organisation',
  adminConnectLink: '/admin/connect/:token',
  adminUserLink: '/admin/welcome/:token',
  adminAccount: '/admin/account',
  adminAccountAlerts: '/admin/account/alerts',
  adminReauth: '/admin/reauth',
  adminUserDisable: '/admin/users/:userId/disable',
  adminUserPasswordLink: '/admin/users/:userId/password-link',
  adminMerchantAudit: '/admin/merchants/:merchantId/audit',
  adminMerchantXeroDisconnect: '/admin/merchants/:merchantId/xero/disconnect',
} as const;

type MerchantPage =
  | 'adminMerchant'
  | 'adminMerchantXendit'
  | 'adminMerchantAccounts'
  | 'adminMerchantXenditBank'
  | 'adminMerchantXenditMode'
  | 'adminMerchantSettings'
  | 'adminMerchantSettlement'
  | 'adminMerchantFeeBills'
  | 'adminMerchantFeeBillsPreview'
  | 'adminMerchantFeeBillsBook'
  | 'adminMerchantDisputes'
  | 'adminMerchantDisputesReport'
  | 'adminMerchantPaymentService'
  | 'adminMerchantReview'
  | 'adminMerchantAudit'
  | 'adminMerchantXeroDisconnect';

/** An invoice in Xero's web app (XERO_APP_URL: go.xero.com, or the simulator in demo mode). */
export function xeroInvoiceUrl(appUrl: string, invoiceId: string): string {
  return `${appUrl}/AccountsReceivable/View.aspx?InvoiceID=${encodeURIComponent(invoiceId)}`;
}

/**
 * A fee's entry in Xero's web app: a Spend Money at the bank transaction page (developer.xero.com
 * "Deep link to Xero": Bank Transactions); a manual journal, which that page does not list among its
 * deep links, at the page Xero's app shows one on.
 */
export function xeroEntryUrl(appUrl: string, kind: 'spend' | 'journal', id: string): string {
  const at = kind === 'spend' ? '/Bank/ViewTransaction.aspx?bankTransactionID=' : '/Journal/View.aspx?invoiceID=';
  return `${appUrl}${at}${encodeURIComponent(id)}`;
}

/** An onboarding page of one merchant. */
export function adminMerchantPath(merchantId: string, page: MerchantPage = 'adminMerchant'): string {
  return paths[page].replace(':merchantId', encodeURIComponent(merchantId));
}

export function adminPaymentPath(paymentId: string): string {
  return paths.adminPayment.replace(':paymentId', encodeURIComponent(paymentId));
}

export function adminPaymentRefundPath(paymentId: string): string {
  return paths.adminPaymentRefund.replace(':paymentId', encodeURIComponent(paymentId));
}

export function adminPaymentRetryPath(paymentId: string): string {
  return paths.adminPaymentRetry.replace(':paymentId', encodeURIComponent(paymentId));
}

/** Retry of one job on a merchant's review page. */
export function adminReviewRetryPath(merchantId: string, jobId: number): string {
  return paths.adminMerchantReviewRetry.replace(':merchantId', encodeURIComponent(merchantId)).replace(':jobId', String(jobId));
}

/** Mark as handled (by hand) of one job on a merchant's review page. */
export function adminReviewHandledPath(merchantId: string, jobId: number): string {
  return paths.adminMerchantReviewHandled.replace(':merchantId', encodeURIComponent(merchantId)).replace(':jobId', String(jobId));
}

export function callbackPathFor(merchantId: string): string {
  return paths.xenditCallback.replace(':merchantId', encodeURIComponent(merchantId));
}

export function disputeCallbackPathFor(merchantId: string): string {
  return paths.xenditDisputeCallback.replace(':merchantId', encodeURIComponent(merchantId));
}

export function refundCallbackPathFor(merchantId: string): string {
  return paths.xenditRefundCallback.replace(':merchantId', encodeURIComponent(merchantId));
}

/** The Custom Payment URL a merchant pastes into Xero; Xero fills the bracketed placeholders. */
export function customPaymentUrl(publicUrl: string): string {
  return `${publicUrl}${paths.pay}?invoiceNo=[INVOICENUMBER]&currency=[CURRENCY]&amount=[AMOUNTDUE]&shortCode=[SHORTCODE]`;
}

/** What Xero produces from the Custom Payment URL for one invoice. */
export function payLinkFor(publicUrl: string, v: { invoiceNumber: string; currency: string; amountDue: string; shortCode: string }): string {
  return customPaymentUrl(publicUrl)
    .replace('[INVOICENUMBER]', encodeURIComponent(v.invoiceNumber))
    .replace('[CURRENCY]', encodeURIComponent(v.currency))
    .replace('[AMOUNTDUE]', encodeURIComponent(v.amountDue))
    .replace('[SHORTCODE]', encodeURIComponent(v.shortCode));
}
