/**
 * What operators scrape at /metrics (Prometheus text format). One registry per app, made here and
 * passed in: tests build many apps in one process, and prom-client's default global registry would
 * make them share (and refuse to re-register) every metric.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import { PaymentLinkOutdated } from '../pay/errors.js';
import type { CallObserver } from '../clients/types.js';

export interface QueueRow {
  kind: string;
  state: string;
  depth: number;
  oldestSeconds: number;
}

export interface BudgetRow {
  /** The Xero tenant id, or the client id of a custom connection (which has none). */
  organisation: string;
  minuteStart: Date;
  minuteUsed: number;
  dayStart: Date;
  dayUsed: number;
  /** The organisation's day limit learned from Xero's answers, when below the configured one (store/xero-budget.ts). */
  dayLearned: number | null;
}

/** Read at scrape time (app/store/metrics.ts): the database is the truth every process shares. */
export interface MetricsSource {
  queue(now: Date): Promise<QueueRow[]>;
  needsReview(): Promise<number>;
  xeroBudget(): Promise<BudgetRow[]>;
}

// Given to the Xero and Xendit client factories: one observation per upstream call (attempt).
export type { CallObserver };

export type PayOutcome =
  | 'redirect'
  | 'ask_amount'
  | 'in_progress'
  | 'paid'
  | 'not_found'
  | 'out_of_date'
  | 'link_expired'
  | 'not_payable'
  | 'unsupported_currency'
  | 'refused'
  | 'bad_request'
  | 'rate_limited'
  | 'unavailable'
  | 'error';
export type CallbackOutcome = 'stored' | 'duplicate' | 'ignored' | 'unauthorized' | 'bad_request' | 'error';

export interface Metrics {
  registry: Registry;
  payClick(outcome: PayOutcome): void;
  callback(outcome: CallbackOutcome): void;
  /** Events in signed Xero webhook deliveries: invoice ones handled, other categories, and those we could not read. */
  xeroWebhookEvents(outcome: 'invoice' | 'other' | 'unreadable', count: number): void;
  /** Seconds from a callback stored to its record-payment job done. */
  webhookLag(seconds: number): void;
  xero: CallObserver;
  xendit: CallObserver;
}

export interface MetricsOptions {
  source?: MetricsSource;
  clock: Clock;
  /** Xero's per-organisation limits as the budget counts them (config.xeroLimits), for the "left" gauges. */
  xeroLimits?: { perMinute: number; perDay: number };
  /** Node process metrics (CPU, memory, event loop lag); off in tests that build many registries. */
  processMetrics?: boolean;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
// Upstream calls take tens of milliseconds to the 10 s client timeout.
const CALL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// Lag spans a job run right after the callback to retries minutes or hours later.
const LAG_BUCKETS = [0.5, 1, 2, 5, 15, 60, 300, 900, 3600];

const PAY_OUTCOME: Record<string, PayOutcome> = {
  alreadyPaid: 'paid',
  notFound: 'not_found',
  linkNoMatch: 'not_found',
  linkExpired: 'link_expired',
  notPayable: 'not_payable',
  unsupportedCurrency: 'unsupported_currency',
  amountNotWhole: 'not_payable',
  cannotPayOnline: 'refused',
  badRequest: 'bad_request',
  tooMany: 'rate_limited',
  tooManyRequests: 'rate_limited',
  unavailable: 'unavailable',
};

/** How a /pay answer that is not a redirect is counted: by the page the error handler will show. */
export function payOutcomeOf(err: unknown): PayOutcome {
  // The customer sees one page for both; operators still tell links gone stale from invented numbers.
  if (err instanceof PaymentLinkOutdated) return 'out_of_date';
  if (err instanceof DomainError) return PAY_OUTCOME[err.messageKey] ?? 'error';
  const status = (err as { status?: unknown })?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? 'bad_request' : 'error';
}

/** A callback refused before it was stored, by the status it gets. */
export function callbackRefusalOf(err: unknown): CallbackOutcome {
  const status = err instanceof DomainError ? err.status : (err as { status?: unknown })?.status;
  if (status === 401 || status === 403) return 'unauthorized';
  return typeof status === 'number' && status >= 400 && status < 500 ? 'bad_request' : 'error';
}

/** The same promise to every gauge of one scrape (prom-client collects them all at once): one read, not one per gauge. */
function shared<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= load().finally(() => {
      pending = undefined;
    }));
}

