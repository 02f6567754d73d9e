import type { Runtime } from '../bin/bootstrap.js';
import type { Config } from '../../config/index.js';
import type { Metrics } from '../metrics/index.js';
import type { Claim, Job } from '../store/jobs.js';
import type { Stores } from '../store/index.js';
import type { XeroGateway } from '../clients/xero/types.js';
import type { XenditGateway } from '../clients/xendit/types.js';
import { JOB_SPECS, type JobKind } from './kinds.js';
import type { JobHandler, JobScope, RunnerDeps } from './runner.js';
import { flagPaymentForReview, recordPaymentJob } from './sync/record-payment.js';
import { createBankAccountCache } from './sync/payment-deps.js';
import { flagFeeForReview, postFeeJob } from './sync/post-fee.js';
import { verifyCheckoutJob } from './sync/verify-checkout.js';
import { recordBackendPaymentJob } from './sync/record-backend-payment.js';
import { reconcileJob } from './sync/reconcile.js';
import { housekeepingJob } from './sync/housekeeping.js';
import { listPaidInvoicesJob } from './sync/list-paid.js';
import { crashHook } from './sync/crash-points.js';
import { DEFAULT_KEEPALIVE_DAYS, xeroKeepAliveJob } from './sync/xero-keep-alive.js';
import { checkInvoiceJob, checkOpenCheckoutsJob } from './sync/invoice-changes.js';
import { sendAlertsJob } from './sync/send-alerts.js';
import { syncOpenInvoicesJob } from './sync/open-invoices.js';
import { recordRefundJob } from './sync/record-refund.js';
import { retireXenditKeyJob } from './sync/retire-xendit-key.js';
import { expireDuplicateJob, expireOwnInvoiceJob } from './sync/twin-invoices.js';
import { returnFeeJob } from './sync/fee-return.js';
import { recordDisputeJob } from './sync/record-dispute.js';
import { matchChargebackJob } from './sync/match-chargeback.js';
import { listRefundsJob } from './sync/list-refunds.js';
import { recordFeeBillJob } from './sync/record-fee-bill.js';
import { recordWithdrawalJob } from './sync/record-withdrawal.js';
import { listWithdrawalsJob } from './sync/list-withdrawals.js';
import { recordOtherMovementJob } from './sync/record-other-movement.js';
import { raiseAlert, xeroDisconnectedAlert } from '../alerts/raise.js';
import { createI18n, message, type I18n } from '../i18n/index.js';
import type { Mailer } from '../clients/mail/index.js';
import { XeroDisconnected } from '../clients/xero/errors.js';
import { UpstreamError } from '../clients/types.js';
import { paths } from '../paths.js';
import { createXeroBatch } from './xero-batch.js';
import { createXenditReads, keyTag, type Settled, type XenditReads } from './xendit-reads.js';
import { claimedMark, claimedStores } from './claimed-stores.js';

export type HandlerDeps = Pick<Runtime, 'stores' | 'xero' | 'xendit' | 'clock' | 'logger'> & {
  metrics?: Pick<Metrics, 'webhookLag'>;
  config?: Pick<Config, 'reconcile' | 'jobLeaseSeconds' | 'crashAt'> &
    Partial<Pick<Config, 'backendListing' | 'xeroKeepAliveDays' | 'alerts' | 'publicUrl' | 'xeroBatchSize'>>;
  /** Alert digests are sent with it (SMTP_URL); unset, they stay in the outbox. */
  mailer?: Mailer;
};

/** What the handler factories share: the deps, and those of the kinds that record payments. */
interface Built {
  deps: HandlerDeps;
  /** Recording payments (their reads included) may spend the share of Xero's daily budget kept for them. */
  payments: HandlerDeps & { bankAccounts: ReturnType<typeof createBankAccountCache>; xenditReads: XenditReads };
  /** The alert mails' translations: made once per process (all the catalogues read, synchronously), not per run. */
  i18n: I18n;
}

