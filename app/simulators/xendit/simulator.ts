/**
 * The simulator's interface: what createXenditSimulator (index.ts) takes and returns, and the test
 * API tests see (test-api.ts makes it). Types only, over state.ts: the modules that implement them
 * import this file, never the other way round.
 */
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Currency } from '../../money.js';
import type { XenditFaults } from './errors.js';
import type { Redelivered } from './deliveries.js';
import type {
  NewSimAccount,
  SimCallback,
  SimChargebackFee,
  SimNotification,
  SimRedelivery,
  SimRequest,
  SimXenditInvoice,
  XenditInvoiceJson,
  XenditSimAccount,
  XenditSimLimits,
  XenditSimState,
} from './state.js';

export interface PayOptions {
  /** Overrides the account's callback URL for this callback only. */
  callbackUrl?: string;
  /** false: change the state without sending a callback (a lost callback). settle(): true to send one, which Xendit does not. */
  sendCallback?: boolean;
  paymentMethod?: string;
  paymentChannel?: string;
}

export interface XenditSimulatorOptions {
  /** Public URL where the router is mounted; invoice_url is `${checkoutBaseUrl}/checkout/${id}`. */
  checkoutBaseUrl: string;
  now?: () => Date;
  fetch?: typeof fetch;
  logger?: Logger;
  /** Fee in minor units; default 2.9 % rounded half up to the currency's minor unit. */
  fee?: (amountMinor: number, currency: Currency) => number;
  /** VAT on the fee in minor units; default none (0). */
  feeTax?: (feeMinor: number, currency: Currency) => number;
  /** How long a callback waits for the merchant's answer; default 30 s, Xendit's. */
  callbackTimeoutMs?: number;
  /**
   * Xendit settles a paid invoice into the balance later (next day or more, by channel): the demo
   * settles after this many ms, when next looked at. Unset (tests): only `settle()` settles.
   */
  settleAfterMs?: number;
  /**
   * Refused callbacks are sent again, when due (deliveries.ts), as the simulator is next called (the
   * demo). Unset (tests): only by the test API's redeliverDue.
   */
  redeliverWhenLookedAt?: boolean;
  /** Xendit's rate limits (limits.ts); default the stricter documented ones. */
  limits?: Partial<XenditSimLimits>;
}

/** `state` is exported for the demo's persistence (app/bin/demo.ts); tests use `test`. */
export interface XenditSimulator {
  router: Router;
  state: XenditSimState;
  faults: XenditFaults;
  /** Mutable (a test that must exceed Xendit's limits raises them, saying why); reset() restores the options' values. */
  limits: XenditSimLimits;
  /** What tests look at and change (test-api.ts); tests never touch `state`. */
  test: XenditSimTestApi;
  registerAccount(account: NewSimAccount): XenditSimAccount;
  getInvoice(id: string): SimXenditInvoice | undefined;
  /** Every invoice in the API's JSON shape, oldest first. */
  listInvoices(): XenditInvoiceJson[];
  /** Marks the invoice PAID and awaits the callback; undefined when no callback URL is known. Throws unless PENDING. */
  pay(invoiceId: string, opts?: PayOptions): Promise<SimCallback | undefined>;
  /** Marks the invoice EXPIRED and awaits the callback. Throws unless PENDING. */
  expire(invoiceId: string, opts?: Pick<PayOptions, 'callbackUrl' | 'sendCallback'>): Promise<SimCallback | undefined>;
  /**
   * An invoice made outside the gateway (Xendit dashboard, payment link, the merchant's own
   * system), with an external id of its own. Throws on an unknown account or a bad amount.
   */
  createInvoice(input: OutsideInvoice): SimXenditInvoice;
  /**
   * A refund made at Xendit (dashboard or API) of a paid invoice; the whole rest when no amount.
   * `refundFee` (minor units): a refund_fee_amount Xendit states on it, taken from the balance.
   * `feeReturned`: once it succeeds, Xendit gives the payment's fee and VAT back (see SimRefund).
   * `void`: the whole payment, before it settles, cancelled (SimXenditInvoice.voidedAt).
   */
  refund(
    invoiceId: string,
    r?: {
      amount?: number;
      reason?: string;
      pending?: boolean;
      sendWebhook?: boolean;
      refundFee?: number;
      feeReturned?: boolean;
      void?: boolean;
      /** Made at that time rather than now (a test filling an account's history of refunds). */
      createdAt?: Date;
      /** Refused (INSUFFICIENT_BALANCE) beyond what the balance can pay, as the dashboard's Refund is; tests' history-filling refunds are not. */
      checkBalance?: boolean;
    },
  ): Promise<{ id: string }>;
  /** A pending refund succeeds or fails, and its webhook is sent. */
  completeRefund(refundId: string, status: 'SUCCEEDED' | 'FAILED', opts?: { sendWebhook?: boolean; failureCode?: string }): Promise<void>;
  /** The payer's bank disputes a paid invoice (a chargeback): ACTION_REQUIRED, webhook sent. */
  dispute(invoiceId: string, r?: { amount?: number; referenceId?: string; sendWebhook?: boolean }): Promise<{ id: string }>;
  /** The dispute ends, and its webhook is sent; `fee`: what Xendit charges on the chargeback when LOST (its CHARGEBACK transaction's fee object). */
  resolveDispute(
    disputeId: string,
    status: 'WON' | 'LOST',
    opts?: { sendWebhook?: boolean; fee?: SimChargebackFee; chargebackProductId?: 'payment'; listedAfterMs?: number },
  ): Promise<void>;
  /** A withdrawal to the business's bank (dashboard Balance → Withdraw); the whole balance when no amount. */
  withdraw(userId: string, currency: Currency, amount?: number): { id: string } | { error: string };
  /** The Billing Report CSV of an account (by business id) for a month (YYYY-MM), as the dashboard offers it. */
  billingReport(userId: string, month: string): string;
  /** The Dispute Report CSV of an account (by business id): every dispute with its status now. */
  disputeReport(userId: string): string;
  /** The months an account has fees billed in, newest first. */
  billedMonths(userId: string): string[];
  /**
   * PAID → SETTLED, with no callback: Xendit documents none (callbacks.ts). `sendCallback: true`
   * sends one anyway, for a test of what the gateway does should one come.
   */
  settle(invoiceId: string, opts?: Pick<PayOptions, 'callbackUrl' | 'sendCallback'>): Promise<SimCallback | undefined>;
  reset(): void;
}

