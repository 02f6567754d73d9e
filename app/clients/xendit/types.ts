/**
 * What the gateway needs from Xendit, in our own terms (minor units, never floats). The files of
 * clients/xendit/ implement XenditGateway over xendit-node; tests and the demo point the SDK at
 * app/simulators/.
 */
import type { Currency } from '../../money.js';
import type { RefundTransactionCalls } from './refund-transactions.js';

export type XenditInvoiceStatus = 'PENDING' | 'PAID' | 'SETTLED' | 'EXPIRED';

export interface XenditInvoice {
  id: string;
  externalId: string;
  status: XenditInvoiceStatus;
  currency: Currency;
  amount: number; // minor units
  invoiceUrl: string;
  /** How long Xendit lets it be paid: expiry_date − created, both on Xendit's clock (so no clock skew); absent when not sent. */
  validForSeconds?: number;
  paidAmount?: number; // minor units
  feesPaidAmount?: number; // minor units
  /** fees_paid_amount exactly as Xendit sent it, when it does not fit the currency's minor unit (feesPaidAmount is then absent). */
  feesPaidRaw?: string;
  /** VAT Xendit charged on its fee (minor units), when Xendit reports it. */
  feeTax?: number;
  paidAt?: string; // ISO timestamp
  paymentMethod?: string;
  /** BCA, OVO, ...: which bank or wallet within the method. */
  paymentChannel?: string;
  /** Xendit's id of the payment once paid (payment_id, xendit-node Invoice model): refunds carry it too. */
  paymentId?: string;
  description?: string;
  payerEmail?: string;
  /** Xendit's customer object: full name and e-mail, when the invoice has one. */
  customer?: { name?: string; email?: string };
  /** Present only when every item is readable in the invoice's currency. */
  items?: { name: string; quantity: number; price: number /* minor units */ }[];
}

export interface NewXenditInvoice {
  externalId: string;
  currency: Currency;
  amount: number; // minor units
  description: string;
  payerEmail?: string;
  items?: { name: string; quantity: number; price: number /* minor units */ }[];
  successRedirectUrl: string;
  failureRedirectUrl: string;
  invoiceDurationSeconds: number;
  /** Xendit e-mails its receipt to payerEmail when paid (customer_notification_preference.invoice_paid). */
  notifyPaidByEmail?: boolean;
  /** Only these channels (payment_methods); absent: every channel the account has. */
  paymentMethods?: string[];
}

/** What picks a paid invoice's payment transaction out of those carrying its external id. */
export interface FeeTaxQuery {
  /** The Xendit invoice id. */
  id: string;
  externalId: string;
  /** What was paid, minor units. */
  paidAmount: number;
  currency: Currency;
  /** When the invoice was paid: lets a backlog's fees be read from one listing (jobs/xendit-reads.ts). */
  paidAt?: Date;
}

/**
 * found: Xendit's fee (fee.xendit_fee) and the VAT on it (fee.value_added_tax), minor units, 0 when none. not_found: Xendit lists no payment transaction for the
 * invoice (its ledger may lag the payment). ambiguous: `count` transactions fit and nothing tells
 * them apart (external ids are not unique at Xendit); `more`: Xendit had more than one page of them.
 */
/** A PAYMENT transaction as the Transactions API lists it (fields as sent; transactions.ts reads them). */
export interface XenditPaymentTransaction {
  id: string;
  created: string;
  product_id: string;
  reference_id: string;
  status?: string | null;
  currency?: string | null;
  amount: number;
  net_amount?: number | null;
  fee: {
    xendit_fee: number;
    value_added_tax: number;
    xendit_withholding_tax?: number | null;
    third_party_withholding_tax?: number | null;
    status?: string | null;
  };
  product_data?: { payment_link_id?: string | null } | null;
}

/** One page of payment transactions, newest first. */
export interface PaymentTransactionPage {
  transactions: XenditPaymentTransaction[];
  /** Xendit has more pages after this one. */
  hasMore: boolean;
  /** Every row of the page was read (none left out for a shape not understood). */
  allRead: boolean;
  lastId?: string;
}

