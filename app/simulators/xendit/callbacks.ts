/**
 * Invoice state changes and the callbacks Xendit sends for them: "Paid" and "Expired/Failure"
 * (docs.xendit.co/xeninvoice/notification-and-callback: "Currently we can give two type of
 * callbacks"). Settlement (PAID → SETTLED) is not among them: it sends none, unless a test asks
 * for one to see what the gateway does should one ever come.
 */
import { accountOf } from './accounts.js';
import { deliver } from './deliveries.js';
import { callbackJson } from './json.js';
import type { PayOptions } from './simulator.js';
import { type Ctx, type SimCallback, type SimXenditInvoice, type SimXenditStatus } from './state.js';

export const ALLOWED: Record<SimXenditStatus, SimXenditStatus[]> = { PENDING: ['PAID', 'EXPIRED'], PAID: ['SETTLED'], SETTLED: [], EXPIRED: [] };

export async function transition(ctx: Ctx, inv: SimXenditInvoice, to: SimXenditStatus, opts: PayOptions = {}): Promise<SimCallback | undefined> {
  expireIfDue(ctx, inv);
  apply(ctx, inv, to, opts);
  return opts.sendCallback === false ? undefined : sendCallback(ctx, inv, opts.callbackUrl);
}

/** The synchronous state change, so concurrent requests never see a half-made transition. */
export function apply(ctx: Ctx, inv: SimXenditInvoice, to: SimXenditStatus, opts: PayOptions): void {
  if (!ALLOWED[inv.status].includes(to)) throw new Error(`invoice ${inv.id} is ${inv.status}, cannot become ${to}`);
  if (inv.voidedAt && to === 'SETTLED') throw new Error(`invoice ${inv.id} was voided: it never settles`);
  const at = ctx.now();
  inv.status = to;
  inv.updated = at;
  if (to === 'SETTLED') inv.settledAt = at;
  if (to !== 'PAID') return;
  inv.paidAt = at;
  inv.paidAmount = inv.amount;
  inv.feesPaidAmount = ctx.fee(inv.amount, inv.currency);
  inv.feeTax = ctx.feeTax(inv.feesPaidAmount, inv.currency);
  inv.paymentMethod = opts.paymentMethod ?? 'BANK_TRANSFER';
  inv.paymentChannel = opts.paymentChannel ?? 'BCA';
  // Xendit tells the invoice's customer on the channels asked for (docs.xendit.co, Create invoice: customer_notification_preference).
  const email = inv.customer?.email ?? inv.payerEmail;
  if (email && inv.notifyPaid?.includes('email')) ctx.state.notifications.push({ invoiceId: inv.id, event: 'invoice_paid', channel: 'email', to: email, at });
}

/** PAID → SETTLED. No callback: Xendit documents none for it; `sendCallback: true` sends one anyway (a test of the undocumented). */
export async function settle(ctx: Ctx, inv: SimXenditInvoice, opts: Pick<PayOptions, 'callbackUrl' | 'sendCallback'> = {}): Promise<SimCallback | undefined> {
  apply(ctx, inv, 'SETTLED', {});
  return opts.sendCallback === true ? sendCallback(ctx, inv, opts.callbackUrl) : undefined;
}

/** Paid invoices due to settle (settleAfterMs) settle now, with no callback (see settle). */
export function settleDue(ctx: Ctx): void {
  if (ctx.settleAfterMs === undefined) return;
  const due = ctx.now().getTime() - ctx.settleAfterMs;
  for (const inv of ctx.state.invoices.values()) {
    if (inv.status !== 'PAID' || !inv.paidAt || inv.voidedAt || inv.paidAt.getTime() > due) continue;
    apply(ctx, inv, 'SETTLED', {});
  }
}

// Invoices past their expiry date expire when next looked at, with their callback sent in the background.
export function expireIfDue(ctx: Ctx, inv: SimXenditInvoice): void {
  if (inv.status !== 'PENDING' || ctx.now().getTime() < inv.expiryDate.getTime()) return;
  apply(ctx, inv, 'EXPIRED', {});
  void sendCallback(ctx, inv).catch((err) => ctx.log?.warn({ err }, 'xendit sim: callback failed'));
}

export async function sendCallback(ctx: Ctx, inv: SimXenditInvoice, override?: string): Promise<SimCallback | undefined> {
  const account = accountOf(ctx, inv);
  const url = inv.status === 'EXPIRED' && account.expiredCallbacks === false ? override : (override ?? account.callbackUrl);
  if (!url) {
    ctx.log?.debug({ invoiceId: inv.id }, 'xendit sim: no callback URL, callback skipped');
    return undefined;
  }
  // Queued for redelivery when refused (deliveries.ts).
  return deliver(ctx, { kind: 'invoice', subject: inv.id, status: inv.status, url, token: account.callbackToken, body: callbackJson(inv, account) });
}
