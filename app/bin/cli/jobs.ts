/** jobs list | replay: the worker's queue as the operator sees it. */
import { parseArgs } from 'node:util';
import type { JobState } from '../../store/schema.js';
import type { Runtime } from '../bootstrap.js';
import { UsageError, type Command, type Io } from './io.js';

const JOB_STATES: JobState[] = ['queued', 'running', 'done', 'needs_review', 'handled'];

async function jobsList(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const { values } = parseArgs({ args, options: { state: { type: 'string' }, json: { type: 'boolean', default: false } }, strict: true });
  if (values.state && !JOB_STATES.includes(values.state as JobState)) throw new UsageError(`--state must be one of ${JOB_STATES.join(', ')}`);
  const jobs = await runtime.stores.jobs.list({ state: values.state as JobState | undefined });
  const rows = jobs.map((j) => ({ id: j.id, kind: j.kind, state: j.state, attempts: j.attempts, merchantId: j.merchantId, lastError: j.lastError }));
  if (values.json) {
    io.out(JSON.stringify(rows));
    return;
  }
  if (!rows.length) {
    io.out('No jobs.');
    return;
  }
  for (const r of rows)
    io.out(`${String(r.id).padStart(6)}  ${r.kind.padEnd(15)} ${r.state.padEnd(12)} ${String(r.attempts).padStart(2)}  ${r.lastError ?? ''}`);
}

async function jobsReplay(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const id = Number(args[0]);
  if (!args[0] || !Number.isSafeInteger(id) || id < 1) throw new UsageError('jobs replay needs the job id (see jobs list)');
  const job = await runtime.stores.jobs.byId(id);
  if (!job) throw new UsageError(`no job ${id}`);
  if (!(await runtime.stores.jobs.replay(id, runtime.clock())))
    throw new JobNotReplayable(`job ${id} is ${job.state}: only needs_review or done jobs can be replayed (a handled job was done by hand, on purpose)`);
  io.out(`Job ${id} (${job.kind}) queued again; the worker runs it next.`);
}

export class JobNotReplayable extends Error {}

export const jobCommands: Record<string, Command> = { 'jobs list': jobsList, 'jobs replay': jobsReplay };
