/**
 * The simulated Xendit's data (accounts, invoices, callbacks sent, refunds, disputes, withdrawals)
 * and the context its modules share. Every module of the simulator reads these types, so this file
 * imports none of them (no import cycles); the simulator's interface is in simulator.ts.
 */
import type { Logger } from 'pino';
import type { Currency } from '../../money.js';
import type { XenditFaults } from './errors.js';
import type { SimMovement, SimWithdrawal } from './balance-state.js';

export type { SimMovement, SimWithdrawal };

export type SimXenditStatus = 'PENDING' | 'PAID' | 'SETTLED' | 'EXPIRED';

export interface XenditSimAccount {
  secretKey: string;
  userId: string;
  businessName: string;
  callbackUrl?: string;
  /** Settings → Webhooks → Refunds: where refund.succeeded / refund.failed go (same x-callback-token). */
  refundCallbackUrl?: string;
  /** Settings → Webhooks → Disputes: where dispute.* events go (same x-callback-token). */
  disputeCallbackUrl?: string;
  callbackToken: string;
  /**
   * fees_paid_amount in this account's callbacks and invoices. 'amount' (default): the fee.
   * 'zero': 0, as in Xendit's own invoice callback example (docs.xendit.co/apidocs invoice
   * callback), e.g. for accounts whose fees are invoiced monthly. 'absent': not sent at all
   * (xendit-node's invoice/models/Invoice.ts has no such field). The fee is then only in the
   * payment's transaction (GET /transactions, fee.xendit_fee).
   */
  callbackFees?: 'amount' | 'zero' | 'absent';
  /**
   * How Xendit bills this account's fees (docs.xendit.co "Billing statement": direct or indirect
   * deduction). 'deducted' (default): each payment's fee leaves the balance when it settles.
   * 'invoiced': the balance keeps the whole payment and the month's fees are billed, listed in the
   * Billing Report (dashboard → Billing statements).
   */
  feeBilling?: 'deducted' | 'invoiced';
  /**
   * Per-product permissions of this key, as set in Xendit's dashboard (Settings → API keys:
   * Money-in invoices None/Read/Write, Transactions None/Read, Balance None/Read; docs.xendit.co "API keys"). Default:
   * everything. A call outside them gets 403 REQUEST_FORBIDDEN_ERROR before the request is read.
   */
  permissions?: { invoices: 'none' | 'read' | 'write'; transactions: 'none' | 'read'; balance?: 'none' | 'read'; refunds?: 'none' | 'read' | 'write' };
  /**
   * false: the merchant set only "Invoices paid" in Xendit's dashboard (Settings → Callbacks, where
   * "Invoice expired" is a URL of its own; docs.xendit.co "Invoice callback"): EXPIRED sends no callback.
   */
  expiredCallbacks?: boolean;
  /**
   * false: this account's refunds name no invoice (invoice_id null, payment_id only), as in
   * docs.xendit.co's "Refund webhook notification" examples; invoice_id is "To be deprecated"
   * ("Refund a payment request") and xendit-node's Refund model has none. Whether GET
   * /refunds?invoice_id= still finds such refunds is not documented: here it does not (the less
   * helpful way). Default: invoice_id is sent.
   */
  refundsNameInvoice?: boolean;
  /**
   * The order of GET /refunds. docs.xendit.co "List refunds" and xendit-node's RefundApi getAllRefunds (limit, after_id,
   * before_id; no date filter) do not say in which order refunds are listed, so either may be the real one: 'newest_first'
   * (default, as before) or 'oldest_first'. after_id continues after that refund in the same order.
   */
  refundsListOrder?: 'newest_first' | 'oldest_first';
  refundTransactionProductId?: 'payment'; // its REFUND transactions' product_id (undocumented which, money-back.ts): the refund's id, or with 'payment' the payment's
  /**
   * How refunds made through POST /refunds end. Xendit answers them PENDING ("Refund is pending.
   * Check the final status of the refund via webhook", docs.xendit.co "Refund a payment request")
   * and ends them later, SUCCEEDED or FAILED with a failure_code sent by the `refund.failed` webhook
   * (INSUFFICIENT_BALANCE, REFUND_TEMPORARILY_UNAVAILABLE, ...: docs.xendit.co QR codes "Test
   * scenarios"). Here they end the next time the simulator is called after the answer: SUCCEEDED
   * (default), FAILED with this code, or PENDING: left pending until `completeRefund`.
   */
  refundOutcome?: { status: 'SUCCEEDED' } | { status: 'FAILED'; failureCode: string } | { status: 'PENDING' };
  /**
   * A POST /refunds the balance cannot pay: 'refuse' (default), 400 INSUFFICIENT_BALANCE (xendit-node
   * CreateRefund400Response); 'fail', answered PENDING then FAILED with that failure_code, "Failure
   * Code via Callback" (docs.xendit.co QR codes "Test scenarios"). Both are Xendit's word.
   */
  insufficientBalance?: 'refuse' | 'fail';
  /**
   * The payment channels activated on this account (dashboard → Settings → Payment channels; a
   * channel must be activated before invoices can offer it: docs.xendit.co "Available payment
   * channels", xendit-kb "How to set banks and payment methods on my invoices"). Default: every
   * channel. Create invoice answers 400 UNAVAILABLE_PAYMENT_METHOD_ERROR when payment_methods
   * names another, NO_COLLECTION_METHODS_ERROR when none is activated for the invoice's currency
   * (xendit-node invoice/models/BadRequestError).
   */
  activatedChannels?: string[];
  /** The currencies this account may invoice in; default: all. Others: 400 UNSUPPORTED_CURRENCY (same source). */
  activatedCurrencies?: Currency[];
  /**
   * The key was deleted in Xendit's dashboard (Settings → API keys): every call with it is answered
   * 401 INVALID_API_KEY, as for a key Xendit never issued (docs.xendit.co/apidocs "Errors"). What
   * the business holds (its invoices, callback settings) stays, reachable with its other keys.
   */
  revoked?: boolean;
}

