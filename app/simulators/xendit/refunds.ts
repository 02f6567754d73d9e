/**
 * Refunds of paid invoices (Xendit's Refund API: POST /refunds with invoice_id, GET /refunds/{id},
 * GET /refunds?invoice_id=&limit=&after_id=; docs.xendit.co "Refunds", xendit-node refund/apis),
 * and the refund webhook (`refund.succeeded` / `refund.failed`, body as xendit-node's
 * RefundCallback: event, business_id, created, data) sent to the account's refund callback URL
 * with its x-callback-token. Several partial refunds may be made until the paid amount is used up.
 */
import type { Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import { numberToDecimal, toDecimal, toMinor, type Currency } from '../../money.js';
import { accountOf } from './accounts.js';
import type { Ctx, SimRefund, SimRefundWebhook, SimXenditInvoice, XenditSimAccount } from './state.js';
import { deliver } from './deliveries.js';
import { paymentIdOf } from './json.js';
import { simRefundSupport } from './refund-channels.js';
import { validation } from './errors.js';
import { handOut, refusesCursor, rowsAfterCursor, rowsBeforeCursor } from './cursor.js';

/** Kept in the simulator's state, so the demo's saved state keeps them across a restart. */
export function refundState(ctx: Ctx): { refunds: SimRefund[]; webhooks: SimRefundWebhook[] } {
  return { refunds: (ctx.state.refunds ??= []), webhooks: (ctx.state.refundWebhooks ??= []) };
}

/** What is still refundable on the invoice (minor units). */
export function refundable(ctx: Ctx, inv: SimXenditInvoice): number {
  const taken = refundState(ctx)
    .refunds.filter((r) => r.invoiceId === inv.id && r.status !== 'FAILED')
    .reduce((s, r) => s + r.amount, 0);
  return (inv.paidAmount ?? inv.amount) - taken;
}

/**
 * Why Xendit refuses a refund: its words and, where one is documented, its error_code (xendit-node
 * CreateRefund400Response). A void is a dashboard action with no documented code (xendit-node has
 * no void API), so its refusal has none.
 */
export interface RefundRefusal {
  error: string;
  code?: string;
}

/**
 * Whether Xendit takes a refund of `amount` of this paid invoice by its payment channel
 * (refund-channels.ts: the simulator's own reading of the docs, not the gateway's). Refused only where a source says so: a channel the docs do
 * not name (`unlisted`) is refunded, whole or in part, since "Not all payment channels support
 * refunds" names none. The messages are ours; the codes are Xendit's (docs.xendit.co QR codes
 * "Test scenarios" describe them: refund "not available as the method is not provided", partial
 * refund "not supported for this specific issuer").
 */
function channelRefusal(inv: SimXenditInvoice, amount: number): RefundRefusal | undefined {
  const support = simRefundSupport({ method: inv.paymentMethod, channel: inv.paymentChannel, currency: inv.currency });
  const how = [inv.paymentMethod, inv.paymentChannel].filter(Boolean).join(' ');
  if (support === 'none') return { code: 'REFUND_NOT_SUPPORTED', error: `Refund is not supported for payments made by ${how}` };
  if (support === 'full' && amount !== inv.paidAmount)
    return { code: 'PARTIAL_REFUND_NOT_SUPPORTED', error: `Partial refund is not supported for payments made by ${how}: only the whole paid amount` };
  return undefined;
}

/** Whether the dashboard offers Void on this payment (documented for e-wallets and QR codes). */
export function voidable(inv: SimXenditInvoice): boolean {
  return inv.paymentMethod === 'EWALLET' || inv.paymentMethod === 'QR_CODE' || inv.paymentMethod === 'QRIS';
}

/** A refund as the merchant makes it (API or dashboard). `pending`: it stays PENDING until `completeRefund`. */
export async function createRefund(
  ctx: Ctx,
  inv: SimXenditInvoice,
  r: {
    amount?: number;
    reason?: string;
    pending?: boolean;
    sendWebhook?: boolean;
    referenceId?: string;
    idempotencyKey?: string;
    refundFee?: number;
    feeReturned?: boolean;
    void?: boolean;
    createdAt?: Date;
    /** What the balance can pay for it (POST /refunds; withdrawals.ts refundFunds); unchecked when absent. */
    funds?: number;
  },
): Promise<SimRefund | RefundRefusal> {
  // A payment not paid, or voided, is no refundable transaction (xendit-node lists
  // INELIGIBLE_TRANSACTION among CreateRefund's 400 answers; docs.xendit.co QR codes "Test
  // scenarios": a transaction "in FAILED, PENDING, or VOIDED status").
  if ((inv.status !== 'PAID' && inv.status !== 'SETTLED') || inv.voidedAt)
    return { code: 'INELIGIBLE_TRANSACTION', error: 'The payment is not paid, or was voided: it cannot be refunded' };
  const left = refundable(ctx, inv);
  const amount = r.amount ?? left;
  if (!Number.isInteger(amount) || amount <= 0) return { code: 'API_VALIDATION_ERROR', error: 'amount must be a positive amount' };
  const refused = channelRefusal(inv, amount);
  if (refused) return refused;
  // Voids happen before settlement and only for the whole amount (docs.xendit.co e-wallet "Void and
  // Refund"); documented for e-wallets and QR codes only (a QRIS refund in full within 24 hours), so
  // the simulated dashboard offers no void of another channel. No error code: Xendit documents none
  // for a void (xendit-node has no void API), and none is made up.
  if (r.void && !voidable(inv)) return { error: `Void is offered for e-wallet and QR payments only, not ${inv.paymentMethod ?? 'this payment'}` };
  if (r.void && inv.status !== 'PAID') return { code: 'INELIGIBLE_TRANSACTION', error: 'only a payment not settled yet can be voided' };
  if (r.void && (amount !== left || left !== inv.paidAmount)) return { code: 'API_VALIDATION_ERROR', error: 'a void cancels the whole payment' };
  // docs.xendit.co QR codes "Test scenarios": more than the unrefunded rest is MAXIMUM_REFUND_AMOUNT_REACHED.
  if (amount > left)
    return { code: 'MAXIMUM_REFUND_AMOUNT_REACHED', error: `amount exceeds the refundable amount (${toDecimal(left, inv.currency)} ${inv.currency})` };
  // The documented give-backs of the whole fee come with a full refund (e-wallets, QR voids, cards'
  // fixed part); a part of it on some partial refunds is not modelled.
  if (r.feeReturned && amount !== left) return { code: 'API_VALIDATION_ERROR', error: 'the fee is given back only with a refund of all that is left' };
  // A fee given back with the refund comes back as it leaves (unless billed monthly: never taken).
  const feeBack = r.feeReturned && !inv.feeReturnedAt && accountOf(ctx, inv).feeBilling !== 'invoiced' ? (inv.feesPaidAmount ?? 0) + (inv.feeTax ?? 0) : 0;
  const unfunded = r.funds !== undefined && !r.void && amount + (r.refundFee ?? 0) > r.funds + feeBack;
  // Only a refund answered PENDING can fail later; one made at once (the dashboard's) is refused.
  if (unfunded && (!r.pending || accountOf(ctx, inv).insufficientBalance !== 'fail'))
    return {
      code: 'INSUFFICIENT_BALANCE',
      error: `The balance (${toDecimal(Math.max(r.funds!, 0), inv.currency)} ${inv.currency}) is not enough for this refund`,
    };
  const now = r.createdAt ?? ctx.now();
  const refund: SimRefund = {
    id: `rfd-${randomBytes(12).toString('hex')}`,
    invoiceId: inv.id,
    userId: inv.userId,
    amount,
    status: r.pending ? 'PENDING' : 'SUCCEEDED',
    reason: r.reason ?? 'REQUESTED_BY_CUSTOMER',
    ...(r.referenceId ? { referenceId: r.referenceId } : {}),
    ...(r.idempotencyKey ? { idempotencyKey: r.idempotencyKey } : {}),
    ...(r.refundFee ? { refundFee: r.refundFee } : {}),
    ...(r.feeReturned ? { feeReturned: true } : {}),
    ...(r.void ? { voids: true } : {}),
    ...(unfunded ? { unfunded: true } : {}),
    created: now,
    updated: now,
  };
  refundState(ctx).refunds.push(refund);
  if (refund.status === 'SUCCEEDED') succeeded(ctx, refund);
  if (!r.pending && r.sendWebhook !== false) await sendRefundWebhook(ctx, refund);
  return refund;
}

/** A PENDING refund completes (SUCCEEDED or FAILED) and its webhook is sent. */
export async function completeRefund(
  ctx: Ctx,
  refundId: string,
  status: 'SUCCEEDED' | 'FAILED',
  opts: { sendWebhook?: boolean; failureCode?: string } = {},
): Promise<void> {
  const refund = refundState(ctx).refunds.find((r) => r.id === refundId);
  if (!refund || refund.status !== 'PENDING') throw new Error(`no pending refund ${refundId}`);
  refund.status = status;
  if (status === 'FAILED') refund.failureCode = opts.failureCode ?? 'INSUFFICIENT_BALANCE';
  refund.updated = ctx.now();
  if (status === 'SUCCEEDED') succeeded(ctx, refund);
  if (opts.sendWebhook !== false) await sendRefundWebhook(ctx, refund);
}

/**
 * Refunds made through POST /refunds end the next time the simulator is called after their
 * PENDING answer, as their account's `refundOutcome` says, each with its webhook.
 */
export async function completeApiRefunds(ctx: Ctx): Promise<void> {
  for (const r of refundState(ctx).refunds) {
    if (!r.viaApi || r.status !== 'PENDING') continue;
    const inv = ctx.state.invoices.get(r.invoiceId);
    const outcome = r.unfunded
      ? { status: 'FAILED' as const, failureCode: 'INSUFFICIENT_BALANCE' }
      : ((inv && accountOf(ctx, inv).refundOutcome) ?? { status: 'SUCCEEDED' });
    if (outcome.status === 'PENDING') continue;
    await completeRefund(ctx, r.id, outcome.status, outcome.status === 'FAILED' ? { failureCode: outcome.failureCode } : {});
  }
}

/** The fee of an invoice refunded in full marked given back after the refund (test API). */
export function giveFeeBackLater(ctx: Ctx, inv: SimXenditInvoice): { error: string } | undefined {
  if (refundable(ctx, inv) > 0) return { error: 'the fee is given back only once the payment is refunded in full' };
  if (inv.feeReturnedAt) return { error: 'the fee was given back already' };
  inv.feeReturnedAt = ctx.now();
  return undefined;
}

/** A payment's fee comes back once, with the first refund that gives it back; a void cancels the payment. */
function succeeded(ctx: Ctx, r: SimRefund): void {
  const inv = ctx.state.invoices.get(r.invoiceId);
  if (r.feeReturned && inv && !inv.feeReturnedAt) inv.feeReturnedAt = ctx.now();
  if (r.voids && inv) inv.voidedAt ??= ctx.now();
}

/**
 * The refunded payment's kind as the Refund object names it: CARD for a card (docs.xendit.co
 * "Refund a card payment" example), QR_CODE for QRIS, the invoice's payment_method otherwise.
 */
function methodTypeOf(inv: SimXenditInvoice): string | null {
  if (inv.paymentMethod === 'CREDIT_CARD') return 'CARD';
  if (inv.paymentMethod === 'QRIS') return 'QR_CODE';
  return inv.paymentMethod ?? null;
}

export function refundJson(ctx: Ctx, r: SimRefund): Record<string, unknown> {
  const inv = ctx.state.invoices.get(r.invoiceId)!;
  return {
    id: r.id,
    payment_id: paymentIdOf(r.invoiceId),
    invoice_id: namesInvoice(ctx, inv) ? r.invoiceId : null,
    payment_method_type: methodTypeOf(inv),
    amount: Number(toDecimal(r.amount, inv.currency)),
    channel_code: inv.paymentChannel ?? null,
    status: r.status,
    reason: r.reason,
    country: COUNTRY[inv.currency],
    currency: inv.currency,
    reference_id: r.referenceId ?? inv.externalId,
    failure_code: r.status === 'FAILED' ? (r.failureCode ?? 'INSUFFICIENT_BALANCE') : null,
    refund_fee_amount: r.refundFee ? Number(toDecimal(r.refundFee, inv.currency)) : 0,
    created: r.created.toISOString(),
    updated: r.updated.toISOString(),
    metadata: null,
  };
}

async function sendRefundWebhook(ctx: Ctx, r: SimRefund): Promise<void> {
  const inv = ctx.state.invoices.get(r.invoiceId)!;
  const account = accountOf(ctx, inv);
  if (!account.refundCallbackUrl) return;
  const body = {
    event: r.status === 'SUCCEEDED' ? 'refund.succeeded' : 'refund.failed',
    business_id: account.userId,
    created: ctx.now().toISOString(),
    data: refundJson(ctx, r),
  };
  await deliver(ctx, { kind: 'refund', subject: r.id, url: account.refundCallbackUrl, token: account.callbackToken, body });
}

/**
 * The Refund object's country (xendit-node Refund.country, a plain string): the country of the
 * payment's currency. USD belongs to no one market Xendit serves; Indonesia's here, an assumption.
 */
const COUNTRY: Record<Currency, string> = { IDR: 'ID', PHP: 'PH', THB: 'TH', VND: 'VN', MYR: 'MY', USD: 'ID' };

/** Create refund's reason, "Required" and one of these (docs.xendit.co/apidocs/refund-payment-request; xendit-node CreateRefundReasonEnum). */
const REASONS = ['FRAUDULENT', 'DUPLICATE', 'REQUESTED_BY_CUSTOMER', 'CANCELLATION', 'OTHERS'];

const namesInvoice = (ctx: Ctx, inv: SimXenditInvoice) => accountOf(ctx, inv).refundsNameInvoice !== false;

const own = (ctx: Ctx, res: Response) => refundState(ctx).refunds.filter((r) => r.userId === (res.locals.account as XenditSimAccount).userId);

export async function createRefundRoute(ctx: Ctx, req: Request, res: Response, funds: (inv: SimXenditInvoice) => number): Promise<void> {
  const body = (req.body ?? {}) as { invoice_id?: unknown; amount?: unknown; reason?: unknown; reference_id?: unknown };
  // xendit-node sends the optional idempotency-key header. What Xendit answers to a key it has seen
  // is not documented for refunds; this answers the less helpful way (409 DUPLICATE_ERROR, as its
  // other APIs do for a reused key), so the gateway must find the first refund by reference_id.
  const key = req.get('idempotency-key') || undefined;
  if (key && own(ctx, res).some((r) => r.idempotencyKey === key)) {
    return void res.status(409).json({ error_code: 'DUPLICATE_ERROR', message: 'A refund with this idempotency key was already made' });
  }
  if (typeof body.reason !== 'string' || !REASONS.includes(body.reason)) {
    return void res.status(400).json({ error_code: 'API_VALIDATION_ERROR', message: `reason must be one of ${REASONS.join(', ')}` });
  }
  const inv = typeof body.invoice_id === 'string' ? ctx.state.invoices.get(body.invoice_id) : undefined;
  if (!inv || inv.userId !== (res.locals.account as XenditSimAccount).userId) {
    return void res.status(404).json({ error_code: 'DATA_NOT_FOUND', message: 'Invoice not found' });
  }
  // docs.xendit.co QR codes "Test scenarios": REFUND_IN_PROGRESS (400) while a refund of the
  // payment is pending; xendit-node's CreateRefund400Response lists the code for every channel.
  if (refundState(ctx).refunds.some((r) => r.invoiceId === inv.id && r.status === 'PENDING')) {
    return void res.status(400).json({ error_code: 'REFUND_IN_PROGRESS', message: 'A refund of this payment is still pending' });
  }
  let amount: number | undefined;
  try {
    amount = body.amount === undefined ? undefined : toMinor(numberToDecimal(Number(body.amount)), inv.currency);
  } catch {
    return void res.status(400).json({ error_code: 'API_VALIDATION_ERROR', message: 'amount is not a valid amount' });
  }
  const made = await createRefund(ctx, inv, {
    amount,
    reason: body.reason,
    referenceId: typeof body.reference_id === 'string' ? body.reference_id : undefined,
    idempotencyKey: key,
    pending: true,
    funds: funds(inv),
  });
  // Every refusal here has Xendit's code: POST /refunds never voids. INELIGIBLE_TRANSACTION is a 403
  // in docs.xendit.co QR codes "Test scenarios" ("API Response Error 403"), a 400 in xendit-node
  // (CreateRefund400Response): the docs' status here, the gateway reads the code either way.
  if ('error' in made) return void res.status(made.code === 'INELIGIBLE_TRANSACTION' ? 403 : 400).json({ error_code: made.code, message: made.error });
  made.viaApi = true;
  if (ctx.faults.dropIfArmed(req, res)) return;
  res.json(refundJson(ctx, made));
}

export function getRefundRoute(ctx: Ctx, req: Request, res: Response): void {
  const r = own(ctx, res).find((x) => x.id === req.params.id);
  if (!r) return void res.status(404).json({ error_code: 'DATA_NOT_FOUND', message: 'Refund not found' });
  res.json(refundJson(ctx, r));
}

/**
 * Newest first, or oldest first as the account's refundsListOrder says (docs.xendit.co "List
 * refunds" and xendit-node RefundApi getAllRefunds are silent on the order: both may be the real
 * one); `after_id` continues after that refund, `before_id` gives the page before it (xendit-node
 * GetAllRefundsRequest); `limit` up to 100 (default 10).
 */
export function listRefundsRoute(ctx: Ctx, req: Request, res: Response): void {
  const account = res.locals.account as XenditSimAccount;
  const newestFirst = account.refundsListOrder !== 'oldest_first';
  let rows = own(ctx, res)
    .filter(
      (r) => typeof req.query.invoice_id !== 'string' || (r.invoiceId === req.query.invoice_id && namesInvoice(ctx, ctx.state.invoices.get(r.invoiceId)!)),
    )
    .sort((a, b) => a.created.getTime() - b.created.getTime() || (a.id < b.id ? -1 : 1));
  if (newestFirst) rows.reverse();
  const limit = Math.min(Math.max(Number(req.query.limit) || 10, 1), 100);
  const asked = typeof req.query.before_id === 'string' ? req.query.before_id : typeof req.query.after_id === 'string' ? req.query.after_id : undefined;
  if (refusesCursor(ctx.faults, rows, asked, (r) => r.id)) return validation(res, 'after_id or before_id is not a valid refund id');
  if (typeof req.query.before_id === 'string') {
    // has_more: whether rows come before these (nothing the gateway reads).
    const before = rowsBeforeCursor(ctx.faults, rows, req.query.before_id, limit, (r) => r.id);
    return void res.json({ data: before.map((r) => refundJson(ctx, r)), has_more: before.length > 0 && rows[0] !== before[0] });
  }
  rows = rowsAfterCursor(ctx.faults, rows, typeof req.query.after_id === 'string' ? req.query.after_id : undefined, (r) => r.id);
  res.json({ data: handOut(ctx.faults, rows.slice(0, limit), (r) => r.id).map((r) => refundJson(ctx, r)), has_more: rows.length > limit });
}
