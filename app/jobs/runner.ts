import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Job, JobStore, Lease } from '../store/jobs.js';
import { UpstreamError } from '../clients/types.js';
import { XeroDisconnected, XeroScopeMissing } from '../clients/xero/errors.js';
import type { GroupMember, JobGroup } from './xero-batch.js';

/** Throw from a handler to try again later (after afterSeconds, or the runner's back-off). */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly afterSeconds?: number,
  ) {
    super(message);
  }
}

/** Throw from a handler when retrying cannot help: a person must look (Xero said 400, data mismatch). */
export class NeedsReview extends Error {}

/** A run found its claim gone (sync/send-once.ts): another claim holds the job, so this one stops, writing no verdict. */
export class ClaimLost extends Error {}

/**
 * What the runner lends a job run as part of a group: the Xero gateway that batches the group's
 * calls, a way to wait on Xendit without holding the group's running slot, and reads shared by
 * the group (xero-batch.ts GroupMember).
 */
export type JobScope = Pick<GroupMember, 'xero' | 'upstream' | 'remembered' | 'together'>;

export type JobHandler = (job: Job, scope?: JobScope) => Promise<void>;

/** Attempts a job makes while Xero refuses a fresh token (XeroScopeMissing) before it goes to review, and the wait between them. */
const SCOPE_MISSING_ATTEMPTS = 3;
const SCOPE_MISSING_RETRY_SECONDS = 15 * 60;

/** Seconds before attempt n+1; the last value repeats (see DEFAULT_MAX_ATTEMPTS for the horizon). */
export const BACKOFF_SECONDS = [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800];

export interface RunnerDeps {
  jobs: JobStore;
  handlers: Record<string, JobHandler>;
  clock: Clock;
  logger: Logger;
  leaseMs?: number;
  /** A job ended in needs_review (refused, or gave up): lets its kind flag what it was working on. */
  onNeedsReview?: (job: Job, reason: string) => Promise<void>;
  /** A job finished (metrics: how long after it was queued). */
  onDone?: (job: Job, at: Date) => void;
  /** A run failed (it will wait, retry or need review): lets alerts tell people about failures only they can fix. */
  onFailure?: (job: Job, err: unknown) => Promise<void>;
  /**
   * Jobs of these kinds are claimed up to `size` at a time per merchant and run side by side in a
   * group (`open`), which sends their Xero writes as one batch call. Size 1 or unset: one at a time.
   */
  batch?: { size: number; kinds: readonly string[]; open(): JobGroup };
  /** Calls `wake` after `ms` unless cancelled (tests drive the idle poll by hand). */
  pollTimer?: PollTimer;
  /** Calls `renew` every `ms` until cancelled: the leases of the jobs being run (tests renew by hand). */
  leaseTimer?: LeaseTimer;
}

export type PollTimer = (wake: () => void, ms: number) => () => void;
export type LeaseTimer = (renew: () => Promise<void>, ms: number) => () => void;

const realTimer: PollTimer = (wake, ms) => {
  const t = setTimeout(wake, ms);
  return () => clearTimeout(t);
};

const realLeaseTimer: LeaseTimer = (renew, ms) => {
  const t = setInterval(() => void renew(), ms);
  // Renewing never keeps a process from exiting: the job's own work does while it lasts.
  t.unref();
  return () => clearInterval(t);
};

/**
 * How often a running job's lease is renewed, as a share of the lease: two renewals can fail (the
 * database away a moment) before another worker may take the job over.
 */
const RENEWALS_PER_LEASE = 3;

export function classify(err: unknown): RetryLater | NeedsReview {
  if (err instanceof RetryLater || err instanceof NeedsReview) return err;
  if (err instanceof UpstreamError) {
    // A scope the connection lacks stays lacking until the merchant reconnects (the runner tries a few times first).
    if (err.kind === 'rejected' || err instanceof XeroScopeMissing) return new NeedsReview(err.message);
    return new RetryLater(err.message, err.retryAfterSeconds);
  }
  return new RetryLater(err instanceof Error ? err.message : String(err));
}

