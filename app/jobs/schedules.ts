import type { Runtime } from '../bin/bootstrap.js';
import type { JobKind } from './kinds.js';
import { enqueue } from './enqueue.js';
import { DEFAULT_KEEPALIVE_DAYS } from './sync/xero-keep-alive.js';

type ScheduleDeps = Pick<Runtime, 'stores' | 'clock'>;
type PeriodicKind = Extract<
  JobKind,
  | 'reconcile'
  | 'list-paid-invoices'
  | 'housekeeping'
  | 'xero-keep-alive'
  | 'check-open-checkouts'
  | 'send-alerts'
  | 'sync-open-invoices'
  | 'list-refunds'
  | 'list-withdrawals'
>;

const DAY_MINUTES = 24 * 60;

/** The periodic kinds, each on its own interval (minutes; 0 turns it off). */
const PERIODIC: { kind: PeriodicKind; minutes: (config: Runtime['config']) => number; what: string }[] = [
  { kind: 'reconcile', minutes: (c) => c.reconcile.intervalMinutes, what: 'reconciliation' },
  { kind: 'list-paid-invoices', minutes: (c) => c.backendListing?.intervalMinutes ?? 0, what: 'listing of paid Xendit invoices' },
  { kind: 'housekeeping', minutes: (c) => c.housekeepingIntervalMinutes ?? 10, what: 'housekeeping' },
  { kind: 'xero-keep-alive', minutes: (c) => ((c.xeroKeepAliveDays ?? DEFAULT_KEEPALIVE_DAYS) > 0 ? DAY_MINUTES : 0), what: 'Xero token keep-alive' },
  { kind: 'check-open-checkouts', minutes: (c) => c.openCheckoutCheckMinutes ?? 0, what: 'comparison of open checkouts with Xero' },
  { kind: 'sync-open-invoices', minutes: (c) => c.openInvoiceSyncMinutes ?? 0, what: 'reading of open invoice numbers from Xero' },
  { kind: 'send-alerts', minutes: (c) => c.alerts?.digestMinutes ?? 0, what: 'alert e-mails' },
  { kind: 'list-refunds', minutes: (c) => c.refundListMinutes ?? 0, what: 'listing of refunds at Xendit' },
  { kind: 'list-withdrawals', minutes: (c) => c.withdrawalListMinutes ?? 0, what: 'listing of withdrawals at Xendit' },
];

/**
 * Queues this interval's run of a periodic kind. The interval's start is the dedupe key, so any
 * number of workers ticking at once queue it once. True when this call queued it.
 */
export async function schedule(deps: ScheduleDeps, kind: PeriodicKind, intervalMinutes: number): Promise<boolean> {
  const now = deps.clock();
  const slotMs = intervalMinutes * 60_000;
  const slot = new Date(Math.floor(now.getTime() / slotMs) * slotMs);
  return enqueue(deps.stores.jobs, kind, {}, now, { slot });
}

export const scheduleReconcile = (deps: ScheduleDeps, intervalMinutes: number) => schedule(deps, 'reconcile', intervalMinutes);
export const scheduleListing = (deps: ScheduleDeps, intervalMinutes: number) => schedule(deps, 'list-paid-invoices', intervalMinutes);
export const scheduleHousekeeping = (deps: ScheduleDeps, intervalMinutes: number) => schedule(deps, 'housekeeping', intervalMinutes);
/** Daily: one run per UTC day however many workers tick. */
export const scheduleXeroKeepAlive = (deps: ScheduleDeps) => schedule(deps, 'xero-keep-alive', DAY_MINUTES);

/**
 * Queues the periodic runs, each on its own interval (checked each minute; the dedupe key makes
 * every worker's tick in the same interval one run), and wakes the worker when one was queued.
 * Returns a stop function.
 */
export function startSchedules(runtime: Pick<Runtime, 'stores' | 'clock' | 'logger' | 'config'>, worker: { wake(): void }): () => void {
  const stops = PERIODIC.map((p) => every(runtime, worker, p.minutes(runtime.config), p.kind, p.what));
  return () => stops.forEach((stop) => stop());
}

function every(runtime: Pick<Runtime, 'stores' | 'clock' | 'logger'>, worker: { wake(): void }, minutes: number, kind: PeriodicKind, what: string): () => void {
  if (minutes <= 0) return () => undefined;
  const tick = async () => {
    try {
      if (await schedule(runtime, kind, minutes)) worker.wake();
    } catch (err) {
      runtime.logger.warn({ err: String(err) }, `could not schedule the ${what}`);
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), Math.min(minutes * 60_000, 60_000));
  timer.unref();
  return () => clearInterval(timer);
}
