import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import { LOGIN_WINDOW_MS } from '../../admin/auth/service.js';

/**
 * Rate-limit windows are at most a day (PAY_RATE_LIMIT_WINDOW_SECONDS), so older ones count nothing;
 * a day is also how long sign-in remembers a client that signed in (LOGIN_KNOWN_CLIENT_MS, a login-ok row).
 */
const RATE_LIMIT_KEEP_MS = 24 * 3600_000;
const JOBS_KEEP_MS = 24 * 3600_000;

/**
 * Every GET /admin/login writes an anonymous session and every client a rate-limit row: without
 * this, a flood grows those tables for ever. Runs on its own schedule, whether or not
 * reconciliation is on.
 */
export function housekeepingJob(deps: { stores: Stores; clock: Clock; logger: Logger }) {
  return async (): Promise<void> => {
    const now = deps.clock();
    const pruned = await deps.stores.housekeeping.prune({
      now,
      loginAttemptsBefore: new Date(now.getTime() - LOGIN_WINDOW_MS),
      rateLimitsBefore: new Date(now.getTime() - RATE_LIMIT_KEEP_MS),
    });
    const jobs =
      (await deps.stores.jobs.pruneDone('housekeeping', new Date(now.getTime() - JOBS_KEEP_MS))) +
      // The daily looks at a fee Xendit may still give back (list-refunds.ts): up to 30 a payment, nothing to keep once done.
      (await deps.stores.jobs.pruneDone('return-fee', new Date(now.getTime() - JOBS_KEEP_MS), 'look')) +
      // A retired Xendit key, sealed in its payload: not kept once its checkouts are dealt with.
      (await deps.stores.jobs.pruneDone('retire-xendit-key', new Date(now.getTime() - JOBS_KEEP_MS)));
    deps.logger.info({ pruned: { ...pruned, jobs } }, 'housekeeping run finished');
  };
}
