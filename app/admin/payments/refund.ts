/**
 * "Refund" on a payment's page: asks Xendit to refund (all or part of) a paid invoice. The request
 * is written first (its id is the form's one-time id, so a form sent twice is one request), marked
 * before Xendit is asked, and looked up at Xendit by reference_id before any second ask: a lost
 * answer never makes a second refund, whatever Xendit does with a repeated idempotency key. Xendit
 * answers PENDING and ends the refund later (docs.xendit.co "Refund a payment request"): a `sent`
 * request keeps its amount until then; once SUCCEEDED the refund goes into Xero like any refund made
 * at Xendit, and if FAILED record-refund refuses the request with Xendit's failure code.
 */
import { FormInvalid, NotFound } from '../../errors.js';
import { AmountError, exponentOf, toDecimal, toMinor } from '../../money.js';
import { message } from '../../i18n/index.js';
import { UpstreamError } from '../../clients/types.js';
import { REFUND_REASONS, type RefundReason, type XenditGateway, type XenditRefund } from '../../clients/xendit/types.js';
import { CursorWalk } from '../../clients/xendit/paging.js';
import { enqueue } from '../../jobs/enqueue.js';
import type { RefundRequest } from '../../store/refund-requests.js';
import type { Payment } from '../../store/payments.js';
import type { User } from '../../store/users.js';
import type { OnboardingDeps } from '../deps.js';
import { recordChange } from '../audit.js';
import { failureText, refundFailedReason, refusalText } from '../../jobs/sync/refund-refusal.js';
import { merchantToChange } from '../merchants/service.js';
import { listOrder } from '../../jobs/sync/list-order.js';
import { paymentAtXendit, unreachable } from '../../jobs/sync/checkout-key.js';
import type { Merchant } from '../../store/merchants.js';

export type RefundDeps = OnboardingDeps & { xendit: XenditGateway };

/**
 * How long an unanswered ask belongs to whoever sent it: past the Xendit client's timeout (10 s)
 * with room to spare, it has failed or been answered, and "Check with Xendit again" may take over.
 */
const ASK_OWNED_MS = 60_000;

const UNKNOWN_AT_XENDIT =
  "Xendit lists more refunds than one lookup reads, and this request's refund was not among them: not asked again (it may have been made); see Xendit's dashboard";

export interface RefundForm {
  requestId: string;
  amount: string;
  reason: string;
}

/** Whether the user may ask for refunds of this merchant's payments (the form is shown only to them). */
export function mayRefund(actor: User): boolean {
  return actor.role === 'operator' || actor.merchantRole === 'owner';
}

/** What may still be refunded: the payment less what Xendit refunded or took back and what was asked and not refused. */
export async function refundable(deps: Pick<RefundDeps, 'stores'>, payment: Pick<Payment, 'id' | 'amount'>): Promise<number> {
  const requests = (await deps.stores.refundRequests.forPayment(payment.id)).filter((r) => r.state !== 'refused');
  return leftAfter(payment, requests, await deps.stores.refunds.forPayment(payment.id));
}

function leftAfter(
  payment: Pick<Payment, 'amount'>,
  asked: { amount: number; xenditRefundId: string | null }[],
  atXendit: { amount: number; xenditRefundId: string }[],
): number {
  const ours = new Set(asked.map((r) => r.xenditRefundId).filter(Boolean));
  const elsewhere = atXendit.filter((r) => !ours.has(r.xenditRefundId));
  return payment.amount - asked.reduce((s, r) => s + r.amount, 0) - elsewhere.reduce((s, r) => s + r.amount, 0);
}

/** Asks Xendit for the refund; returns the request as it then stands. FormInvalid for what the user can fix. */
export async function requestRefund(deps: RefundDeps, actor: User, paymentId: string, form: RefundForm): Promise<RefundRequest> {
  const payment = await deps.stores.payments.byId(paymentId);
  if (!payment || (actor.role === 'merchant' && actor.merchantId !== payment.merchantId)) throw new NotFound(`payment ${paymentId} not found for this user`);
  // Operators and the merchant's owners: staff users only read.
  const merchant = await merchantToChange(deps, actor, payment.merchantId);
  const earlier = (await deps.stores.refundRequests.forPayment(payment.id)).find((r) => r.id === form.requestId);
  if (earlier && earlier.state !== 'sending') return earlier;
  const secretKey = await refundKey(deps, merchant, payment);
  if (earlier) return send(deps, secretKey, payment, earlier, actor);

  const reason = REFUND_REASONS.find((r) => r === form.reason);
  if (!reason) throw new FormInvalid({ reason: 'errors:refundReason' }, 400);
  const amount = amountOf(form.amount, payment);
  const tooMuch = (left: number) =>
    new FormInvalid({ amount: message('errors:refundTooMuch', { left: `${toDecimal(Math.max(left, 0), payment.currency)} ${payment.currency}` }) });
  const left = await refundable(deps, payment);
  if (amount > left) throw tooMuch(left);
  // Checked again under the payment's lock: a second form sent at the same moment cannot take
  // what this one is taking.
  const atXendit = await deps.stores.refunds.forPayment(payment.id);
  let leftNow = left;
  const made = await deps.stores.refundRequests.createIfRoom(
    { id: form.requestId, merchantId: merchant.id, paymentId: payment.id, requestedBy: actor.id, currency: payment.currency, amount, reason },
    (asked) => amount <= (leftNow = leftAfter(payment, asked, atXendit)),
    deps.clock(),
  );
  if (!made) throw tooMuch(leftNow);
  const { request } = made;
  // A one-time id already used for another payment (a form posted to the wrong page, or forged).
  if (request.paymentId !== payment.id || request.merchantId !== merchant.id) throw new FormInvalid({ form: 'errors:refundFormStale' }, 400);
  // The same form sent twice at once: the twin that made the request logs it.
  if (made.made)
    await recordChange(deps, actor, merchant.id, 'refund_requested', {
      payment: payment.id,
      amount: `${toDecimal(amount, payment.currency)} ${payment.currency}`,
      reason,
    });
  return send(deps, secretKey, payment, request, actor);
}