export type NewSimAccount = {
  secretKey: string;
  refundCallbackUrl?: string;
  disputeCallbackUrl?: string;
  /**
   * The business this key belongs to (its invoices' user_id): a business may hold several secret
   * keys (Xendit dashboard → Settings → API keys: "Generate secret key"). Default: a new business.
   */
  userId?: string;
  callbackUrl?: string;
  callbackToken: string;
  businessName: string;
  callbackFees?: XenditSimAccount['callbackFees'];
  permissions?: XenditSimAccount['permissions'];
  expiredCallbacks?: boolean;
};

export interface SimXenditInvoice {
  id: string;
  userId: string;
  externalId: string;
  status: SimXenditStatus;
  currency: Currency;
  amount: number; // minor units
  description?: string;
  payerEmail?: string;
  customer?: { givenNames?: string; email?: string };
  items: { name: string; quantity: number; price: number /* minor units */ }[];
  successRedirectUrl?: string;
  failureRedirectUrl?: string;
  created: Date;
  updated: Date;
  expiryDate: Date;
  paidAt?: Date;
  paidAmount?: number; // minor units
  feesPaidAmount?: number; // minor units
  /** VAT on Xendit's fee (minor units), reported on the payment's transaction; deducted on top of the fee. */
  feeTax?: number;
  /** Test hook: Xendit's ledger does not list the payment's transaction (yet). */
  transactionUnlisted?: boolean;
  /**
   * Test hook: the payment's transaction names the invoice in product_data.payment_link_id. Not in
   * xendit-node's TransactionResponse nor docs.xendit.co "List transactions", so by default it is left
   * out (the strict case); set, the case where Xendit sends it (test/contract TRANSACTION_EXTRAS).
   */
  transactionNamesInvoice?: boolean;
  /** Test hook: fees_paid_amount exactly as sent on the wire (e.g. 11600.5 IDR, which no IDR amount can be). */
  feesPaidWire?: number;
  /**
   * Tax Xendit withheld from the payment (minor units), shown on its transaction as
   * fee.xendit_withholding_tax and fee.third_party_withholding_tax (xendit-node FeeResponse: "if
   * applicable"; a bank, say, for the third party) and taken from net_amount and from what settles.
   * Set through the test API's transactionFee.
   */
  withholdingTax?: { xendit: number; thirdParty: number };
  /** The transaction leaves fee.xendit_withholding_tax and fee.third_party_withholding_tax out (optional in FeeResponse); net_amount still shows them. */
  withholdingHidden?: boolean;
  /** The transaction's fee.status is PENDING (xendit-node FeeResponseStatusEnum): set through the test API's transactionFee. */
  feePending?: boolean;
  paymentMethod?: string;
  paymentChannel?: string;
  /** customer_notification_preference.invoice_paid: the channels Xendit tells the customer on when it is paid. */
  notifyPaid?: string[];
  /** payment_methods: the channels the checkout offers; absent: all. */
  paymentMethods?: string[];
  /** When Xendit settled it into the balance (the fee's billing time too). */
  settledAt?: Date;
  /**
   * When Xendit gave the fee and its VAT back (a refund with feeReturned): the payment's transaction
   * then says fee.status REVERSED and the fee is back in the balance.
   */
  feeReturnedAt?: Date;
  /**
   * Cancelled before settlement (a void: an e-wallet void, a QR refund in full within 24 hours):
   * the Transactions API lists its payment VOIDED with settlement_status null ("Payment voided
   * before any ledger posting", docs.xendit.co "Transaction and Settlement statuses"), it never
   * settles, and fee and VAT are given back with it (help.xendit.co on e-wallet and QR voids).
   */
  voidedAt?: Date;
}