interface Entry {
  handler: (b: Built) => JobHandler;
  /** The job ended in needs_review: lets its kind flag what it was working on. */
  onNeedsReview?: (b: Built) => (job: Job, reason: string) => Promise<void>;
  /** The job finished at `at`. */
  onDone?: (b: Built) => (job: Job, at: Date) => void;
  /** A merchant's due jobs of this kind run as a group whose Xero writes go as one batch (xero-batch.ts). */
  batch?: true;
}

/** Without XERO_BATCH_SIZE (tools, tests that build their own config). */
export const DEFAULT_XERO_BATCH_SIZE = 50;

/**
 * A payments handler that, run in a group, makes its Xero calls through the group's batching
 * gateway, calls Xendit without holding the group's running slot (50 Xendit reads of 30 ms in turn
 * made a group's first Xero call wait seconds), gathers its statements with the group's and reads
 * the merchant once for the group.
 */
function scoped(b: Built, make: (deps: Built['payments']) => JobHandler): JobHandler {
  const alone = make(b.payments);
  return (job, scope) => (scope ? make(inGroup(b.payments, scope, job))(job) : alone(job));
}

/** A payments job's deps when it runs in a group (see scoped); with `job`, its gathered marks and recording are fenced on its claim, as claimedStores does alone. */
export function inGroup<D extends { stores: Stores; xero: XeroGateway; xendit: XenditGateway; xenditReads?: XenditReads }>(
  deps: D,
  scope: JobScope,
  job?: Pick<Job, 'createdAt' | 'id' | 'claimNo'>,
): D {
  const { stores, xendit } = deps;
  const merchants = { ...stores.merchants, byId: (id: string) => scope.remembered(`merchant:${id}`, () => stores.merchants.byId(id)) };
  // The merchant's fee billing history, read once for the group (each payment is judged by its paid time).
  const feeBills: Stores['feeBills'] = {
    ...stores.feeBills,
    billingAt: (m) => scope.remembered(`fee-billing:${m.id}`, () => stores.feeBills.billingAt(m)),
  };
  const upstream = upstreamCalls(xendit, scope.upstream);
  return {
    ...deps,
    xero: scope.xero,
    xendit: deps.xenditReads ? { ...upstream, ...listedReads(deps.xenditReads, scope, job?.createdAt) } : upstream,
    stores: { ...stores, merchants, feeBills, ...gathered(stores, scope, job && { id: job.id, claimNo: job.claimNo }) },
  };
}

/** The group's invoice and fee reads, gathered and made as listings when there are enough (xendit-reads.ts). */
function listedReads(reads: XenditReads, scope: JobScope, queuedAt: Date | undefined): Pick<XenditGateway, 'getInvoice' | 'getFeeTax'> {
  const settled = async <T>(p: Promise<Settled<T>>): Promise<T> => {
    const r = await p;
    if (r.ok) return r.value;
    throw r.error;
  };
  return {
    getInvoice: (secretKey, id) =>
      settled(scope.together(`xendit.getInvoice ${keyTag(secretKey)}`, { id, queuedAt }, (items) => reads.getInvoices(secretKey, items))),
    getFeeTax: (secretKey, query) => settled(scope.together(`xendit.getFeeTax ${keyTag(secretKey)}`, query, (items) => reads.getFeeTaxes(secretKey, items))),
  };
}

/**
 * The statements every job of a group makes on the normal path, gathered into one per group
 * (xero-batch.ts `together`). Each job still awaits its own: a mark is committed before its create.
 */