function callObserver(registry: Registry, upstream: 'xero' | 'xendit'): CallObserver {
  const duration = new Histogram({
    name: `gateway_${upstream}_call_duration_seconds`,
    help: `${upstream === 'xero' ? 'Xero' : 'Xendit'} API call latency by operation and result (ok or the error kind).`,
    labelNames: ['operation', 'result'] as const,
    buckets: CALL_BUCKETS,
    registers: [registry],
  });
  const errors = new Counter({
    name: `gateway_${upstream}_call_errors_total`,
    help: `${upstream === 'xero' ? 'Xero' : 'Xendit'} API calls that failed, by operation and error kind (rate_limited, unavailable, ...).`,
    labelNames: ['operation', 'kind'] as const,
    registers: [registry],
  });
  return {
    observe(op, seconds, error) {
      duration.observe({ operation: op, result: error ?? 'ok' }, seconds);
      if (error) errors.inc({ operation: op, kind: error });
    },
  };
}

export function createMetrics(opts: MetricsOptions): Metrics {
  const registry = new Registry();
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const payClicks = new Counter({
    name: 'gateway_pay_clicks_total',
    help: 'Pay link clicks by how /pay answered.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const callbacks = new Counter({
    name: 'gateway_callbacks_total',
    help: 'Xendit callbacks by outcome.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const xeroEvents = new Counter({
    name: 'gateway_xero_webhook_events_total',
    help: 'Events in signed Xero webhook deliveries by outcome (invoice, other, unreadable: logged, answered 200 all the same).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const lag = new Histogram({
    name: 'gateway_webhook_lag_seconds',
    help: 'Time from a Xendit callback stored to its payment recorded in Xero (record-payment job done).',
    buckets: LAG_BUCKETS,
    registers: [registry],
  });

  const source = opts.source;
  if (source) {
    const queue = shared(() => source.queue(opts.clock()));
    new Gauge({
      name: 'gateway_job_queue_depth',
      help: 'Jobs not done, by kind and state (queued, running, needs_review).',
      labelNames: ['kind', 'state'] as const,
      registers: [registry],
      async collect() {
        const rows = await queue();
        this.reset(); // a kind/state with no jobs left disappears rather than keeping its last value
        for (const r of rows) this.set({ kind: r.kind, state: r.state }, r.depth);
      },
    });
    new Gauge({
      name: 'gateway_job_queue_oldest_seconds',
      help: 'Age of the oldest job not done, by kind and state (a queued job counts from when it was due).',
      labelNames: ['kind', 'state'] as const,
      registers: [registry],
      async collect() {
        const rows = await queue();
        this.reset();
        for (const r of rows) this.set({ kind: r.kind, state: r.state }, r.oldestSeconds);
      },
    });
    new Gauge({
      name: 'gateway_payments_needs_review',
      help: 'Payments an operator must look at (recording or fee posting gave up).',
      registers: [registry],
      async collect() {
        this.set(await source.needsReview());
      },
    });
    const limits = opts.xeroLimits;
    new Gauge({
      name: 'gateway_xero_budget_calls',
      help: 'Xero calls used and left per organisation (tenant id, or client id of a custom connection) in the current minute and day, as the shared rate budget counts them.',
      labelNames: ['organisation', 'window', 'kind'] as const,
      registers: [registry],
      async collect() {
        const now = opts.clock().getTime();
        const minute = Math.floor(now / MINUTE) * MINUTE;
        const day = Math.floor(now / DAY) * DAY;
        this.reset();
        for (const r of await source.xeroBudget()) {
          // A row last touched in an earlier window has used nothing of this one.
          const usedMinute = r.minuteStart.getTime() === minute ? r.minuteUsed : 0;
          const usedDay = r.dayStart.getTime() === day ? r.dayUsed : 0;
          this.set({ organisation: r.organisation, window: 'minute', kind: 'used' }, usedMinute);
          this.set({ organisation: r.organisation, window: 'day', kind: 'used' }, usedDay);
          // "left" against the gateway-wide limits, or the day limit Xero's answers showed to be lower;
          // a merchant's own daily limit (xero_day_limit) is not applied here.
          if (limits) {
            const perDay = Math.min(limits.perDay, r.dayLearned ?? limits.perDay);
            this.set({ organisation: r.organisation, window: 'minute', kind: 'left' }, Math.max(0, limits.perMinute - usedMinute));
            this.set({ organisation: r.organisation, window: 'day', kind: 'left' }, Math.max(0, perDay - usedDay));
          }
        }
      },
    });
  }

  return {
    registry,
    payClick: (outcome) => payClicks.inc({ outcome }),
    callback: (outcome) => callbacks.inc({ outcome }),
    xeroWebhookEvents: (outcome, count) => void (count > 0 && xeroEvents.inc({ outcome }, count)),
    webhookLag: (seconds) => lag.observe(Math.max(0, seconds)),
    xero: callObserver(registry, 'xero'),
    xendit: callObserver(registry, 'xendit'),
  };
}
