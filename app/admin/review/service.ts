/**
 * A merchant's review page: what the worker stopped trying to book, apart from payments (their own
 * page has Retry), each in the merchant's words with why it stopped; and Retry, which queues the
 * job again from review only, with fresh attempts, as the CLI's `jobs replay` does. A job queued
 * again looks in Xero by its Reference before it creates anything (jobs/sync/send-once.ts
 * requeued), so what an earlier attempt made, or what a person booked by hand as the reason
 * suggested, is taken instead of booked twice. Or Mark as handled: a person did by hand what the
 * item was for, or nothing was to be booked (a transfer deleted in Xero on purpose); the job leaves
 * review as 'handled', never queued again, with their note on the payment's page and in the audit log;
 * the row it was about (a withdrawal, a refund, a fee bill, a payment's fee…) leaves review with it
 * in the same commit (review-jobs.ts rowHandled), so its own page and the metrics agree.
 */
import { z } from 'zod';
import type { User } from '../../store/users.js';
import { Conflict, NotFound } from '../../errors.js';
import type { OnboardingDeps } from '../deps.js';
import { alertChange, auditEntry, recordChange } from '../audit.js';
import { unstorableReason } from '../../security/body-bounds.js';
import { parseForm } from '../web.js';
import { changesMerchants, merchantFor, merchantToChange } from '../merchants/service.js';
import { describe, handledRow, isReviewKind, readRows, REVIEW_KINDS, type Described, type ReviewKind } from './describe.js';

/** How many items the page shows, the latest to stop first. */
export const REVIEW_SHOWN = 200;
/** A reason longer than this is cut: it is what Xero or Xendit answered, shown in a table cell. */
const REASON_MAX = 500;

export interface ReviewItem extends Described {
  jobId: number;
  kind: ReviewKind;
  /** Why it stopped: the first line of what the job recorded (never a stack), cut to REASON_MAX. */
  reason: string | null;
  stoppedAt: Date;
  /** Its payment waits for review too: retried on the payment's page, which queues this again. */
  retryOnPayment: boolean;
}

/** The job's own words about why it stopped, as one short line. */
export function reasonOf(lastError: string | null): string | null {
  const line = lastError?.split(/\r?\n/, 1)[0].trim();
  if (!line) return null;
  return line.length > REASON_MAX ? `${line.slice(0, REASON_MAX - 1)}…` : line;
}

export async function reviewOf(deps: OnboardingDeps, actor: User, merchantId: string) {
  const merchant = await merchantFor(deps, actor, merchantId);
  const [jobs, counts] = await Promise.all([
    deps.stores.reviewJobs.list(merchant.id, REVIEW_KINDS, REVIEW_SHOWN),
    deps.stores.reviewJobs.counts([merchant.id], REVIEW_KINDS),
  ]);
  const listed = jobs.flatMap((job) => (isReviewKind(job.kind) ? [{ ...job, kind: job.kind }] : []));
  const rows = await readRows(deps.stores, merchant.id, listed);
  const items: ReviewItem[] = listed.map((job) => {
    const d = describe(rows, job);
    return {
      ...d,
      jobId: job.id,
      kind: job.kind,
      reason: reasonOf(job.lastError),
      stoppedAt: job.stoppedAt,
      // A sale's payment is that sale; a refund's is what it waits for. A fee waits for nothing.
      retryOnPayment: Boolean(d.payment?.inReview) && (job.kind === 'record-backend-payment' || job.kind === 'record-refund' || job.kind === 'record-dispute'),
    };
  });
  return {
    merchant: { id: merchant.id, name: merchant.name, mode: merchant.mode },
    noteMax: HANDLED_NOTE_MAX,
    items,
    total: counts.get(merchant.id) ?? 0,
    retryAllowed: changesMerchants(actor),
  };
}

/** Items waiting for review per merchant, for the dashboard's banner: of these merchants, or of all. */
export function reviewCounts(deps: Pick<OnboardingDeps, 'stores'>, merchantIds: string[] | 'all'): Promise<Map<string, number>> {
  return deps.stores.reviewJobs.counts(merchantIds, REVIEW_KINDS);
}

