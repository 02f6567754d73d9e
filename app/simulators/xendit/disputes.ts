/**
 * Disputes (chargebacks) of paid invoices, as Xendit reports them (docs.xendit.co "Manage Disputes
 * via API" and "Dispute Webhook Notifications"): raised as ACTION_REQUIRED, then WON or LOST; each
 * status change is a webhook (`dispute.action_required`, `dispute.won`, `dispute.lost`; body = the
 * event name and the dispute object, amounts as decimal strings) to the account's dispute webhook
 * URL with its x-callback-token; GET /v1/disputes/{id} returns the dispute. Disputes have no
 * listing: they reach the merchant by webhook only (the same page: "not polling").
 */
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { toDecimal } from '../../money.js';
import { accountOf } from './accounts.js';
import type { Ctx, SimChargebackFee, SimDispute, SimDisputeWebhook, SimXenditInvoice, XenditSimAccount } from './state.js';
import { paymentIdOf } from './json.js';
import { deliver } from './deliveries.js';

/** Kept in the simulator's state, so the demo's saved state keeps them across a restart. */
export function disputeState(ctx: Ctx): { disputes: SimDispute[]; webhooks: SimDisputeWebhook[] } {
  return { disputes: (ctx.state.disputes ??= []), webhooks: (ctx.state.disputeWebhooks ??= []) };
}

/** The payer's bank disputes a paid invoice's payment (the whole of it unless `amount`). */
export async function raiseDispute(
  ctx: Ctx,
  inv: SimXenditInvoice,
  r: { amount?: number; referenceId?: string; sendWebhook?: boolean } = {},
): Promise<SimDispute> {
  if (inv.status !== 'PAID' && inv.status !== 'SETTLED') throw new Error('only a paid invoice can be disputed');
  const paid = inv.paidAmount ?? inv.amount;
  const amount = r.amount ?? paid;
  if (!Number.isInteger(amount) || amount <= 0 || amount > paid) throw new Error('a dispute is for at most the amount paid');
  const now = ctx.now();
  const dispute: SimDispute = {
    id: `mi-dspt-${randomUUID()}`,
    invoiceId: inv.id,
    userId: inv.userId,
    amount,
    ...(r.referenceId ? { referenceId: r.referenceId } : {}),
    status: 'ACTION_REQUIRED',
    created: now,
    updated: now,
  };
  disputeState(ctx).disputes.push(dispute);
  if (r.sendWebhook !== false) await sendDisputeWebhook(ctx, dispute);
  return dispute;
}

/** The dispute ends: LOST (the money goes back to the payer) or WON. */
export async function resolveDispute(
  ctx: Ctx,
  disputeId: string,
  status: 'WON' | 'LOST',
  opts: { sendWebhook?: boolean; fee?: SimChargebackFee; chargebackProductId?: 'payment'; listedAfterMs?: number } = {},
): Promise<void> {
  const d = disputeState(ctx).disputes.find((x) => x.id === disputeId);
  if (!d || d.status === 'WON' || d.status === 'LOST') throw new Error(`no open dispute ${disputeId}`);
  d.status = status;
  if (status === 'LOST' && opts.fee) d.fee = { ...opts.fee };
  if (opts.chargebackProductId) d.chargebackProductId = opts.chargebackProductId;
  d.updated = ctx.now();
  if (opts.listedAfterMs) d.chargebackListedAt = new Date(d.updated.getTime() + opts.listedAfterMs);
  if (opts.sendWebhook !== false) await sendDisputeWebhook(ctx, d);
}

/**
 * The Dispute Report of an account, as the dashboard's Disputes page exports it (docs.xendit.co
 * "Dispute Report": CSV, on demand only, no API; one row per dispute with its current status; the
 * headers the page documents, in its order). The only listing of disputes Xendit offers.
 */