/** A notification Xendit sent the customer (its receipt e-mail when paid). */
export interface SimNotification {
  invoiceId: string;
  event: 'invoice_paid';
  channel: string;
  to: string;
  at: Date;
}

/** An invoice as the API sends it (amounts as JSON numbers in major units). */
export interface XenditInvoiceJson {
  id: string;
  external_id: string;
  user_id: string;
  status: SimXenditStatus;
  merchant_name: string;
  merchant_profile_picture_url: string;
  amount: number;
  payer_email?: string;
  description?: string;
  customer?: { given_names?: string; email?: string };
  expiry_date: string;
  invoice_url: string;
  available_banks: unknown[];
  available_retail_outlets: unknown[];
  available_ewallets: unknown[];
  available_qr_codes: unknown[];
  available_direct_debits: unknown[];
  available_paylaters: unknown[];
  should_exclude_credit_card: boolean;
  should_send_email: boolean;
  created: string;
  updated: string;
  currency: Currency;
  items: { name: string; quantity: number; price: number }[];
  success_redirect_url?: string;
  failure_redirect_url?: string;
  paid_amount?: number;
  fees_paid_amount?: number;
  adjusted_received_amount?: number;
  paid_at?: string;
  payment_method?: string;
  payment_channel?: string;
  bank_code?: string;
}

export interface SimCallback {
  invoiceId: string;
  status: SimXenditStatus;
  url: string;
  token: string;
  body: Record<string, unknown>;
  at: Date;
  responseStatus?: number;
  responseBody?: string;
  error?: string;
  /** A redelivery (1 to 6) of a callback refused before (deliveries.ts); absent on the first attempt. */
  retry?: number;
}

/**
 * A callback or webhook the merchant's server answered other than 2xx, waiting for its next
 * attempt (deliveries.ts): the same body to the same URL.
 */
export interface SimRedelivery {
  kind: 'invoice' | 'refund' | 'dispute';
  /** The invoice, refund or dispute it is about. */
  subject: string;
  /** An invoice callback's: the status it tells. */
  status?: SimXenditStatus;
  url: string;
  token: string;
  body: Record<string, unknown>;
  /** The original attempt, which the redeliveries' times count from. */
  firstAt: Date;
  /** Redeliveries made so far. */
  retries: number;
}

export interface SimRequest {
  method: string;
  path: string;
  at: Date;
}

export interface XenditSimState {
  accounts: Map<string, XenditSimAccount>; // by secret key
  invoices: Map<string, SimXenditInvoice>;
  callbacks: SimCallback[];
  requests: SimRequest[];
  notifications: SimNotification[];
  /** Refunds and disputes with the webhooks sent for them (refunds.ts, disputes.ts); absent in older saved state. */
  refunds?: SimRefund[];
  refundWebhooks?: SimRefundWebhook[];
  disputes?: SimDispute[];
  disputeWebhooks?: SimDisputeWebhook[];
  /** Withdrawals to the merchants' banks (withdrawals.ts); absent in older saved state. */
  withdrawals?: SimWithdrawal[];
  /** Other movements of the balance (payouts to third parties, top-ups, …; withdrawals.ts). */
  otherMovements?: SimMovement[];
  /** Callbacks and webhooks refused, waiting to be sent again (deliveries.ts); absent in older saved state. */
  redeliveries?: SimRedelivery[];
}

/** A refund of a paid invoice (refunds.ts) and its webhooks. */
export type SimRefundStatus = 'PENDING' | 'SUCCEEDED' | 'FAILED';