/**
 * Not a failure: the job waits exactly as long as it is told, without spending an attempt. Our own
 * Xero budget refused before any call was made (no status: Xero never saw it); or Xendit answered
 * 429 saying when its window resets (Rate-Limit-Reset). Xendit's limit is per endpoint per account,
 * so the merchant's other jobs would mostly meet the same 429 meanwhile. A Xendit 429 that says no
 * time is retried with the back-off, as an attempt.
 */
function heldBack(err: unknown): err is UpstreamError {
  if (!(err instanceof UpstreamError)) return false;
  if (err.upstream === 'xero') return err.heldBack;
  return err.kind === 'rate_limited' && err.retryAfterSeconds !== undefined;
}

/** The leases of the jobs a worker is running (keepLeased). */
interface Leased {
  /** Renewed no more: its verdict is about to be written. */
  release(job: Job): void;
  stop(): void;
}

export function createJobRunner(deps: RunnerDeps) {
  const leaseMs = deps.leaseMs ?? 5 * 60_000;
  const pollTimer = deps.pollTimer ?? realTimer;
  const leaseTimer = deps.leaseTimer ?? realLeaseTimer;
  let stopping = false;
  const wakers = new Set<() => void>();
  let loops: Promise<void> | undefined;

  const logFor = (job: Job) => deps.logger.child({ jobId: job.id, kind: job.kind, attempt: job.attempts });

  function finished(job: Job, ok: boolean, doneAt: Date): void {
    const log = logFor(job);
    if (ok) {
      log.info('job done');
      deps.onDone?.(job, doneAt);
    } else log.warn('job finished after its lease ran out; another worker had taken it over');
  }

  async function toReview(job: Job, reason: string, now: Date): Promise<void> {
    const log = logFor(job);
    const ended = await deps.jobs.needsReview(job, reason, now);
    if (ended === 'requeued') log.info({ reason }, 'job queued again instead of review: the payment it waited for reached Xero meanwhile');
    else if (ended) {
      await deps.onNeedsReview?.(job, reason);
      log.warn({ reason }, 'job needs review');
    }
  }

  /**
   * Keeps renewing the leases of the jobs a worker claimed while it runs them, so a job that runs
   * longer than the lease (a listing slowed by Xendit's rate limit, a report, a big batch) is not
   * taken over and run a second time alongside, and does not end in review as if it had killed its
   * worker. A worker that dies, or whose event loop is stuck, stops renewing: its jobs are taken
   * over when the lease runs out, as before. `release` a job before writing its verdict.
   */
  function keepLeased(jobs: Job[]): Leased {
    const held = new Map<number, Lease>();
    for (const j of jobs) held.set(j.id, { id: j.id, claimNo: j.claimNo, attempts: j.attempts });
    let renewing = false;
    let cancel = () => {};
    const renew = async (): Promise<void> => {
      // A renewal still waiting on the database is not stacked with the next.
      if (renewing || held.size === 0) return;
      renewing = true;
      try {
        const leases = [...held.values()];
        const until = new Date(deps.clock().getTime() + leaseMs);
        const renewed = await deps.jobs.renew(leases, until);
        for (const lease of leases) {
          // Released (its verdict is being written), or renewed: kept as it is.
          if (held.get(lease.id) !== lease || renewed.has(lease.id)) continue;
          held.delete(lease.id);
          // Its verdict is fenced on the claim (store/jobs.ts), so it cannot overwrite the new one.
          deps.logger.warn(
            { jobId: lease.id, attempt: lease.attempts },
            'job lease lost while running: another worker took the job over, and this run cannot record its result over theirs',
          );
        }
        if (held.size === 0) cancel();
      } catch (err) {
        // Tried again at the next renewal, before the lease runs out.
        deps.logger.warn({ err, jobs: held.size }, 'could not renew job leases');
      } finally {
        renewing = false;
      }
    };
    if (held.size > 0) cancel = leaseTimer(renew, Math.max(1, Math.floor(leaseMs / RENEWALS_PER_LEASE)));
    return {
      release(job: Job): void {
        held.delete(job.id);
      },
      stop(): void {
        held.clear();
        cancel();
      },
    };
  }

  /**
   * Runs one job. In a group, a job whose handler succeeded is handed to `succeeded` instead of
   * being finished here: the group finishes its jobs in one statement (runClaimed), and its lease
   * is kept until then.
   */
  async function run(job: Job, lease: Leased, member?: GroupMember, succeeded?: (job: Job) => void): Promise<void> {
    const log = logFor(job);
    const handler = deps.handlers[job.kind];
    try {
      if (!handler) throw new NeedsReview(`no handler for job kind ${job.kind}`);
      try {
        await member?.start();
        await handler(job, member);
      } finally {
        member?.leave();
      }
      if (succeeded) return succeeded(job);
      lease.release(job);
      const doneAt = deps.clock();
      finished(job, await deps.jobs.finish(job, doneAt), doneAt);
    } catch (raw) {
      lease.release(job);
      if (raw instanceof ClaimLost) return void log.warn({ reason: raw.message }, 'job stopped: another worker took it over');
      if (heldBack(raw)) {
        // The merchant's other queued jobs would meet the same refusal: they wait too, so the
        // worker spends its time on organisations with budget left instead of re-trying this one.
        const until = new Date(deps.clock().getTime() + Math.max(1, raw.retryAfterSeconds ?? 1) * 1000);
        await deps.jobs.holdBack(job, until, raw.message, deps.clock());
        log.debug({ until, error: raw.message }, `job held back by ${raw.upstream === 'xero' ? 'the Xero rate budget' : "Xendit's rate limit"}`);
        return;
      }
      const now = deps.clock();
      await deps.onFailure?.(job, raw).catch((err: unknown) => log.warn({ err: String(err) }, 'failure hook failed'));
      if (raw instanceof XeroDisconnected) {
        // Not the job's fault: it waits for the merchant to reconnect (jobs.claim skips it meanwhile).
        if (await deps.jobs.park(job, raw.message, now)) log.warn({ merchantId: raw.merchantId }, 'job waits: Xero disconnected');
        return;
      }
      if (raw instanceof XeroScopeMissing && job.attempts < SCOPE_MISSING_ATTEMPTS) {
        // Told apart from an expired token only by timing (a fresh token refused), not by Xero's
        // body: tried again a little later before a person is asked, in case it was passing.
        await deps.jobs.retryAt(job, new Date(now.getTime() + SCOPE_MISSING_RETRY_SECONDS * 1000), raw.message, now);
        log.warn({ error: raw.message }, 'job will retry: Xero refused a fresh token');
        return;
      }
      const err = classify(raw);
      if (err instanceof NeedsReview || job.attempts >= job.maxAttempts) {
        return toReview(job, err instanceof NeedsReview ? err.message : `gave up after ${job.attempts} attempts: ${err.message}`, now);
      }
      const backoff = BACKOFF_SECONDS[Math.min(job.attempts - 1, BACKOFF_SECONDS.length - 1)];
      const delay = Math.max(err.afterSeconds ?? 0, backoff);
      await deps.jobs.retryAt(job, new Date(now.getTime() + delay * 1000), err.message, now);
      log.info({ delaySeconds: delay, error: err.message }, 'job will retry');
    }
  }

  /** `job`, and when its kind batches, the merchant's other due jobs of that kind, run side by side. */
  async function runClaimed(job: Job): Promise<void> {
    if (job.workerStopped) {
      // Never reached a verdict of its own, so the check after a failed run never saw it: it would
      // come back every lease period, killing the worker and the jobs beside it each time.
      const reason = `gave up after ${job.attempts} attempts: the worker stopped while running the last one (crashed, killed or out of memory?), as a job that kills its worker does every time`;
      return toReview(job, reason, deps.clock());
    }
    const batch = deps.batch && deps.batch.size > 1 && job.merchantId && deps.batch.kinds.includes(job.kind) ? deps.batch : undefined;
    let more: Job[] = [];
    if (batch) {
      try {
        more = await deps.jobs.claimMore(job, batch.size - 1, deps.clock(), leaseMs);
      } catch (err) {
        deps.logger.warn({ err, jobId: job.id }, 'could not claim more jobs for a batch; running the one');
      }
    }
    const lease = keepLeased([job, ...more]);
    try {
      if (!batch || more.length === 0) return await run(job, lease);
      const group = batch.open();
      // Every member joins before any runs: the group sends its calls once all of them wait.
      const members = [job, ...more].map((j) => [j, group.member()] as const);
      const done: Job[] = [];
      await Promise.all(members.map(([j, m]) => run(j, lease, m, (d) => void done.push(d))));
      lease.stop();
      // One statement for the group's finished jobs instead of one each. Should it fail, they stay
      // running until their lease runs out and run again: each job's own state makes that a no-op.
      const doneAt = deps.clock();
      let ids: Set<number>;
      try {
        ids = await deps.jobs.finishAll(done, doneAt);
      } catch (err) {
        deps.logger.warn({ err, jobs: done.length }, 'could not mark a group of jobs done; their leases will bring them back');
        return;
      }
      for (const d of done) finished(d, ids.has(d.id), doneAt);
    } finally {
      lease.stop();
    }
  }

  return {
    /** Claims and runs one due job (with the jobs batched with it); false when none is due. */
    async runOnce(): Promise<boolean> {
      const job = await deps.jobs.claim(deps.clock(), leaseMs);
      if (!job) return false;
      await runClaimed(job);
      return true;
    },

    /** Runs due jobs until none is left (tests and the CLI); bounded so a bug cannot spin forever. */
    async drain(max = 10_000): Promise<number> {
      let n = 0;
      while (n < max && (await this.runOnce())) n++;
      return n;
    },

    /**
     * `concurrency` loops claim and run jobs side by side (SKIP LOCKED keeps them apart). Idle, only
     * the first polls the database; a loop that finds a job wakes one more, so a backlog soon has them
     * all busy while an idle worker costs one claim per poll, whatever the concurrency.
     */
    start(pollMs: number, concurrency = 1): void {
      if (loops) return;
      stopping = false;
      const loop = async (_: unknown, index: number) => {
        while (!stopping) {
          try {
            const job = await deps.jobs.claim(deps.clock(), leaseMs);
            if (job) {
              // One sleeping loop looks too (and wakes the next if it finds one as well).
              const next = wakers.values().next();
              if (!next.done) next.value();
              await runClaimed(job);
              continue;
            }
          } catch (err) {
            deps.logger.error({ err }, 'worker loop error');
          }
          if (stopping) break; // stop() may have woken everyone while this loop was claiming
          await new Promise<void>((resolve) => {
            const wake = () => {
              cancel?.();
              wakers.delete(wake);
              resolve();
            };
            const cancel = index === 0 ? pollTimer(wake, pollMs) : undefined;
            wakers.add(wake);
          });
        }
      };
      loops = Promise.all(Array.from({ length: Math.max(1, concurrency) }, loop)).then(() => undefined);
    },

    /** New work was enqueued in this process: look now instead of at the next poll. */
    wake(): void {
      for (const wake of [...wakers]) wake();
    },

    /** Stops taking jobs and waits for the one in flight. */
    async stop(): Promise<void> {
      stopping = true;
      this.wake();
      await loops;
      loops = undefined;
    },
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;