export interface OutsideInvoice {
  /** The account's user id (what the dashboard form sends) or its secret key. */
  account: string;
  currency: Currency;
  amount: number; // minor units
  description?: string;
  payerEmail?: string;
  customerName?: string;
  items?: SimXenditInvoice['items'];
  externalId?: string;
}

/** Requests whose method is this (any case) and whose path (relative to the mount) starts with this. */
export interface XenditRequestFilter {
  method?: string;
  pathPrefix?: string;
}

export interface XenditSimTestApi {
  /** A copy of the request log (the latest 1000), oldest first, optionally filtered. */
  requests(filter?: XenditRequestFilter): SimRequest[];
  countRequests(filter?: XenditRequestFilter): number;
  /** Empties the request log (to see only what comes next). */
  clearRequests(): void;
  /** Counts time (rate-limit windows, dates of what it makes) on this clock from now on, e.g. a test's; none: its own again (reset() too). */
  useClock(now?: () => Date): void;
  /** A copy of the account with this secret key, if registered. */
  account(secretKey: string): XenditSimAccount | undefined;
  /** As when the merchant deletes this secret key in Xendit's dashboard: calls with it get 401 from now on (XenditSimAccount.revoked). */
  revokeKey(secretKey: string): void;
  /** As when the merchant changes the account's settings in Xendit's dashboard (callback URLs, fees on callbacks, key permissions, activated channels and currencies). */
  updateAccount(
    secretKey: string,
    change: Partial<
      Pick<
        XenditSimAccount,
        | 'callbackUrl'
        | 'refundCallbackUrl'
        | 'disputeCallbackUrl'
        | 'callbackFees'
        | 'permissions'
        | 'expiredCallbacks'
        | 'feeBilling'
        | 'refundOutcome'
        | 'insufficientBalance'
        | 'refundsNameInvoice'
        | 'refundsListOrder'
        | 'refundTransactionProductId'
        | 'activatedChannels'
        | 'activatedCurrencies'
      >
    >,
  ): void;
  /** Copies of the callbacks sent (and their answers), oldest first. */
  callbacks(): SimCallback[];
  /** The body Xendit's callback for the invoice's present state carries (one held back with sendCallback: false); undefined for an unknown invoice. */
  callbackBody(invoiceId: string): Record<string, unknown> | undefined;
  /** How many invoices the simulator holds, every account's. */
  invoiceCount(): number;
  /** Copies of the notifications Xendit sent customers (receipt e-mails), oldest first. */
  notifications(): SimNotification[];
  /** As the merchant's withdrawal (manual or automatic) to their bank: the whole balance when no amount (minor units). */
  withdraw(secretKey: string, currency: Currency, amount?: number, opts?: WithdrawOptions): { id: string; amount: number };
  /**
   * The receiving bank sends a withdrawal back (invalid or dormant account): REVERSED, its money back in
   * the balance; `at`: when (default now). `fee`: what becomes of its completed fee (withdrawals.ts
   * reverseWithdrawal): 'REVERSED' (the default) given back with it, 'COMPLETED' kept by Xendit.
   */
  reverseWithdrawal(secretKey: string, id: string, at?: Date, opts?: { fee?: 'REVERSED' | 'COMPLETED' }): void;
  /** The fee Xendit kept on a reversed withdrawal is given back later (`at`, default now): its fee status REVERSED, the fee back in the balance. */
  giveWithdrawalFeeBack(secretKey: string, id: string, at?: Date): void;
  /** The fee on a lost dispute's CHARGEBACK transaction changes (a PENDING one COMPLETED, say): as Xendit works it out. */
  chargebackFee(disputeId: string, fee: SimChargebackFee): void;
  /** A PENDING withdrawal is sent (SUCCESS). */
  completeWithdrawal(secretKey: string, id: string): void;
  /**
   * Xendit marks the fee of a payment refunded in full as given back some time after the refund (when
   * is not documented): its transaction's fee.status REVERSED, the fee back in the balance.
   */
  giveFeeBackLater(invoiceId: string): void;
  /**
   * What the payment's transaction says of the fee beyond xendit_fee and value_added_tax
   * (xendit-node balance_and_transaction FeeResponse): tax withheld (xendit_withholding_tax,
   * third_party_withholding_tax; minor units), which lowers net_amount and what settles; `pending`:
   * fee.status PENDING; `withholdingShown: false`: the two withholding fields are left out (the
   * model has them optional) while net_amount still shows the tax taken. Only what is given changes.
   */
  transactionFee(
    invoiceId: string,
    change: { xenditWithholding?: number; thirdPartyWithholding?: number; pending?: boolean; withholdingShown?: boolean },
  ): void;
  /** The account's CASH balance in this currency (minor units), as GET /balance tells it. */
  balance(secretKey: string, currency: Currency): number;
  /**
   * A movement of the balance the gateway does not book (a payout to a supplier: DISBURSEMENT, MONEY_OUT), as made in Xendit's dashboard.
   * RESERVES_HOLD (MONEY_OUT) and RESERVES_RELEASE (MONEY_IN) move the amount from CASH into HOLDING and back (withdrawals.ts heldInReserve).
   */
  movement(secretKey: string, m: { type: string; currency: Currency; amount: number; cashflow: 'MONEY_IN' | 'MONEY_OUT'; fee?: MovementFee }): { id: string };
  /**
   * A movement's fee PENDING until now is COMPLETED: taken from the balance, its fee object says so.
   * Its transaction's `updated` moves to now (the fee object is part of the transaction: xendit-node
   * TransactionResponse.updated "Transaction updated timestamp"), unless `updated: false`: whether
   * Xendit moves it for a fee is not documented, so a test can take the case where it does not.
   */
  completeMovementFee(secretKey: string, id: string, opts?: { updated?: boolean }): void;
  /**
   * A payout's receiving bank sends it back: REVERSED, its money back in the balance; `at`: when
   * (default now). Its fee comes back too (fee status REVERSED) unless `fee: 'COMPLETED'`: Xendit kept it.
   */
  reverseMovement(secretKey: string, id: string, at?: Date, opts?: { fee?: 'COMPLETED' }): void;
  /** The fee Xendit kept on a reversed movement is given back later (`at`, default now): its fee status REVERSED, the fee back in the balance, as a withdrawal's (giveWithdrawalFeeBack). */
  giveMovementFeeBack(secretKey: string, id: string, at?: Date): void;
  /** Paid and not yet settled into that balance (minor units, net of fee). */
  pendingSettlement(secretKey: string, currency: Currency): number;
  /**
   * Sends every refused callback and webhook whose redelivery the simulator's clock has passed
   * (15 m, 1 h, 3 h, 6 h, 12 h, 24 h after the first attempt: deliveries.ts), and resolves once each
   * has its answer; what was sent, in order. The simulator sends none on its own in tests.
   */
  redeliverDue(): Promise<Redelivered[]>;
  /** The refused callbacks and webhooks waiting for their next attempt, and when it is due. */
  redeliveries(): { kind: SimRedelivery['kind']; subject: string; retries: number; dueAt: Date }[];
}

/**
 * Xendit's fee on a movement and VAT on it (minor units; balance-state.ts SimMovement.fee): money
 * out's on top of `amount` unless `inAmount`; `pending`: the fee object PENDING, not taken yet.
 */
export interface MovementFee {
  xenditFee: number;
  vat: number;
  inAmount?: boolean;
  pending?: boolean;
}

/**
 * at: when it was made (a test's past day; default now). pending: requested and not sent yet
 * (Transactions API status PENDING), already taken from the CASH balance (withdrawals.ts).
 * to: which of the merchant's registered bank accounts it went to (default ID_BCA 8880001234);
 * accountNumber null: the transaction says none, as Xendit may (account_identifier is nullable).
 */
export interface WithdrawOptions {
  at?: Date;
  pending?: boolean;
  to?: { channelCode?: string; accountNumber: string | null };
  /** Xendit's payout fee and VAT on it (minor units): on top of `amount` unless `inAmount` (withdrawals.ts). */
  fee?: { xenditFee: number; vat: number; inAmount?: boolean; pending?: boolean };
}
