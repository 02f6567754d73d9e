import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import type { Harness } from './harness.js';
import { createJobRunner, type JobHandler } from '../../app/jobs/runner.js';
import { jobHandlers } from '../../app/jobs/registry.js';

/**
 * Runs due jobs until one of `kind` has run its handler to the end, then holds that run there (what
 * it read, read; what it booked, booked; the job still running under its claim) while `meanwhile`
 * runs, and lets it end (finish) after. Held by a promise, never by timing; no lease renewals.
 */
export async function runHeld(h: Harness, kind: string, meanwhile: () => Promise<void>): Promise<void> {
  const logger = pino({ level: 'silent' });
  const parts = jobHandlers({ stores: h.stores, xero: h.deps.xero, xendit: h.sims.xenditClient, clock: h.clock, logger });
  const handler = parts.handlers[kind];
  let reached = false;
  let ran!: () => void;
  const atEnd = new Promise<void>((resolve) => (ran = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const held: JobHandler = async (job, scope) => {
    await handler(job, scope);
    if (reached) return;
    reached = true;
    ran();
    await released;
  };
  const runner = createJobRunner({
    jobs: h.stores.jobs,
    clock: h.clock,
    logger,
    ...parts,
    handlers: { ...parts.handlers, [kind]: held },
    leaseTimer: () => () => {},
  });
  // Other jobs due first run to their end.
  const running = (async () => {
    while (!reached && (await runner.runOnce()));
  })();
  await Promise.race([atEnd, running]);
  assert.ok(reached, `a ${kind} job ran`);
  const ofKind = (await h.stores.jobs.list()).filter((j) => j.kind === kind && j.state === 'running');
  assert.equal(ofKind.length, 1, 'held while running');
  await meanwhile();
  release();
  await running;
}
