import { z } from 'zod';

/** With the runner's back-off, 15 attempts span about a day and a half: longer than Xendit retries callbacks. */
export const DEFAULT_MAX_ATTEMPTS = 15;

/** A run that failed 3 times waits for the next interval's run instead. */
const PERIODIC_MAX_ATTEMPTS = 3;

/**
 * What a job kind is, apart from how it runs (registry.ts adds the handler): its payload, its
 * dedupe key and how often it is tried. Kept apart from the handlers so that they, and the
 * services, can queue jobs without importing each other.
 */
export interface JobSpec<P> {
  kind: string;
  payload: z.ZodType<P>;
  /**
   * At most one job ever exists per key: duplicates of the same work are absorbed. `slot`: the start
   * of the interval a periodic run belongs to. Undefined: no dedupe.
   */
  dedupeKey?: (payload: P, slot: Date | undefined) => string | undefined;
  /** The merchant the job works for (its jobs wait while the merchant's Xero connection is gone). */
  merchantId?: (payload: P) => string | undefined;
  maxAttempts: number;
}

/** retry: how many times someone pressed Retry after a refusal (a fresh Xero Idempotency-Key). */
export const InvoicePayload = z.object({ merchantId: z.string(), xenditInvoiceId: z.string(), retry: z.number().int().min(0).optional() });
export type InvoicePayload = z.infer<typeof InvoicePayload>;

export const PostFeePayload = z.object({ paymentId: z.string() });
export const VerifyCheckoutPayload = z.object({ merchantId: z.string(), xenditInvoiceId: z.string(), status: z.string() });
export const ReconcilePayload = z.object({ merchantId: z.string().optional(), since: z.iso.datetime().optional() });
export const ListPaidPayload = z.object({ merchantId: z.string().optional() });
export const HousekeepingPayload = z.object({});
export const XeroKeepAlivePayload = z.object({});
/** `event`: the Xero webhook event's time (one job per event; a redelivery is the same job), or the scheduled run's. */
export const CheckInvoicePayload = z.object({ merchantId: z.string(), xeroInvoiceId: z.string(), event: z.string().max(40) });
/** merchantId: one merchant's run, queued when a Xero webhook named its organisation in an event we could not read. */
export const CheckOpenCheckoutsPayload = z.object({ merchantId: z.string().max(100).optional() });
export const SendAlertsPayload = z.object({});
export const SyncOpenInvoicesPayload = z.object({});
export const RefundPayload = z.object({ merchantId: z.string(), xenditRefundId: z.string().min(1).max(100) });
export const ListRefundsPayload = z.object({});
/**
 * A refund was recorded: whether Xendit gave the payment's fee back with it (jobs/sync/fee-return.ts).
 * `look`: a later day's look at a payment refunded in full (queued by list-refunds), one job a day.
 */
export const ReturnFeePayload = z.object({
  merchantId: z.string(),
  paymentId: z.string(),
  refundId: z.string(),
  look: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional(),
});
/** live: listed with a live Xendit key (a test key's withdrawals never reach a real organisation). */
export const WithdrawalPayload = z.object({ merchantId: z.string(), xenditTransactionId: z.string().min(1).max(100), live: z.boolean() });
export const ListWithdrawalsPayload = z.object({});
/** One of Xendit's other balance movements (list-other-movements.ts); live as for a withdrawal. */
export const OtherMovementPayload = WithdrawalPayload;
export const FeeBillPayload = z.object({ merchantId: z.string(), feeBillId: z.string() });
/**
 * `status`: the webhook's event (or a Dispute Report's status), so that each status change of a
 * dispute is one job (the job reads the dispute itself); GONE: the daily look found it no more.
 */
export const DisputePayload = z.object({
  merchantId: z.string(),
  xenditDisputeId: z.string().min(1).max(100),
  status: z.enum(['ACTION_REQUIRED', 'UNDER_REVIEW', 'WON', 'LOST', 'OTHER', 'GONE']),
});
/** A CHARGEBACK transaction the chargeback listing could tie to no one dispute (jobs/sync/match-chargeback.ts). */
export const MatchChargebackPayload = z.object({ merchantId: z.string(), xenditTransactionId: z.string().min(1).max(100) });

/**
 * The merchant's Xendit key went out of use (mode switched, or replaced): its checkouts still live
 * then (superseded in that transaction) are expired in its account. `sealedKey`: that key, sealed
 * (store/merchants.ts RetiredXenditKey); `keyHint` names it to people.
 */
export const RetireXenditKeyPayload = z.object({
  merchantId: z.string(),
  mode: z.enum(['test', 'live']),
  keyHint: z.string().max(8),
  sealedKey: z.string().min(1),
  checkoutIds: z.array(z.string()).min(1),
});
export type RetireXenditKeyPayload = z.infer<typeof RetireXenditKeyPayload>;

/**
 * A twin of the checkout's own Xendit invoice (another one under its external id) was paid: the
 * checkout's own, `xenditInvoiceId`, is expired at Xendit (jobs/sync/twin-invoices.ts). `paidTwin` names the one paid.
 */