export type FeeTaxLookup =
  /**
   * feeReturned: the transaction's fee.status is REVERSED or CANCELED (xendit-node FeeResponse
   * status; docs.xendit.co Transactions API lists PENDING, COMPLETED, CANCELED, REVERSED,
   * NOT_APPLICABLE): Xendit no longer keeps the fee, e.g. given back with a refund. Also when
   * `voided`: the payment transaction is VOIDED, cancelled before settlement, which gives the whole
   * fee and VAT back; the figures are those it shows (what a voided one shows is not documented).
   */
  | {
      kind: 'found';
      fee: number;
      tax: number;
      feeReturned?: boolean;
      voided?: boolean;
      /**
       * Tax Xendit withheld from the payment besides its fee and VAT (fee.xendit_withholding_tax
       * plus fee.third_party_withholding_tax, xendit-node FeeResponse: "if applicable", e.g. on
       * Philippine merchants' settlements), minor units; left out when none.
       */
      withholding?: { xendit: number; thirdParty: number };
      /** What Xendit settles of the payment (the transaction's net_amount, docs.xendit.co "List transactions"), when it says. */
      netAmount?: number;
      /** fee.status PENDING: Xendit has not finished working out the fee; figures of 0 do not yet mean "no fee". */
      feePending?: boolean;
    }
  | { kind: 'not_found' }
  | { kind: 'ambiguous'; count: number; more: boolean }
  /** Xendit's figure does not fit the currency (e.g. 4350.5 IDR): kept as sent, never rounded. */
  | { kind: 'unfit'; field: string; raw: string };

/** Why a refund is asked for (xendit-node CreateRefundReasonEnum). */
export const REFUND_REASONS = ['REQUESTED_BY_CUSTOMER', 'CANCELLATION', 'DUPLICATE', 'FRAUDULENT', 'OTHERS'] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

/** A refund at Xendit (Refund API), amounts in minor units. */
export interface XenditRefund {
  id: string;
  /**
   * The invoice refunded, when Xendit names it: invoice_id is "To be deprecated" (docs.xendit.co
   * "Refund a payment request") and xendit-node's Refund model has none, so it may be absent even
   * for a refund of one of our invoices.
   */
  invoiceId?: string;
  /** The payment refunded (payment_id, RefundCallbackData; "To be deprecated" too). */
  paymentId?: string;
  /** The payment request refunded (payment_request_id, xendit-node Refund model). */
  paymentRequestId?: string;
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  currency: Currency;
  amount: number;
  reason?: string;
  /** Ours, when the gateway asked for the refund: how it is found again after a lost answer. */
  referenceId?: string;
  /** Why Xendit could not make a FAILED refund (INSUFFICIENT_BALANCE, REFUND_TEMPORARILY_UNAVAILABLE, ...). */
  failureCode?: string;
  /** What Xendit charged for the refund, when it says. */
  refundFee?: number;
  created?: string;
}

/** A dispute (chargeback) at Xendit, amounts in minor units. */
export interface XenditDispute {
  id: string;
  /** LOST: the money went back to the payer; WON: it stays with the merchant. */
  status: 'ACTION_REQUIRED' | 'UNDER_REVIEW' | 'WON' | 'LOST';
  currency: Currency;
  /** The amount disputed (amount.initial). */
  amount: number;
  /** The amount the dispute ended at (amount.terminal), once Xendit states it. */
  finalAmount?: number;
  paymentId?: string;
  /** The payment's reference: an invoice's external id. */
  referenceId?: string;
  updatedAt?: string;
}

/** Money Xendit sent from the balance to the merchant's bank (a WITHDRAWAL transaction), amounts in minor units. */
/** A movement of the balance the gateway does not book (movements.ts). */
export interface XenditMovement {
  id: string;
  /** The Transactions API type: DISBURSEMENT, TRANSFER, TOPUP, … */
  type: string;
  currency: Currency;
  /** Minor units: positive into the balance, negative out of it. */
  amount: number;
  created: string;
  /**
   * Xendit's fee and VAT on it (minor units), once COMPLETED (clients/xendit/payout-fee.ts payoutFee);
   * `feeInAmount`: money out whose fee came out of `amount`, else taken from the balance besides it.
   */
  fee?: number;
  /** The VAT part of `fee` (the fee object's value_added_tax). */
  feeTax?: number;
  feeInAmount?: boolean;
  /** REVERSED: sent back into the balance after it succeeded (a payout the bank returned), `updated` then. */
  status: 'SUCCESS' | 'REVERSED';
  /** REVERSED with its fee's status REVERSED or CANCELED (xendit-node FeeResponse.status): Xendit gave the fee back too (`fee`: what it was, when REVERSED). */
  feeBack?: boolean;
  updated?: string;
  /** Its fee's status still PENDING (xendit-node FeeResponse.status): not final, to be read again. */
  feePending?: boolean;
}