/**
 * The key a payment's refund is asked (and looked up) with: the one that reaches its checkout's
 * invoice (checkoutKey: the merchant may have switched between test and live since it was paid; the
 * key in use for a payment without checkout). Xendit refunds an invoice only in the account it was
 * paid in; asked with the other, it answers "not found". When no stored key reaches it (none of its
 * mode, or the key that made it replaced by one that finds nothing or is refused), nothing is asked
 * nor written: the form says which key's account holds the payment.
 */
async function refundKey(deps: RefundDeps, merchant: Merchant, payment: Payment): Promise<string> {
  const { key } = await paymentAtXendit(deps, deps.xendit, merchant, payment);
  // A replaced key may be a rotation within the same business (reaching the invoice) or another business's.
  const found =
    key.key && key.replaced
      ? await deps.xendit.getInvoice(key.key, payment.xenditInvoiceId).then(
          (x) => (x ? 'found' : 'nothing'),
          (err: unknown) => err,
        )
      : 'found';
  if (unreachable(key, found)) throw new FormInvalid({ form: message('admin:refundKeyGone', { mode: message(`admin:mode_${key.mode}`), key: key.hint }) });
  return key.key;
}

/**
 * Digits, and a decimal point only where the currency has cents: "100.000" or "10,50" are how
 * Indonesian pages write 100 000 and 10.50, so any separator that could be read two ways is refused
 * rather than guessed (a refund cannot be taken back).
 */
function amountOf(text: string, payment: Payment): number {
  const plain = exponentOf(payment.currency) === 0 ? /^\d+$/ : new RegExp(`^\\d+(\\.\\d{1,${exponentOf(payment.currency)}})?$`);
  if (!plain.test(text.trim())) throw new FormInvalid({ amount: message('errors:refundAmount', { currency: payment.currency }) });
  let amount: number;
  try {
    amount = toMinor(text.trim(), payment.currency);
  } catch (err) {
    if (err instanceof AmountError) throw new FormInvalid({ amount: message('errors:refundAmount', { currency: payment.currency }) });
    throw err;
  }
  if (amount <= 0) throw new FormInvalid({ amount: message('errors:refundAmount', { currency: payment.currency }) });
  return amount;
}

async function send(deps: RefundDeps, secretKey: string, payment: Payment, request: RefundRequest, actor: User): Promise<RefundRequest> {
  const now = deps.clock;
  let refund: XenditRefund | undefined;
  // Asked before without an answer: Xendit may have made it. Found by our reference, it is not asked again.
  if (request.attemptAt) {
    const looked = await findAtXendit(deps.xendit, secretKey, payment.xenditInvoiceId, request);
    // Not seen in what could be read: asking again could make a second refund if Xendit ignores the repeated key.
    if (looked === 'unknown') {
      await deps.stores.refundRequests.noteError(request.id, UNKNOWN_AT_XENDIT, now());
      return { ...request, lastError: UNKNOWN_AT_XENDIT };
    }
    if (looked !== 'absent') refund = looked;
  }
  if (!refund) {
    // Another sender (the same form sent twice at once) already holds the ask: it answers.
    const at = now();
    const staleBefore = new Date(at.getTime() - ASK_OWNED_MS);
    if (!(await deps.stores.refundRequests.claimAttempt(request.id, request.attemptAt, at, staleBefore)))
      return { ...request, attemptAt: request.attemptAt ?? at };
    try {
      refund = await deps.xendit.createRefund(
        secretKey,
        {
          invoiceId: payment.xenditInvoiceId,
          referenceId: request.id,
          currency: payment.currency,
          amount: request.amount,
          reason: request.reason as RefundReason,
        },
        request.id,
      );
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      // A reused key (409): the first ask got through after all.
      if (err.status === 409) {
        const looked = await findAtXendit(deps.xendit, secretKey, payment.xenditInvoiceId, request);
        if (typeof looked === 'object') refund = looked;
      }
      // Refused before anything was made: invalid, not refundable, more than the balance (400, or 403
      // INELIGIBLE_TRANSACTION), or a key without the Refunds permission (403): the page says which.
      else if (err.kind === 'rejected' || err.kind === 'unauthorized') {
        const why = refusalText(err);
        await deps.stores.refundRequests.refused(request.id, why, now());
        return { ...request, state: 'refused', attemptAt: null, lastError: why };
      }
      if (!refund) {
        await deps.stores.refundRequests.noteError(request.id, err.message, now());
        return { ...request, attemptAt: now(), lastError: err.message };
      }
    }
  }
  // Xendit took the request but the refund failed there: nothing left the balance.
  if ((refund.status === 'FAILED' || refund.status === 'CANCELLED') && refund.failureCode === 'DUPLICATE_ERROR') {
    // Refused as a twin of an earlier refund of this request, which may be live: the amount stays counted.
    await deps.stores.refundRequests.noteError(request.id, refundFailedReason(refund), now());
    return { ...request, attemptAt: now(), lastError: refundFailedReason(refund) };
  }
  if (refund.status === 'FAILED' || refund.status === 'CANCELLED') {
    const reason = failureText(refund);
    await deps.stores.refundRequests.refused(request.id, reason, now());
    return { ...request, state: 'refused', xenditRefundId: refund.id, attemptAt: null, lastError: reason };
  }
  await deps.stores.refundRequests.sent(request.id, refund.id, now());
  if (await enqueue(deps.stores.jobs, 'record-refund', { merchantId: payment.merchantId, xenditRefundId: refund.id }, now())) deps.onJobEnqueued?.();
  deps.logger.info({ paymentId: payment.id, xenditRefundId: refund.id, by: actor.id }, 'refund made at Xendit');
  return { ...request, state: 'sent', xenditRefundId: refund.id, attemptAt: null, lastError: null };
}