export function disputeReportCsv(ctx: Ctx, userId: string): string {
  const head = 'dispute_id,payment_id,status,reason,payment_method_type,payment_channel,card_brands';
  const rows = disputeState(ctx)
    .disputes.filter((d) => d.userId === userId)
    .map((d) => [d.id, `py-${d.invoiceId}`, d.status, 'FRAUDULENT', 'CARDS', 'CARDS', 'VISA'].join(','));
  return [head, ...rows].join('\r\n') + '\r\n';
}

/** What lost disputes took from the account's balance, minor units: the amounts, and the fees on them (chargebackFeeTaken). */
export function lostDisputes(ctx: Ctx, userId: string, currency: string): number {
  const fees = disputeState(ctx)
    .disputes.filter((d) => d.userId === userId && d.status === 'LOST' && ctx.state.invoices.get(d.invoiceId)?.currency === currency)
    .reduce((s, d) => s + chargebackFeeTaken(d), 0);
  return sumOf(ctx, userId, currency, (d) => d.status === 'LOST') + fees;
}

/**
 * A lost dispute's fee, its VAT and the taxes withheld: what its fee object shows is taken (a PENDING
 * one with no figures, nothing yet), as the gateway books a PENDING payment fee that shows figures;
 * none besides the amount when it came out of it (SimChargebackFee.inAmount).
 */
export function chargebackFeeTaken(d: SimDispute): number {
  const f = d.fee;
  return f && !f.inAmount ? f.xenditFee + (f.vat ?? 0) + (f.xenditWithholding ?? 0) + (f.thirdPartyWithholding ?? 0) : 0;
}

/**
 * What open disputes hold, minor units: "The disputed transaction amount will be held while the
 * investigation is ongoing" (docs.xendit.co "Handling disputes and chargeback"). Held money is out
 * of the CASH balance and in the HOLDING one (GET /balance account_type HOLDING); a WON dispute
 * gives it back to CASH, a LOST one pays the chargeback out of it.
 */
export function heldByDisputes(ctx: Ctx, userId: string, currency: string): number {
  return sumOf(ctx, userId, currency, (d) => d.status === 'ACTION_REQUIRED' || d.status === 'UNDER_REVIEW');
}

function sumOf(ctx: Ctx, userId: string, currency: string, which: (d: SimDispute) => boolean): number {
  return disputeState(ctx)
    .disputes.filter((d) => d.userId === userId && which(d) && ctx.state.invoices.get(d.invoiceId)?.currency === currency)
    .reduce((s, d) => s + d.amount, 0);
}

export function disputeJson(ctx: Ctx, d: SimDispute): Record<string, unknown> {
  const inv = ctx.state.invoices.get(d.invoiceId)!;
  const ended = d.status === 'WON' || d.status === 'LOST';
  return {
    id: d.id,
    channel_code: 'CARDS',
    card_brands: 'VISA',
    status: d.status,
    currency: inv.currency,
    amount: { initial: toDecimal(d.amount, inv.currency), terminal: ended ? toDecimal(d.amount, inv.currency) : null },
    created_at: d.created.toISOString(),
    updated_at: d.updated.toISOString(),
    payment_id: paymentIdOf(inv.id),
    reference_id: d.referenceId ?? inv.externalId,
  };
}

async function sendDisputeWebhook(ctx: Ctx, d: SimDispute): Promise<void> {
  const inv = ctx.state.invoices.get(d.invoiceId)!;
  const account = accountOf(ctx, inv);
  if (!account.disputeCallbackUrl) return;
  const body = { event: `dispute.${d.status.toLowerCase()}`, ...disputeJson(ctx, d) };
  await deliver(ctx, { kind: 'dispute', subject: d.id, url: account.disputeCallbackUrl, token: account.callbackToken, body });
}

export function getDisputeRoute(ctx: Ctx, req: Request, res: Response): void {
  const userId = (res.locals.account as XenditSimAccount).userId;
  const d = disputeState(ctx).disputes.find((x) => x.id === req.params.id && x.userId === userId);
  if (!d) return void res.status(404).json({ error_code: 'DATA_NOT_FOUND', message: 'Dispute not found' });
  res.json(disputeJson(ctx, d));
}