/** The money a lost dispute took from the balance: a CHARGEBACK transaction (chargebacks.ts), amounts in minor units. */
export interface XenditChargeback {
  /** The transaction's id. */
  id: string;
  /** Its product_id: the dispute's id (GET /v1/disputes/{id}) or, undocumented which, the disputed payment's (jobs/sync/chargeback-dispute.ts). */
  disputeId: string;
  currency: Currency;
  /** What left the balance (positive). */
  amount: number;
  created: string;
  referenceId?: string;
  /** What Xendit charged on it: its `fee` object (clients/xendit/chargebacks.ts). */
  fee: ChargebackFee;
  byPayment?: true; // found by getChargeback under the disputed payment's id: tied by its amount, not by id
}
export type ChargebackOfPayment = { id: string; amount: number; held?: readonly string[] };

/**
 * A chargeback's fee, minor units: Xendit's `fee` with the VAT (`feeTax`), the two taxes `withheld`; fee.status PENDING;
 * `unfit`: why no figures were read; `inAmount`: net_amount says they came out of the amount (chargebacks.ts), not on top.
 */
export type ChargebackFee = { fee: number; feeTax: number; withheld: number; pending: boolean; unfit?: string; inAmount?: boolean };

/** A payment Xendit has not settled into the balance yet (minor units). */
export interface UnsettledPayment {
  /** When the customer paid (the transaction's `created`); null when Xendit did not say. */
  paidAt: Date | null;
  gross: number;
  /** Xendit's fee with its VAT, as the transaction shows them (kept at settlement unless billed monthly). */
  fees: number;
  /** Tax Xendit withheld from it (fee.xendit_withholding_tax + fee.third_party_withholding_tax), when it left the payment. */
  withheld: number;
}

export interface XenditWithdrawal {
  /** The transaction's id (txn_…). */
  id: string;
  /** REVERSED: the bank sent it back and Xendit put it back in the balance. */
  status: 'SUCCESS' | 'REVERSED';
  currency: Currency;
  /** What left the balance (positive). */
  amount: number;
  created: string;
  /** Its last change: for a REVERSED one, when it came back. */
  updated?: string;
  /** The bank (channel code) and account number it went to, when Xendit says. */
  channelCode?: string;
  accountIdentifier?: string;
  /**
   * Xendit's fee and VAT on it (minor units), when it took one (also one a REVERSED withdrawal's fee
   * was given back from); `feeInAmount`: out of `amount` (the bank got amount − fee), else on top.
   */
  fee?: number;
  /** The VAT part of `fee` (the fee object's value_added_tax). */
  feeTax?: number;
  feeInAmount?: boolean;
  /** REVERSED, and its fee's own status REVERSED or CANCELED (xendit-node FeeResponse.status): the fee came back with the money. */
  feeBack?: boolean;
  /** Its fee's status still PENDING (xendit-node FeeResponse.status): not final, to be read again. */
  feePending?: boolean;
}

