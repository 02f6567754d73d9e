/**
 * What tests may see of the simulated Xendit beyond its HTTP API, and the few changes they may
 * make behind the gateway's back: copies of the request log, of accounts and of the callbacks
 * sent, and named commands. Tests use `sim.test`, never `sim.state` (eslint's
 * no-restricted-syntax rule on test/ and test/unit/sim-state-rule.test.ts keep it so). Its interface,
 * XenditSimTestApi, is in simulator.ts.
 */
import type { XenditSimState } from './state.js';
import type { XenditRequestFilter, XenditSimTestApi } from './simulator.js';

/** The commands that need the simulator's context (index.ts makes them). */
export type XenditSimCommands = Pick<
  XenditSimTestApi,
  | 'withdraw'
  | 'reverseWithdrawal'
  | 'giveWithdrawalFeeBack'
  | 'completeWithdrawal'
  | 'balance'
  | 'pendingSettlement'
  | 'movement'
  | 'completeMovementFee'
  | 'reverseMovement'
  | 'giveMovementFeeBack'
  | 'giveFeeBackLater'
  | 'transactionFee'
  | 'chargebackFee'
  | 'callbackBody'
  | 'useClock'
  | 'redeliverDue'
  | 'redeliveries'
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
