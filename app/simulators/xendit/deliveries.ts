/**
 * Sending Xendit's invoice callbacks, refund and dispute webhooks, and sending again those the
 * merchant's server did not take.
 *
 * "After the original webhook event notification, Xendit will attempt to re-deliver the webhook up
 * to six times until we have receive a 2XX HTTP status response from your server", at 15 m, 1 h,
 * 3 h, 6 h, 12 h and 24 h after the original attempt (docs.xendit.co/apidocs/webhook-behavior,
 * "Attempts and retry logic"; the same table in docs.xendit.co/webhook/delivery-attempts-and-retries).
 * An answer other than 2xx is "Failed" and retried; no answer within 30 s is "Timeout", and
 * "Auto-retry will not retry any event with URL Not Set and Timeout status" (help.xendit.co "How Do
 * I Reconcile My Webhook through Webhook Tab"). A connection refused or cut before any answer is not
 * documented apart from a timeout: taken the less helpful way, as one (no redelivery).
 *
 * A redelivery goes out once the simulator's clock (its own, or a test's: useClock) has passed its
 * time and redeliverDue runs: called by the test API, or on each request when the simulator is told
 * to (the demo). The simulator keeps no timer of its own, so nothing is sent between tests.
 */
import type { Ctx, SimCallback, SimDisputeWebhook, SimRedelivery, SimRefundWebhook } from './state.js';

/** When each redelivery is due, after the original attempt. */
export const REDELIVERY_AFTER_MS = [15, 60, 180, 360, 720, 1440].map((minutes) => minutes * 60_000);

/** What the merchant's server answered: an HTTP status, or nothing (error). */
export interface DeliveryAnswer {
  responseStatus?: number;
  responseBody?: string;
  error?: string;
}

type Records = { invoice: SimCallback; refund: SimRefundWebhook; dispute: SimDisputeWebhook };
export type Delivery = Omit<SimRedelivery, 'firstAt' | 'retries'>;

/** The first attempt of a callback or webhook: recorded, sent, and queued for redelivery if refused. */
export async function deliver<K extends keyof Records>(ctx: Ctx, d: Delivery & { kind: K }): Promise<Records[K]> {
  const firstAt = ctx.now();
  const record = recordOf(ctx, d, firstAt, 0) as Records[K];
  const answer = await post(ctx, d);
  fill(record, d.kind, answer);
  if (retried(answer)) redeliveriesOf(ctx).push({ ...d, firstAt, retries: 0 });
  return record;
}

/** What redeliverDue sent: one line per attempt. */
export interface Redelivered extends DeliveryAnswer {
  kind: SimRedelivery['kind'];
  /** The invoice, refund or dispute it was about. */
  subject: string;
  /** 1 to 6: which redelivery. */
  retry: number;
}

/**
 * Every redelivery whose time the clock has passed, earliest first, one after the other; each one
 * refused again is queued for its next time, until the sixth.
 */
export async function redeliverDue(ctx: Ctx): Promise<Redelivered[]> {
  const queue = redeliveriesOf(ctx);
  const sent: Redelivered[] = [];
  for (;;) {
    const now = ctx.now().getTime();
    let next = -1;
    for (let i = 0; i < queue.length; i++) if (dueAt(queue[i]) <= now && (next < 0 || dueAt(queue[i]) < dueAt(queue[next]))) next = i;
    if (next < 0) return sent;
    // Out of the queue before the await: a concurrent call never sends the same one twice.
    const [d] = queue.splice(next, 1);
    d.retries += 1;
    const record = recordOf(ctx, d, ctx.now(), d.retries);
    const answer = await post(ctx, d);
    fill(record, d.kind, answer);
    sent.push({ kind: d.kind, subject: d.subject, retry: d.retries, ...answer });
    if (retried(answer) && d.retries < REDELIVERY_AFTER_MS.length) queue.push(d);
  }
}

/** When a queued delivery is next sent. */
export function dueAt(d: SimRedelivery): number {
  return d.firstAt.getTime() + REDELIVERY_AFTER_MS[d.retries];
}

/** Kept in the simulator's state, so the demo's saved state keeps them across a restart. */
export function redeliveriesOf(ctx: Pick<Ctx, 'state'>): SimRedelivery[] {
  return (ctx.state.redeliveries ??= []);
}

const retried = (a: DeliveryAnswer) => a.responseStatus !== undefined && (a.responseStatus < 200 || a.responseStatus > 299);

async function post(ctx: Ctx, d: Delivery): Promise<DeliveryAnswer> {
  try {
    const answer = await ctx.fetch(d.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-callback-token': d.token },
      body: JSON.stringify(d.body),
      signal: AbortSignal.timeout(ctx.callbackTimeoutMs),
    });
    return { responseStatus: answer.status, responseBody: (await answer.text()).slice(0, 2000) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  } finally {
    ctx.log?.debug({ kind: d.kind, subject: d.subject }, 'xendit sim: callback sent');
  }
}

/** The answer into the attempt's record; only an invoice callback's keeps the body answered. */
function fill(record: Records[keyof Records], kind: SimRedelivery['kind'], a: DeliveryAnswer): void {
  const { responseBody, ...rest } = a;
  Object.assign(record, rest, kind === 'invoice' && responseBody !== undefined ? { responseBody } : {});
}

/** The attempt as its kind's log shows it, added to that log before it is sent (the answer filled in after). */
function recordOf(ctx: Ctx, d: Delivery, at: Date, retry: number): Records[keyof Records] {
  const again = retry ? { retry } : {};
  if (d.kind === 'invoice') {
    const r: SimCallback = { invoiceId: d.subject, status: d.status!, url: d.url, token: d.token, body: d.body, at, ...again };
    ctx.state.callbacks.push(r);
    return r;
  }
  if (d.kind === 'refund') {
    const r: SimRefundWebhook = { refundId: d.subject, url: d.url, body: d.body, ...again };
    (ctx.state.refundWebhooks ??= []).push(r);
    return r;
  }
  const r: SimDisputeWebhook = { disputeId: d.subject, url: d.url, ...again };
  (ctx.state.disputeWebhooks ??= []).push(r);
  return r;
}
