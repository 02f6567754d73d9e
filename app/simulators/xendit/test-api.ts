/**
 * What tests may see of the simulated Xendit beyond its HTTP API, and the few changes they may
 * make behind the gateway's back: copies of the request log, of accounts and of the callbacks
 * sent, and named commands. Tests use `sim.test`, never `sim.state` (eslint's
 * no-restricted-syntax rule on test/ and test/unit/sim-state-rule.test.ts keep it so).
 */
import type { Currency } from '../../money.js';
import type { SimCallback, SimNotification, SimRequest, XenditSimAccount, XenditSimState } from './state.js';

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
        | 'refundsNameInvoice'
        | 'refundsListOrder'
        | 'activatedChannels'
        | 'activatedCurrencies'
      >
    >,
  ): void;
  /** Copies of the callbacks sent (and their answers), oldest first. */
  callbacks(): SimCallback[];
  /** How many invoices the simulator holds, every account's. */
  invoiceCount(): number;
  /** Copies of the notifications Xendit sent customers (receipt e-mails), oldest first. */
  notifications(): SimNotification[];
  /** As the merchant's withdrawal (manual or automatic) to their bank: the whole balance when no amount (minor units). */
  withdraw(secretKey: string, currency: Currency, amount?: number, opts?: WithdrawOptions): { id: string; amount: number };
  /** The receiving bank sends a withdrawal back (invalid or dormant account): REVERSED, its money back in the balance; `at`: when (default now). */
  reverseWithdrawal(secretKey: string, id: string, at?: Date): void;
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
  /** A movement of the balance the gateway does not book (a payout to a supplier: DISBURSEMENT, MONEY_OUT), as made in Xendit's dashboard. */
  movement(secretKey: string, m: { type: string; currency: Currency; amount: number; cashflow: 'MONEY_IN' | 'MONEY_OUT' }): { id: string };
  /** Paid and not yet settled into that balance (minor units, net of fee). */
  pendingSettlement(secretKey: string, currency: Currency): number;
}

/** The commands that need the simulator's context (index.ts makes them). */
/**
 * at: when it was made (a test's past day; default now). pending: requested and not sent yet
 * (Transactions API status PENDING), already taken from the CASH balance (withdrawals.ts).
 */
export interface WithdrawOptions {
  at?: Date;
  pending?: boolean;
}

export type XenditSimCommands = Pick<
  XenditSimTestApi,
  'withdraw' | 'reverseWithdrawal' | 'completeWithdrawal' | 'balance' | 'pendingSettlement' | 'movement' | 'giveFeeBackLater' | 'transactionFee' | 'useClock'
>;

export function xenditTestApi(state: XenditSimState, commands: XenditSimCommands): XenditSimTestApi {
  const requests = (f: XenditRequestFilter = {}) =>
    state.requests
      .filter((r) => (!f.method || r.method === f.method.toUpperCase()) && (f.pathPrefix === undefined || r.path.startsWith(f.pathPrefix)))
      .map((r) => ({ ...r }));
  return {
    requests,
    countRequests: (filter) => requests(filter).length,
    clearRequests: () => void (state.requests.length = 0),
    account: (secretKey) => {
      const a = state.accounts.get(secretKey);
      return a && structuredClone(a);
    },
    revokeKey: (secretKey) => {
      const a = state.accounts.get(secretKey);
      if (!a) throw new Error(`no Xendit account ${secretKey}`);
      a.revoked = true;
    },
    updateAccount: (secretKey, change) => {
      const a = state.accounts.get(secretKey);
      if (!a) throw new Error(`no Xendit account ${secretKey}`);
      Object.assign(a, change);
    },
    callbacks: () => structuredClone(state.callbacks),
    invoiceCount: () => state.invoices.size,
    notifications: () => state.notifications.map((n) => ({ ...n })),
    ...commands,
  };
}
