/**
 * The client's side of Xero's rate limits: every call takes a ticket from the shared budget
 * (app/store/xero-budget.ts) before it is sent, and gives back what Xero's answer says about the
 * limits when it is done.
 */
import type { Logger } from 'pino';
import { UpstreamError } from '../types.js';
import { asRecord, errorText, rateLimitWaitSeconds, readFailure } from './errors.js';
import type { XeroBudget, XeroBudgetScope, XeroBudgetTicket, XeroCallOutcome, XeroCallPurpose, XeroCredentials } from './types.js';

const SLOT_POLL_MS = 25;
const BUDGET_REASON = {
  blocked: 'Xero asked us to wait (429)',
  day: 'daily call budget is used up',
  reserve: 'daily call budget is down to the share kept for payment writes',
  minute: 'budget of calls for this minute is used up',
  app_minute: "app's budget of calls for this minute is used up",
  share_minute: "admin's share of this minute's calls is used up",
  share_day: "admin's share of today's calls is used up",
  in_flight: 'calls in flight are at the limit',
} as const;

/** For tests and tools that do not care about limits. */
export const unlimitedXeroBudget: XeroBudget = {
  acquire: async () => ({ ok: true, release: async () => undefined, refund: async () => undefined }),
};

export interface BudgetUse {
  /** Runs fn with a ticket (`prepaid`, or one asked for now) and releases it with what Xero said about the limits. */
  budgeted<T>(creds: XeroCredentials, purpose: XeroCallPurpose, fn: () => Promise<T>, prepaid?: XeroBudgetTicket): Promise<T>;
  /** A prepaid call that will not be made gives its budget back (a slot held until its lease would slow every other call). */
  refund(prepaid: XeroBudgetTicket | undefined): void;
}

export function useBudget(opts: { budget: XeroBudget; slotWaitMs: number; now: () => Date; logger?: Logger }): BudgetUse {
  const { budget, slotWaitMs, now } = opts;
  const log = opts.logger;

  /**
   * Waits (briefly) for an in-flight slot; any other refusal is a rate_limited error, at once.
   * `prepaid` is the first answer when the caller already asked the budget (its refusal counts too).
   */
  async function acquire(scope: XeroBudgetScope, purpose: XeroCallPurpose, prepaid?: XeroBudgetTicket) {
    const started = Date.now();
    for (let first = prepaid; ; first = undefined) {
      const ticket = first ?? (await budget.acquire(scope, purpose));
      if (ticket.ok) return ticket;
      if (ticket.reason === 'in_flight' && Date.now() - started < slotWaitMs) {
        await new Promise((resolve) => setTimeout(resolve, SLOT_POLL_MS));
        continue;
      }
      log?.info(
        { clientId: scope.clientId, reason: ticket.reason, purpose, retryAfterSeconds: ticket.retryAfterSeconds },
        'xero call held back by the rate budget',
      );
      throw new UpstreamError('xero', 'rate_limited', `not calling Xero: the ${BUDGET_REASON[ticket.reason]}`, undefined, ticket.retryAfterSeconds);
    }
  }

  async function budgeted<T>(creds: XeroCredentials, purpose: XeroCallPurpose, fn: () => Promise<T>, prepaid?: XeroBudgetTicket): Promise<T> {
    const ticket = await acquire({ clientId: creds.clientId, tenantId: creds.tenantId }, purpose, prepaid);
    const release = (outcome: XeroCallOutcome) =>
      ticket.release(outcome).catch((err: unknown) => log?.warn({ err: errorText(err) }, 'xero: could not release the rate-budget slot (its lease will)'));
    try {
      const result = await fn();
      const released = release(limitsOf(asRecord((result as { response?: { headers?: unknown } } | undefined)?.response?.headers), now));
      // A customer waits on a pay click: its slot is freed after the answer (a failed call still
      // waits, so a 429's block is stored before anyone else calls).
      if (purpose !== 'pay-click') await released;
      return result;
    } catch (err) {
      const f = readFailure(err);
      await release(f ? limitsOf(f.headers, now, f.status) : {});
      throw err;
    }
  }

  function refund(prepaid: XeroBudgetTicket | undefined): void {
    if (prepaid?.ok)
      prepaid.refund().catch((err: unknown) => log?.warn({ err: errorText(err) }, 'xero: could not give back an unused rate-budget slot (its lease will)'));
  }

  return { budgeted, refund };
}

/** Xero's X-*Limit-Remaining headers (and a 429's Retry-After) in our terms. */
function limitsOf(headers: Record<string, unknown>, now: () => Date, status?: number): XeroCallOutcome {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const count = (name: string) => {
    const n = Number(lower[name]);
    return lower[name] === undefined || lower[name] === '' || !Number.isInteger(n) || n < 0 ? undefined : n;
  };
  // A 429's Retry-After says when Xero takes calls again, whichever way it counts: it alone is
  // taken. Its remaining counts (0) would pin our calendar minute or day as spent, and Xero's windows
  // may roll (developer.xero.com/faq/limits: "in a given 24 hour period"): after midnight UTC that
  // held an organisation back for up to a day after Xero would take its calls again. The concurrent
  // limit's 429 has none (rateLimitWaitSeconds): a second, as for our own slots; taken as a minute it
  // held every pay click and payment write of the merchant back for one. A 429 saying neither: a minute.
  if (status === 429) {
    return { blockedForSeconds: rateLimitWaitSeconds(headers, now) ?? 60, appWide: /app/i.test(String(lower['x-rate-limit-problem'] ?? '')) };
  }
  const outcome: XeroCallOutcome = {};
  const min = count('x-minlimit-remaining');
  const day = count('x-daylimit-remaining');
  const app = count('x-appminlimit-remaining');
  if (min !== undefined) outcome.minRemaining = min;
  // None left today, as Xero counts: our count is not pinned for the calendar day (see above); the
  // next call meets Xero's 429 and its Retry-After.
  if (day !== undefined && day > 0) outcome.dayRemaining = day;
  if (app !== undefined) outcome.appMinRemaining = app;
  return outcome;
}