export interface SimRefund {
  id: string;
  invoiceId: string;
  userId: string;
  amount: number; // minor units
  status: SimRefundStatus;
  reason: string;
  /** The caller's reference_id (POST /refunds), when it sent one. */
  referenceId?: string;
  /** The idempotency-key header it came with. */
  idempotencyKey?: string;
  /**
   * refund_fee_amount (minor units), "Fee for processing the refund" (Refund object); null in
   * every example of Xendit's docs, 0 here unless a test sets it. Taken from the balance, the
   * docs' plain reading; the gateway books none either way (reconciliation report).
   */
  refundFee?: number;
  /**
   * Xendit gives the payment's fee and its VAT back when this refund (of all that was left)
   * succeeds. Which refunds do depends on the channel (docs.xendit.co "Creating Refunds": cards' variable fee, e-wallets' full
   * refunds; a void gives it back too, see `voids`); where the Transactions API shows it is not documented. Modelled as the one
   * field it defines for it: the payment transaction's fee.status becomes REVERSED (FeeResponse
   * status), its figures left as they were, and the fee is back in the balance.
   */
  feeReturned?: boolean;
  /**
   * A void: the payment, not settled yet, cancelled whole, fee and VAT given back with it
   * (SimXenditInvoice.voidedAt); its money never reached the balance, so none leaves it.
   */
  voids?: boolean;
  /** Why Xendit could not make it (failure_code of a FAILED refund). */
  failureCode?: string;
  /** Made through POST /refunds: answered PENDING, ended by `completeApiRefunds` as its account says. */
  viaApi?: boolean;
  /** Taken on with more than the balance could pay (insufficientBalance 'fail'): it takes nothing and FAILS. */
  unfunded?: boolean;
  created: Date;
  updated: Date;
}

export interface SimRefundWebhook {
  refundId: string;
  url: string;
  body: Record<string, unknown>;
  responseStatus?: number;
  error?: string;
  /** A redelivery (1 to 6; deliveries.ts). */
  retry?: number;
}

/** A dispute (chargeback) of a paid invoice (disputes.ts) and its webhooks. */
export type SimDisputeStatus = 'ACTION_REQUIRED' | 'UNDER_REVIEW' | 'WON' | 'LOST';

export interface SimDispute {
  id: string;
  invoiceId: string;
  userId: string;
  amount: number; // minor units
  referenceId?: string; // which reference_id a dispute carries is not documented: the invoice's external id unless set
  chargebackProductId?: 'payment'; // its CHARGEBACK's product_id (undocumented): the dispute's id, or with 'payment' the disputed payment's
  status: SimDisputeStatus;
  created: Date;
  updated: Date;
  /** Charged on the chargeback once lost: its CHARGEBACK transaction's fee object (money-back.ts; none: NOT_APPLICABLE). */
  fee?: SimChargebackFee;
  /** Its CHARGEBACK listed from then on: when it shows in the Transactions API after the webhook is not documented (docs.xendit.co apidocs/list-transactions). */
  chargebackListedAt?: Date;
}

/** Minor units, as xendit-node FeeResponse (xendit_fee, value_added_tax, the two withholding taxes, status) carries them. */
export type SimChargebackFee = {
  xenditFee: number;
  vat?: number;
  xenditWithholding?: number;
  thirdPartyWithholding?: number;
  status?: 'PENDING' | 'COMPLETED';
  inAmount?: boolean; // out of the disputed amount, not on top (undocumented either way): net_amount less it, the balance down by the amount
};

export interface SimDisputeWebhook {
  disputeId: string;
  url: string;
  responseStatus?: number;
  error?: string;
  /** A redelivery (1 to 6; deliveries.ts). */
  retry?: number;
}

/** Requests a minute per endpoint per account (the business, in one mode), by the key's mode. */
export interface XenditSimLimits {
  testPerMinute: number; // with a test key (xnd_development_…)
  livePerMinute: number; // with a live key (xnd_production_…)
}

export interface Ctx {
  /** The simulator's clock: the options' `now`, or a test's (test API useClock). */
  now: () => Date;
  fetch: typeof fetch;
  log?: Logger;
  fee: (amountMinor: number, currency: Currency) => number;
  feeTax: (feeMinor: number, currency: Currency) => number;
  callbackTimeoutMs: number;
  /** Paid invoices settle this long after payment (when next looked at); undefined: only when told. */
  settleAfterMs?: number;
  /** Refused callbacks due again are sent when the simulator is next called (the demo); else only through the test API. */
  redeliverWhenLookedAt?: boolean;
  checkoutBaseUrl: string;
  state: XenditSimState;
  faults: XenditFaults;
  limits: XenditSimLimits;
  /** The calls let through per account and endpoint (limits.ts), not kept with the state. */
  windows: Map<string, number[]>;
}