function gathered(stores: Stores, scope: JobScope, claim?: Claim): Pick<Stores, 'payments' | 'checkouts'> {
  const p = stores.payments;
  const fence = claim ? { claim } : {};
  // A row gone while the claim holds fails the run as an error, as claimedStores does alone (not a lost claim).
  const mark = claim ? claimedMark(stores, claim) : (_at: Date | null, _what: string, written: Promise<boolean>) => written;
  const payments: Stores['payments'] = {
    ...p,
    byId: (id) => scope.together('payments.byId', id, (ids) => p.byIds(ids)),
    getOrCreate: (np, now) => scope.together('payments.getOrCreate', np, (all) => p.getOrCreateAll(all, now)),
    noteXeroAttempt: (id, at, account) =>
      mark(
        at,
        'payment',
        scope.together('payments.noteXeroAttempt', { id, at, ...(account ? { account } : {}), ...fence }, (rows) => p.noteXeroAttempts(rows)),
      ),
    noteFeeAttempt: (id, entry, at) =>
      mark(
        at,
        'payment',
        scope.together('payments.noteFeeAttempt', { id, entry, at, ...fence }, (rows) => p.noteFeeAttempts(rows)),
      ),
    markFeePosted: (id, xeroFeeTxnId, now) =>
      scope.together('payments.markFeePosted', { id, xeroFeeTxnId, now }, async (rows) => (await p.markFeesPosted(rows), [])),
    setFeeFromTransaction: (id, f, now) =>
      scope.together('payments.setFeeFromTransaction', { id, ...f, now }, async (rows) => (await p.setFeesFromTransactions(rows), [])),
    markInXero: (payment, x, now, feeJob) => {
      // Recorded whole, the common case; the rest (review, overpayment) keep their own statement.
      const whole = x.xeroPaymentId !== null && !x.reviewReason && !x.overpayment && x.amountRecorded === undefined && !x.feeMayExist;
      if (!whole) return p.markInXero(payment, x, now, feeJob);
      const row = { id: payment.id, xeroPaymentId: x.xeroPaymentId!, fee: x.fee, now, ...(feeJob ? { feeJob } : {}), ...fence };
      return scope.together('payments.markInXero', row, async (rows) => (await p.markAllInXero(rows), []));
    },
  };
  const c = stores.checkouts;
  const checkouts: Stores['checkouts'] = {
    ...c,
    byId: (id) => scope.together('checkouts.byId', id, (ids) => c.byIds(ids)),
    forXenditInvoice: (merchantId, xenditInvoiceId, externalId) =>
      scope.together(`checkouts.forXenditInvoice ${merchantId}`, { xenditInvoiceId, externalId }, (all) => c.forXenditInvoices(merchantId, all)),
    transition: (id, from, to, now) =>
      scope.together(`checkouts.transition ${from.join(',')}>${to}`, id, async (ids) => {
        const moved = await c.transitionAll(ids, from, to, now);
        return ids.map((i) => moved.has(i));
      }),
  };
  return { payments, checkouts };
}

/** Every method of `api`, run through `upstream`. */
function upstreamCalls<T extends object>(api: T, upstream: JobScope['upstream']): T {
  return Object.fromEntries(
    Object.entries(api).map(([name, value]) => [
      name,
      typeof value === 'function' ? (...args: unknown[]) => upstream(() => (value as (...a: unknown[]) => Promise<unknown>).apply(api, args)) : value,
    ]),
  ) as T;
}

const RECONCILE_DEFAULTS: Config['reconcile'] = { intervalMinutes: 10, minAgeMinutes: 5, batch: 50 };
const LISTING_DEFAULTS: Config['backendListing'] = { intervalMinutes: 10, pageSize: 100, maxPages: 5, lookbackMinutes: 60 };
/** Invoices paid this recently are left to the next listing run. */
const LISTING_LAG_SECONDS = 60;