export interface XenditGateway extends RefundTransactionCalls {
  /** null when Xendit has no dispute with that id. */
  getDispute(secretKey: string, disputeId: string): Promise<XenditDispute | null>;
  /** Refunds (part of) a paid invoice; `idempotencyKey` and `referenceId` are the request's own id. */
  createRefund(
    secretKey: string,
    r: { invoiceId: string; referenceId: string; currency: Currency; amount: number /* minor units */; reason: RefundReason },
    idempotencyKey: string,
  ): Promise<XenditRefund>;
  /**
   * One page of the account's SUCCESS withdrawals (manual and automatic) in this currency, newest
   * first, created at or after `createdAfter` when given; rows that cannot be read are left out.
   * Every Transactions API call names its currency: an account with more than one may not be
   * listed without it (docs.xendit.co/apidocs/list-transactions), and `after_id` continues that
   * currency's listing only.
   */
  listWithdrawals(
    secretKey: string,
    /** reversedAfter: only those the bank sent back (REVERSED) since then, whenever they were made. */
    q: { currency: Currency; limit: number; afterId?: string; createdAfter?: Date; createdBefore?: Date; reversedAfter?: Date },
  ): Promise<{ withdrawals: XenditWithdrawal[]; hasMore: boolean; lastId?: string }>;
  /**
   * One withdrawal by its transaction id (GET /transactions/{id}); null when Xendit has none with
   * that id, or it is no SUCCESS or REVERSED withdrawal the gateway can read.
   */
  getWithdrawal(secretKey: string, id: string): Promise<XenditWithdrawal | null>;
  /**
   * The withdrawals in this currency requested and not sent yet (status PENDING): how many and their
   * sum (minor units); null when there are more than a few pages of them.
   */
  pendingWithdrawals(secretKey: string, currency: Currency): Promise<{ count: number; amount: number } | null>;
  /**
   * One of the balance's other movements by its transaction id (GET /transactions/{id}); null when
   * Xendit has none with that id, or it is no movement the gateway books (listOtherMovements).
   */
  getOtherMovement(secretKey: string, id: string): Promise<XenditMovement | null>;
  /**
   * One page (newest first) of the balance's movements in this currency other than payments, refunds
   * and withdrawals, made between the two dates (no `createdAfter`: made before `createdBefore`), and,
   * with `updatedAfter`, changed since (Xendit's `updated`: sent back, say).
   */
  listOtherMovements(
    secretKey: string,
    q: { currency: Currency; limit: number; afterId?: string; createdAfter?: Date; createdBefore: Date; updatedAfter?: Date },
  ): Promise<{ movements: XenditMovement[]; hasMore: boolean; lastId?: string }>;
  /** One page (newest first) of the SUCCESS CHARGEBACK transactions in this currency made between the two dates; rows that cannot be read are left out. */
  listChargebacks(
    secretKey: string,
    q: { currency: Currency; limit: number; afterId?: string; createdAfter: Date; createdBefore: Date },
  ): Promise<{ chargebacks: XenditChargeback[]; hasMore: boolean; lastId?: string }>;
  /** A dispute's SUCCESS CHARGEBACK in its currency, by product_id: the dispute's id, else (undocumented which) `payment`'s of the amount lost, none of `held`. */
  getChargeback(secretKey: string, disputeId: string, currency: Currency, payment?: ChargebackOfPayment): Promise<XenditChargeback | null>;
  /** A CHARGEBACK transaction by its id; null: none of this account's, or another type. */
  getChargebackTransaction(secretKey: string, id: string): Promise<XenditChargeback | null>;
  /**
   * A balance in this currency (minor units): CASH, the available one (the default), or HOLDING,
   * money Xendit holds back from it (GET /balance account_type, docs.xendit.co/apidocs/get-balance).
   */
  getBalance(secretKey: string, currency: Currency, accountType?: 'CASH' | 'HOLDING'): Promise<number>;
  /** null when Xendit has no refund with that id. */
  getRefund(secretKey: string, refundId: string): Promise<XenditRefund | null>;
  /**
   * One page of the account's refunds, or those of one invoice; rows that cannot be read are left out. In
   * which order Xendit lists them is not documented (newest or oldest first): callers judge it (jobs/sync/list-order.ts).
   */
  listRefunds(
    secretKey: string,
    /** beforeId: the page just before that refund in the list's order (xendit-node GetAllRefundsRequest beforeId). */
    q: { invoiceId?: string; limit: number; afterId?: string; beforeId?: string },
  ): Promise<{ refunds: XenditRefund[]; hasMore: boolean; lastId?: string }>;
  createInvoice(secretKey: string, invoice: NewXenditInvoice): Promise<XenditInvoice>;
  /** null when Xendit has no invoice with that id. */
  getInvoice(secretKey: string, invoiceId: string): Promise<XenditInvoice | null>;
  findInvoicesByExternalId(secretKey: string, externalId: string): Promise<XenditInvoice[]>;
  /**
   * The invoice as Xendit answers the expiry. One no longer PENDING is refused ("Could not find and
   * update PENDING invoice", xendit/xendit-php#200; its status and code are not documented, and an
   * answer of 200 with the invoice still PAID is not ruled out): callers take it as expired only
   * when the answer's status is EXPIRED, and read the invoice back after a refusal.
   */
  expireInvoice(secretKey: string, invoiceId: string): Promise<XenditInvoice>;
  /** Invoices PAID or SETTLED with paid_at in [paidAfter, paidBefore], all pages. */
  listPaidInvoices(secretKey: string, range: { paidAfter: Date; paidBefore: Date }): Promise<XenditInvoice[]>;
  /**
   * One page (newest created first) of invoices PAID or SETTLED with paid_at in [paidAfter, paidBefore],
   * continuing after `lastInvoiceId`. `pageLength` counts every row Xendit sent (a short page is the
   * last); `invoices` leaves out rows we cannot read (e.g. an unsupported currency), listed in `skipped`.
   * `cursorIgnored`: asked after `lastInvoiceId`, Xendit answered a page holding that invoice, i.e.
   * the first page again (the cursor's name, see clients/xendit/invoices.ts): narrow the window
   * (halvePaidWindow) rather than ask again.
   */
  listPaidInvoicesPage(
    secretKey: string,
    q: { paidAfter: Date; paidBefore: Date; limit: number; lastInvoiceId?: string },
  ): Promise<{ invoices: XenditInvoice[]; pageLength: number; lastInvoiceId?: string; skipped: string[]; cursorIgnored: boolean }>;
  /**
   * Xendit's fee and the VAT on it for this paid invoice (minor units), from the payment's
   * transaction (Transactions API, fee.xendit_fee and fee.value_added_tax), looked up by
   * reference_id = the invoice's external id (a transaction's product_id is the VA deposit,
   * e-wallet charge, ... not the invoice; product_data.payment_link_id names the invoice when present).
   * The callback's fees_paid_amount is not used: xendit-node's Invoice model lacks it and Xendit's
   * own callback example shows 0.
   */
  getFeeTax(secretKey: string, invoice: FeeTaxQuery): Promise<FeeTaxLookup>;
  /** One page of PAYMENT transactions in this currency created in [createdAfter, createdBefore] (both inclusive), continuing after `afterId`. */
  listPaymentTransactions(
    secretKey: string,
    q: { currency: Currency; createdAfter: Date; createdBefore: Date; afterId?: string },
  ): Promise<PaymentTransactionPage>;
  /**
   * Every permission the gateway uses, probed without creating anything a customer could pay:
   * the ones this key lacks (Xendit answered 403), in XENDIT_PERMISSIONS order; [] when it can do
   * the job. Throws UpstreamError 'unauthorized' (401) for a key Xendit does not know.
   */
  checkSecretKey(secretKey: string): Promise<XenditPermission[]>;
  /**
   * Payments in this currency made since `since` that Xendit has not settled into the balance yet
   * (Transactions API settlement_status PENDING), each on its own. Null when there are more than
   * the gateway reads.
   */
  unsettledPayments(secretKey: string, currency: Currency, since: Date): Promise<UnsettledPayment[] | null>;
  /** The Xendit business a key belongs to, when its account has an invoice or transaction to tell; else null. */
  businessOf(secretKey: string): Promise<string | null>;
}

/**
 * What the gateway does with a merchant's Xendit key (Xendit grants per product: Money-in invoices,
 * Transactions, Refunds). Reading refunds is what carries refunds made at Xendit into Xero; making
 * them (the admin's Refund button) and reading the balance (the dashboard) are extras whose refusal
 * the pages show when it happens.
 */
export const XENDIT_PERMISSIONS = ['create_invoices', 'read_invoices', 'list_invoices', 'expire_invoices', 'read_transactions', 'read_refunds'] as const;
export type XenditPermission = (typeof XENDIT_PERMISSIONS)[number];