export const ExpireOwnInvoicePayload = z.object({ merchantId: z.string(), checkoutId: z.string(), xenditInvoiceId: z.string(), paidTwin: z.string() });

/**
 * A duplicate Xendit invoice under a checkout's external id (a twin) that the pay click could not
 * expire (Xendit did not answer, or left it payable): expired by this job until Xendit says so
 * (jobs/sync/twin-invoices.ts).
 */
export const ExpireDuplicatePayload = z.object({ merchantId: z.string(), checkoutId: z.string(), xenditInvoiceId: z.string() });

/** Xendit's dispute statuses (docs.xendit.co "Manage Disputes via API"). */
export const DISPUTE_STATUSES = ['ACTION_REQUIRED', 'UNDER_REVIEW', 'WON', 'LOST'] as const;
export type DisputeHint = (typeof DISPUTE_STATUSES)[number] | 'OTHER';

/** A status a webhook or a Dispute Report states (only a hint: the job reads the dispute), as the job's status. */
export function disputeHint(said: string | undefined): DisputeHint {
  return DISPUTE_STATUSES.find((s) => s === said) ?? 'OTHER';
}

const periodic = (kind: string) => (_: unknown, slot: Date | undefined) => (slot ? `${kind}:${slot.toISOString()}` : undefined);