const HANDLERS: Record<JobKind, Entry> = {
  'record-payment': {
    handler: (b) => scoped(b, (d) => recordPaymentJob({ ...d, crash: crashHook(b.deps.config?.crashAt) })),
    batch: true,
    onNeedsReview: (b) => flagPaymentForReview(b.deps),
    // Queued in the statement that stores its callback: its age when done is the webhook's lag,
    // callback to payment in Xero.
    onDone: (b) => (job, at) => {
      if (job.createdAt) b.deps.metrics?.webhookLag((at.getTime() - job.createdAt.getTime()) / 1000);
    },
  },
  'record-backend-payment': {
    handler: (b) => scoped(b, (d) => recordBackendPaymentJob({ ...d, crash: crashHook(b.deps.config?.crashAt) })),
    batch: true,
    onNeedsReview: (b) => flagPaymentForReview(b.deps),
  },
  'post-fee': { handler: (b) => scoped(b, postFeeJob), batch: true, onNeedsReview: (b) => flagFeeForReview(b.deps) },
  'verify-checkout': { handler: (b) => verifyCheckoutJob(b.deps) },
  reconcile: {
    handler: ({ deps }) => {
      const { minAgeMinutes, batch } = deps.config?.reconcile ?? RECONCILE_DEFAULTS;
      return reconcileJob(deps, { minAgeMinutes, batch });
    },
  },
  housekeeping: { handler: (b) => housekeepingJob(b.deps) },
  'xero-keep-alive': { handler: ({ deps }) => xeroKeepAliveJob(deps, { days: deps.config?.xeroKeepAliveDays ?? DEFAULT_KEEPALIVE_DAYS }) },
  'check-invoice': { handler: (b) => checkInvoiceJob({ ...b.deps, crash: crashHook(b.deps.config?.crashAt) }) },
  'check-open-checkouts': { handler: (b) => checkOpenCheckoutsJob({ ...b.deps, crash: crashHook(b.deps.config?.crashAt) }) },
  'sync-open-invoices': { handler: (b) => syncOpenInvoicesJob(b.deps) },
  'record-refund': { handler: (b) => recordRefundJob({ ...b.payments, crash: crashHook(b.deps.config?.crashAt) }) },
  'return-fee': { handler: (b) => returnFeeJob({ ...b.payments, crash: crashHook(b.deps.config?.crashAt) }) },
  'record-dispute': { handler: (b) => recordDisputeJob({ ...b.payments, crash: crashHook(b.deps.config?.crashAt) }) },
  'match-chargeback': { handler: (b) => matchChargebackJob(b.payments) },
  'list-refunds': { handler: (b) => listRefundsJob({ ...b.deps, crash: crashHook(b.deps.config?.crashAt) }) },
  'record-withdrawal': { handler: (b) => recordWithdrawalJob({ ...b.payments, crash: crashHook(b.deps.config?.crashAt) }) },
  'list-withdrawals': { handler: (b) => listWithdrawalsJob({ ...b.deps, crash: crashHook(b.deps.config?.crashAt) }) },
  'record-other-movement': { handler: (b) => recordOtherMovementJob({ ...b.payments, crash: crashHook(b.deps.config?.crashAt) }) },
  'retire-xendit-key': { handler: (b) => retireXenditKeyJob(b.deps) },
  'expire-own-invoice': { handler: (b) => expireOwnInvoiceJob({ ...b.deps, crash: crashHook(b.deps.config?.crashAt) }) },
  'expire-duplicate': { handler: (b) => expireDuplicateJob(b.deps) },
  'record-fee-bill': { handler: (b) => recordFeeBillJob({ ...b.payments, crash: crashHook(b.deps.config?.crashAt) }) },
  'send-alerts': {
    handler: ({ deps, i18n }) =>
      sendAlertsJob({
        ...deps,
        i18n,
        operatorEmails: deps.config?.alerts?.operatorEmails ?? [],
        adminUrl: `${deps.config?.publicUrl ?? ''}${paths.admin}`,
        accountUrl: `${deps.config?.publicUrl ?? ''}${paths.adminAccount}`,
      }),
  },
  'list-paid-invoices': {
    handler: ({ deps }) => {
      const { pageSize, maxPages, lookbackMinutes } = deps.config?.backendListing ?? LISTING_DEFAULTS;
      return listPaidInvoicesJob(deps, { pageSize, maxPages, lookbackMinutes, lagSeconds: LISTING_LAG_SECONDS });
    },
  },
};