/**
/**
 * Listed by invoice first, then all the account's refunds: a refund that does not name its invoice
 * (invoice_id is "To be deprecated", docs.xendit.co "Refund a payment request") may not be listed
 * under it. A live one (PENDING or SUCCEEDED) of the request wins; one that FAILED is answered only
 * once the listing surely holds no live one (a failed duplicate may have a live twin: then the
 * amount must stay counted). 'unknown': the pages one lookup reads could not tell (see findListed).
 */
async function findAtXendit(xendit: XenditGateway, secretKey: string, invoiceId: string, request: RefundRequest): Promise<XenditRefund | 'absent' | 'unknown'> {
  const byInvoice = await findListed(xendit, secretKey, { invoiceId }, request);
  if (byInvoice.live) return byInvoice.live;
  const all = await findListed(xendit, secretKey, {}, request);
  if (all.live) return all.live;
  if (all.end === 'unknown') return 'unknown';
  return all.failed ?? byInvoice.failed ?? 'absent';
}

/** Pages one lookup reads, 100 refunds each. */
const LOOKUP_PAGES = 10;
/** Xendit's clock and ours may differ: a refund created this long before the request is still looked for. */
const CLOCK_MARGIN_MS = 86_400_000;

/**
 * The refunds made for this request: a live one, else one that failed, and whether the rest is
 * surely not listed. GET /refunds does not document its order (jobs/sync/list-order.ts judges it
 * from the pages read): listed newest first, a page reaching before the request was made ends the
 * search; otherwise only the listing's end does. A search cut short by LOOKUP_PAGES is 'unknown',
 * never 'absent': oldest first, the newest refunds, ours among them, are the last pages.
 */
async function findListed(
  xendit: XenditGateway,
  secretKey: string,
  q: { invoiceId?: string },
  request: RefundRequest,
): Promise<{ live?: XenditRefund; failed?: XenditRefund; end: 'absent' | 'unknown' }> {
  const earliest = request.createdAt.getTime() - CLOCK_MARGIN_MS;
  const read: XenditRefund[] = [];
  let failed: XenditRefund | undefined;
  let afterId: string | undefined;
  const walk = new CursorWalk(LOOKUP_PAGES);
  for (let page = 0; page < LOOKUP_PAGES; page++) {
    const { refunds, hasMore, lastId } = await xendit.listRefunds(secretKey, { ...q, limit: 100, ...(afterId ? { afterId } : {}) });
    // Started over or cut short by a cursor Xendit no longer holds (CursorWalk): never taken for "absent".
    if (
      walk.page(
        refunds.map((r) => r.id),
        hasMore,
      ) === 'broken'
    )
      return { failed, end: 'unknown' };
    const mine = refunds.filter((r) => r.referenceId === request.id);
    const live = mine.find((r) => r.status !== 'FAILED' && r.status !== 'CANCELLED');
    if (live) return { live, end: 'absent' };
    failed ??= mine[0];
    if (!hasMore) return { failed, end: 'absent' };
    read.push(...refunds);
    if (listOrder(read) === 'newest_first' && refunds.some((r) => r.created !== undefined && Date.parse(r.created) < earliest))
      return { failed, end: 'absent' };
    if (!lastId) return { failed, end: 'unknown' };
    afterId = lastId;
  }
  return { failed, end: 'unknown' };
}