export const JOB_SPECS = {
  'record-payment': {
    kind: 'record-payment',
    payload: InvoicePayload,
    dedupeKey: (p: InvoicePayload) => `record-payment:${p.merchantId}:${p.xenditInvoiceId}`,
    merchantId: (p: InvoicePayload) => p.merchantId,
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
  },
  'record-backend-payment': {
    kind: 'record-backend-payment',
    payload: InvoicePayload,
    dedupeKey: (p: InvoicePayload) => `record-backend-payment:${p.merchantId}:${p.xenditInvoiceId}`,
    merchantId: (p: InvoicePayload) => p.merchantId,
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
  },
  'post-fee': {
    kind: 'post-fee',
    payload: PostFeePayload,
    dedupeKey: (p: z.infer<typeof PostFeePayload>) => `post-fee:${p.paymentId}`,
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
  },
  'verify-checkout': {
    kind: 'verify-checkout',
    payload: VerifyCheckoutPayload,
    dedupeKey: (p: z.infer<typeof VerifyCheckoutPayload>) => `verify-checkout:${p.merchantId}:${p.xenditInvoiceId}:${p.status}`,
    merchantId: (p: z.infer<typeof VerifyCheckoutPayload>) => p.merchantId,
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
  },
  reconcile: { kind: 'reconcile', payload: ReconcilePayload, dedupeKey: periodic('reconcile'), maxAttempts: PERIODIC_MAX_ATTEMPTS },
  'list-paid-invoices': { kind: 'list-paid-invoices', payload: ListPaidPayload, dedupeKey: periodic('list-paid-invoices'), maxAttempts: PERIODIC_MAX_ATTEMPTS },
  housekeeping: { kind: 'housekeeping', payload: HousekeepingPayload, dedupeKey: periodic('housekeeping'), maxAttempts: PERIODIC_MAX_ATTEMPTS },
  'xero-keep-alive': { kind: 'xero-keep-alive', payload: XeroKeepAlivePayload, dedupeKey: periodic('xero-keep-alive'), maxAttempts: PERIODIC_MAX_ATTEMPTS },
  'check-invoice': {
    kind: 'check-invoice',
    payload: CheckInvoicePayload,
    dedupeKey: (p: z.infer<typeof CheckInvoicePayload>) => `check-invoice:${p.merchantId}:${p.xeroInvoiceId}:${p.event}`,
    merchantId: (p: z.infer<typeof CheckInvoicePayload>) => p.merchantId,
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
  },
  'check-open-checkouts': {
    kind: 'check-open-checkouts',
    payload: CheckOpenCheckoutsPayload,
    dedupeKey: (p: z.infer<typeof CheckOpenCheckoutsPayload>, slot: Date | undefined) =>
      p.merchantId ? (slot ? `check-open-checkouts:${p.merchantId}:${slot.toISOString()}` : undefined) : periodic('check-open-checkouts')(p, slot),
    merchantId: (p: z.infer<typeof CheckOpenCheckoutsPayload>) => p.merchantId,
    maxAttempts: PERIODIC_MAX_ATTEMPTS,
  },
  'sync-open-invoices': {
    kind: 'sync-open-invoices',
    payload: SyncOpenInvoicesPayload,
    dedupeKey: periodic('sync-open-invoices'),
    maxAttempts: PERIODIC_MAX_ATTEMPTS,
  },
  'record-refund': {
    kind: 'record-refund',
    payload: RefundPayload,
    dedupeKey: (p: z.infer<typeof RefundPayload>) => `record-refund:${p.merchantId}:${p.xenditRefundId}`,
    merchantId: (p: z.infer<typeof RefundPayload>) => p.merchantId,
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
  },
  'return-fee': {
    kind: 'return-fee',
    payload: ReturnFeePayload,
    dedupeKey: (p: z.infer<typeof ReturnFeePayload>) => `return-fee:${p.paymentId}:${p.refundId}${p.look ? `:${p.look}` : ''}`,
    merchantId: (p: z.infer<typeof ReturnFeePayload>) => p.merchantId,
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
  },
  'record-dispute': {
    kind: 'record-dispute',
    payload: DisputePayload,
    dedupeKey: (p: z.infer<typeof DisputePayload>) => `record-dispute:${p.merchantId}:${p.xenditDisputeId}:${p.status}`,
    merchantId: (p: z.infer<typeof DisputePayload>) => p.merchantId,
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
  },
  'match-chargeback': {
    kind: 'match-chargeback',
    payload: MatchChargebackPayload,
    dedupeKey: (p: z.infer<typeof MatchChargebackPayload>) => `match-chargeback:${p.merchantId}:${p.xenditTransactionId}`,
    merchantId: (p: z.infer<typeof MatchChargebackPayload>) => p.merchantId,
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
  },
  'record-withdrawal': {
    kind: 'record-withdrawal',
    payload: WithdrawalPayload,
    dedupeKey: (p: Pick<z.infer<typeof WithdrawalPayload>, 'merchantId' | 'xenditTransactionId'>) =>
      `record-withdrawal:${p.merchantId}:${p.xenditTransactionId}`,
    merchantId: (p: z.infer<typeof WithdrawalPayload>) => p.merchantId,
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
  },
  'record-other-movement': {
    kind: 'record-other-movement',
    payload: OtherMovementPayload,
    dedupeKey: (p: Pick<z.infer<typeof OtherMovementPayload>, 'merchantId' | 'xenditTransactionId'>) =>
      `record-other-movement:${p.merchantId}:${p.xenditTransactionId}`,
    merchantId: (p: z.infer<typeof OtherMovementPayload>) => p.merchantId,
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
  },
  'record-fee-bill': {
    kind: 'record-fee-bill',
    payload: FeeBillPayload,
    dedupeKey: (p: z.infer<typeof FeeBillPayload>) => `record-fee-bill:${p.feeBillId}`,
    merchantId: (p: z.infer<typeof FeeBillPayload>) => p.merchantId,
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
  },
  'list-withdrawals': {
    kind: 'list-withdrawals',
    payload: ListWithdrawalsPayload,
    dedupeKey: periodic('list-withdrawals'),
    maxAttempts: PERIODIC_MAX_ATTEMPTS,
  },
  'list-refunds': { kind: 'list-refunds', payload: ListRefundsPayload, dedupeKey: periodic('list-refunds'), maxAttempts: PERIODIC_MAX_ATTEMPTS },
  'send-alerts': { kind: 'send-alerts', payload: SendAlertsPayload, dedupeKey: periodic('send-alerts'), maxAttempts: PERIODIC_MAX_ATTEMPTS },
  // No merchantId, as retire-xendit-key: it calls only Xendit, and the invoice must not stay payable
  // while the merchant's Xero connection is gone.
  'expire-own-invoice': {
    kind: 'expire-own-invoice',
    payload: ExpireOwnInvoicePayload,
    dedupeKey: (p: z.infer<typeof ExpireOwnInvoicePayload>) => `expire-own-invoice:${p.merchantId}:${p.xenditInvoiceId}`,
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
  },
  // As expire-own-invoice: the same invoice queued again (another click, a re-run) is one job.
  'expire-duplicate': {
    kind: 'expire-duplicate',
    payload: ExpireDuplicatePayload,
    dedupeKey: (p: z.infer<typeof ExpireDuplicatePayload>) => `expire-duplicate:${p.merchantId}:${p.xenditInvoiceId}`,
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
  },
  // No merchantId: it calls only Xendit, so it must not wait while the merchant's Xero connection is
  // gone (the old invoices would stay payable meanwhile). No dedupe key: each change is its own job.
  'retire-xendit-key': { kind: 'retire-xendit-key', payload: RetireXenditKeyPayload, maxAttempts: DEFAULT_MAX_ATTEMPTS },
} as const;

export type JobKind = keyof typeof JOB_SPECS;
export type JobPayload<K extends JobKind> = z.input<(typeof JOB_SPECS)[K]['payload']>;

export const RECORD_BACKEND_PAYMENT_JOB: JobKind = 'record-backend-payment';
export const LIST_PAID_JOB: JobKind = 'list-paid-invoices';

/** The keys a payment's recording job may have been queued under (from the checkout or the backend flow). */
export function recordingJobKeys(merchantId: string, xenditInvoiceId: string): string[] {
  const p = { merchantId, xenditInvoiceId };
  return [JOB_SPECS['record-payment'].dedupeKey(p), JOB_SPECS['record-backend-payment'].dedupeKey(p)];
}