/** Every job kind: its spec (payload schema, dedupe key, attempts: kinds.ts) and how it runs. */
export const JOB_REGISTRY = Object.fromEntries(Object.entries(JOB_SPECS).map(([kind, spec]) => [kind, { ...spec, ...HANDLERS[kind as JobKind] }])) as {
  [K in JobKind]: (typeof JOB_SPECS)[K] & Entry;
};

/** The runner's per-kind parts (handlers and hooks) for every kind in the registry. */
export function jobHandlers(deps: HandlerDeps): Pick<RunnerDeps, 'handlers' | 'onNeedsReview' | 'onDone' | 'onFailure' | 'batch'> {
  const b: Built = {
    deps,
    payments: {
      ...deps,
      xero: deps.xero.forPurpose('payment-write'),
      bankAccounts: createBankAccountCache(deps.clock),
      xenditReads: createXenditReads(deps.xendit, deps.clock, deps.logger),
    },
    i18n: createI18n(),
  };
  const handlers: Record<string, JobHandler> = {};
  const onNeedsReview: Record<string, (job: Job, reason: string) => Promise<void>> = {};
  const onDone: Record<string, (job: Job, at: Date) => void> = {};
  for (const [kind, entry] of Object.entries(JOB_REGISTRY) as [JobKind, Entry][]) {
    // Each run gets its own stores, fenced on its claim (claimed-stores.ts); the caches stay shared.
    handlers[kind] = (job, scope) => {
      const stores = claimedStores(deps.stores, job);
      return entry.handler({ ...b, deps: { ...b.deps, stores }, payments: { ...b.payments, stores } })(job, scope);
    };
    if (entry.onNeedsReview) onNeedsReview[kind] = entry.onNeedsReview(b);
    if (entry.onDone) onDone[kind] = entry.onDone(b);
  }
  return {
    handlers,
    batch: {
      size: deps.config?.xeroBatchSize ?? DEFAULT_XERO_BATCH_SIZE,
      kinds: (Object.entries(JOB_REGISTRY) as [JobKind, Entry][]).filter(([, e]) => e.batch).map(([kind]) => kind),
      open: () => createXeroBatch(b.payments.xero, { logger: deps.logger }),
    },
    onNeedsReview: async (job, reason) => {
      await onNeedsReview[job.kind]?.(job, reason);
      // A person must look: told by e-mail (not about the alert mails themselves: that mail would not go either).
      if (job.kind !== 'send-alerts') {
        await raiseAlert(deps, {
          merchantId: job.merchantId,
          kind: 'needsReview',
          message: message('alerts:needsReview', { kind: job.kind, reason: reason.slice(0, 300) }),
          // No dedupe key: the runner calls this once per move to needs_review, and a job a person
          // retried that is refused again must be told again.
        });
      }
    },
    onDone: (job, at) => onDone[job.kind]?.(job, at),
    onFailure: async (job, err) => {
      const alert = troubleAlert(job.merchantId, err);
      if (alert) await raiseAlert(deps, alert);
    },
  };
}

/** Failures a person must fix, whatever job met them: one alert per merchant until it is mailed. */
function troubleAlert(merchantId: string | null, err: unknown): Parameters<typeof raiseAlert>[1] | null {
  if (!merchantId) return null;
  if (err instanceof XeroDisconnected) return xeroDisconnectedAlert(merchantId);
  if (err instanceof UpstreamError && err.upstream === 'xendit' && err.kind === 'unauthorized') {
    return {
      merchantId,
      kind: 'xenditKeyRejected',
      message: message('alerts:xenditKeyRejected', { status: err.status ?? '' }),
      dedupeKey: `xenditKey:${merchantId}`,
    };
  }
  return null;
}