/**
 * The merchant fixed the cause: the job runs again. Operators and the merchant's owners; its staff
 * users only read (403). A job of another merchant, or of a kind this page does not list, is not
 * found; one no longer in review (retried already, or finished) is a Conflict and nothing is queued.
 */
export async function retryReview(deps: OnboardingDeps, actor: User, merchantId: string, jobId: number): Promise<void> {
  const merchant = await merchantToChange(deps, actor, merchantId);
  const job = await deps.stores.jobs.byId(jobId);
  if (!job || job.merchantId !== merchant.id || !isReviewKind(job.kind)) throw new NotFound(`job ${jobId} not found for this merchant`);
  if (!(await deps.stores.jobs.replay(job.id, deps.clock(), ['needs_review']))) throw new Conflict(`job ${jobId} is not waiting for review`);
  deps.logger.info({ jobId, kind: job.kind, merchantId: merchant.id, by: actor.id }, 'job in review queued again');
  deps.onJobEnqueued?.();
  await recordChange(deps, actor, merchant.id, 'review_retried', { job: job.id, kind: job.kind });
}

/** A handled note is a line, not a letter: what was done by hand, in the person's words. */
export const HANDLED_NOTE_MAX = 300;

/**
 * The Mark as handled form: the note (trimmed, its runs of spaces and line breaks one space, no
 * other control character) and when the page showed the job stopping (its epoch milliseconds).
 */
const handledForm = z.object({
  // Far longer than a note even before its spaces are collapsed: refused before any work on it.
  note: z
    .string('errors:handledNoteMissing')
    .max(HANDLED_NOTE_MAX * 4, 'errors:handledNoteTooLong')
    .refine((s) => unstorableReason(s) === null, 'errors:textUnstorable')
    .transform((s) => s.replace(/\s+/g, ' ').trim())
    .pipe(
      z
        .string()
        .min(1, 'errors:handledNoteMissing')
        .max(HANDLED_NOTE_MAX, 'errors:handledNoteTooLong')
        .refine((s) => !/\p{Cc}/u.test(s), 'errors:handledNoteChars'),
    ),
  stopped: z.string().regex(/^[1-9]\d{0,14}$/),
});

/**
 * Someone handled the item by hand: the job leaves review as 'handled' with their note. Whoever may
 * Retry (operators, the merchant's owners; staff 403). The form is checked before the job is read
 * (FormInvalid, 422: nothing written); a job of another merchant or kind is not found; one no longer
 * in review as the page showed it (retried, handled, or stopped again since) is a Conflict.
 */
export async function markHandled(deps: OnboardingDeps, actor: User, merchantId: string, jobId: number, body: unknown): Promise<void> {
  const merchant = await merchantToChange(deps, actor, merchantId);
  const form = parseForm(handledForm, body);
  const job = await deps.stores.jobs.byId(jobId);
  if (!job || job.merchantId !== merchant.id || !isReviewKind(job.kind)) throw new NotFound(`job ${jobId} not found for this merchant`);
  if (job.state !== 'needs_review') throw new Conflict(`job ${jobId} is not waiting for review`);
  // Its payment, as the page links it (describe reads no stop time).
  const listed = { id: job.id, kind: job.kind, payload: job.payload, lastError: job.lastError, stoppedAt: job.runAt };
  const payment = describe(await readRows(deps.stores, merchant.id, [listed]), listed).payment;
  const detail = { job: job.id, kind: job.kind, note: form.note };
  const marked = await deps.stores.reviewJobs.markHandled(
    {
      jobId: job.id,
      merchantId: merchant.id,
      kinds: REVIEW_KINDS,
      stoppedAt: new Date(Number(form.stopped)),
      paymentId: payment?.id ?? null,
      note: form.note,
      userId: actor.id,
      userEmail: actor.email,
      audit: auditEntry(actor, merchant.id, 'review_handled', detail),
      row: handledRow(listed),
    },
    deps.clock(),
  );
  if (!marked) throw new Conflict(`job ${jobId} is not waiting for review as shown`);
  deps.logger.info({ jobId, kind: job.kind, merchantId: merchant.id, by: actor.id }, 'job in review marked handled by hand');
  await alertChange(deps, actor, merchant.id, 'review_handled');
}
