import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Job, JobStore } from '../store/jobs.js';
import { UpstreamError } from '../clients/types.js';

/** Throw from a handler to try again later (after afterSeconds, or the runner's back-off). */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly afterSeconds?: number,
    /** Nothing was tried (our Xero budget said not now): the run does not count as an attempt. */
    readonly notAnAttempt = false,
  ) {
    super(message);
  }
}

/** Throw from a handler when retrying cannot help: a person must look (Xero said 400, data mismatch). */
export class NeedsReview extends Error {}

export type JobHandler = (job: Job) => Promise<void>;

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
}

export function classify(err: unknown): RetryLater | NeedsReview {
  if (err instanceof RetryLater || err instanceof NeedsReview) return err;
  if (err instanceof UpstreamError) {
    if (err.kind === 'rejected') return new NeedsReview(err.message);
    return new RetryLater(err.message, err.retryAfterSeconds, err.heldBack);
  }
  return new RetryLater(err instanceof Error ? err.message : String(err));
}

export function createJobRunner(deps: RunnerDeps) {
  const leaseMs = deps.leaseMs ?? 5 * 60_000;
  let stopping = false;
  let wakeUp: (() => void) | undefined;
  let loop: Promise<void> | undefined;

  async function run(job: Job): Promise<void> {
    const log = deps.logger.child({ jobId: job.id, kind: job.kind, attempt: job.attempts });
    const handler = deps.handlers[job.kind];
    try {
      if (!handler) throw new NeedsReview(`no handler for job kind ${job.kind}`);
      await handler(job);
      if (await deps.jobs.finish(job, deps.clock())) log.info('job done');
      else log.warn('job finished after its lease ran out; another worker had taken it over');
    } catch (raw) {
      const err = classify(raw);
      const now = deps.clock();
      // A long budget starvation (a flood of reads, a small Xero plan) must not use up the attempts
      // and send payments to needs_review: Xero was never asked.
      if (err instanceof RetryLater && err.notAnAttempt) {
        const delay = Math.max(err.afterSeconds ?? 0, 1);
        await deps.jobs.postpone(job, new Date(now.getTime() + delay * 1000), err.message, now);
        log.info({ delaySeconds: delay, error: err.message }, 'job postponed by the rate budget');
        return;
      }
      if (err instanceof NeedsReview || job.attempts >= job.maxAttempts) {
        const reason = err instanceof NeedsReview ? err.message : `gave up after ${job.attempts} attempts: ${err.message}`;
        if (await deps.jobs.needsReview(job, reason, now)) {
          await deps.onNeedsReview?.(job, reason);
          log.warn({ reason }, 'job needs review');
        }
        return;
      }
      const backoff = BACKOFF_SECONDS[Math.min(job.attempts - 1, BACKOFF_SECONDS.length - 1)];
      const delay = Math.max(err.afterSeconds ?? 0, backoff);
      await deps.jobs.retryAt(job, new Date(now.getTime() + delay * 1000), err.message, now);
      log.info({ delaySeconds: delay, error: err.message }, 'job will retry');
    }
  }

  return {
    /** Claims and runs one due job; false when none is due. */
    async runOnce(): Promise<boolean> {
      const job = await deps.jobs.claim(deps.clock(), leaseMs);
      if (!job) return false;
      await run(job);
      return true;
    },

    /** Runs due jobs until none is left (tests and the CLI); bounded so a bug cannot spin forever. */
    async drain(max = 10_000): Promise<number> {
      let n = 0;
      while (n < max && (await this.runOnce())) n++;
      return n;
    },

    start(pollMs: number): void {
      if (loop) return;
      stopping = false;
      loop = (async () => {
        while (!stopping) {
          try {
            if (await this.runOnce()) continue;
          } catch (err) {
            deps.logger.error({ err }, 'worker loop error');
          }
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, pollMs);
            wakeUp = () => {
              clearTimeout(t);
              resolve();
            };
          });
          wakeUp = undefined;
        }
      })();
    },

    /** New work was enqueued in this process: look now instead of at the next poll. */
    wake(): void {
      wakeUp?.();
    },

    /** Stops taking jobs and waits for the one in flight. */
    async stop(): Promise<void> {
      stopping = true;
      wakeUp?.();
      await loop;
      loop = undefined;
    },
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;
