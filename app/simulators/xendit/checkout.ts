/**
 * The hosted checkout page that pays or expires an invoice.
 */
import type { Request, Response } from 'express';
import { toDecimal } from '../../money.js';
import { escapeHtml, renderPage, sendPage } from '../html.js';
import { onThisHost } from '../same-host.js';
import { accountOf } from './accounts.js';
import { expireIfDue, transition } from './callbacks.js';
import type { PayOptions } from './simulator.js';
import { type Ctx, type SimXenditInvoice } from './state.js';

/**
 * The ways the simulated checkout pays: one of each kind whose refunds differ (a virtual account
 * is never refunded, ShopeePay partly, OVO not at all, QRIS only whole, a card partly; see
 * refund-channels.ts), as Xendit's checkout lists the invoice's channels for the
 * payer to choose (docs.xendit.co Invoices, `payment_methods`).
 */
const CHOICES: readonly { method: string; channel: string; label: string; currencies?: readonly string[] }[] = [
  { method: 'BANK_TRANSFER', channel: 'BCA', label: 'BCA virtual account', currencies: ['IDR'] },
  { method: 'EWALLET', channel: 'SHOPEEPAY', label: 'ShopeePay', currencies: ['IDR', 'PHP'] },
  { method: 'EWALLET', channel: 'OVO', label: 'OVO', currencies: ['IDR'] },
  { method: 'QR_CODE', channel: 'QRIS', label: 'QRIS', currencies: ['IDR'] },
  { method: 'CREDIT_CARD', channel: 'CREDIT_CARD', label: 'Card' },
];

/** The choices this invoice offers (its currency, and its payment_methods when it names some). */
function choicesFor(inv: SimXenditInvoice) {
  return CHOICES.filter(
    (c) => (!c.currencies || c.currencies.includes(inv.currency)) && (!inv.paymentMethods?.length || inv.paymentMethods.includes(c.channel)),
  );
}

/** How the payer chose to pay (the form's `channel`); none chosen or none offered: the simulator's default. */
function paidBy(inv: SimXenditInvoice, body: unknown): PayOptions | undefined {
  const channel = (body as { channel?: unknown } | undefined)?.channel;
  const chosen = choicesFor(inv).find((c) => c.channel === channel);
  return chosen ? { paymentMethod: chosen.method, paymentChannel: chosen.channel } : undefined;
}

export function showCheckout(ctx: Ctx, req: Request, res: Response): void {
  const inv = ctx.state.invoices.get(String(req.params.id));
  const css = `${req.baseUrl}/checkout.css`;
  if (!inv) return sendPage(res, 404, messagePage(css, 'Invoice not found', 'This payment link is not valid.'));
  expireIfDue(ctx, inv);
  sendPage(res, 200, checkoutPage(ctx, inv, req.baseUrl));
}

export async function checkoutAction(ctx: Ctx, req: Request, res: Response, to: 'PAID' | 'EXPIRED'): Promise<void> {
  const inv = ctx.state.invoices.get(String(req.params.id));
  const css = `${req.baseUrl}/checkout.css`;
  if (!inv) return sendPage(res, 404, messagePage(css, 'Invoice not found', 'This payment link is not valid.'));
  expireIfDue(ctx, inv);
  if (inv.status !== 'PENDING') {
    const why = inv.status === 'EXPIRED' ? 'This invoice has expired and can no longer be paid.' : 'This invoice has already been paid.';
    return sendPage(res, 409, messagePage(css, 'Nothing to do', why));
  }
  await transition(ctx, inv, to, to === 'PAID' ? paidBy(inv, req.body) : {});
  const target = to === 'PAID' ? inv.successRedirectUrl : inv.failureRedirectUrl;
  // Whoever holds a demo key chooses these URLs: the simulator is no open redirect to other hosts.
  if (target && !onThisHost(target, req)) {
    return sendPage(
      res,
      200,
      messagePage(
        css,
        to === 'PAID' ? 'Paid (simulated)' : 'Expired (simulated)',
        'The simulator only sends you back to this host; the redirect URL of this invoice points elsewhere.',
      ),
    );
  }
  res.redirect(303, target ?? `${req.baseUrl}/checkout/${encodeURIComponent(inv.id)}`);
}

export function checkoutPage(ctx: Ctx, inv: SimXenditInvoice, base: string): string {
  const account = accountOf(ctx, inv);
  const action = (what: string) => `${base}/checkout/${encodeURIComponent(inv.id)}/${what}`;
  const choices = choicesFor(inv);
  const pay = choices.length
    ? choices
        .map(
          (c) =>
            `<form method="post" action="${escapeHtml(action('pay'))}"><input type="hidden" name="channel" value="${escapeHtml(c.channel)}"><button type="submit">Pay with ${escapeHtml(c.label)}</button></form>`,
        )
        .join('\n')
    : `<form method="post" action="${escapeHtml(action('pay'))}"><button type="submit">Pay</button></form>`;
  const buttons =
    inv.status === 'PENDING'
      ? `${pay}
<form method="post" action="${escapeHtml(action('expire'))}"><button type="submit" class="secondary">Let it expire</button></form>`
      : '';
  return renderPage(
    `Pay ${account.businessName}`,
    `${base}/checkout.css`,
    `<main class="checkout">
<section class="card">
<p class="banner">Simulated Xendit checkout. No money moves.</p>
<p class="muted">Pay to</p>
<h1>${escapeHtml(account.businessName)}</h1>
${inv.description ? `<p>${escapeHtml(inv.description)}</p>` : ''}
<p class="amount">${escapeHtml(inv.currency)} ${escapeHtml(toDecimal(inv.amount, inv.currency))}</p>
<p><span class="status status-${escapeHtml(inv.status)}">${escapeHtml(inv.status)}</span></p>
<p class="muted">Reference ${escapeHtml(inv.externalId)} · expires ${escapeHtml(inv.expiryDate.toISOString())}</p>
${buttons}
</section>
</main>`,
  );
}

export function messagePage(css: string, title: string, text: string): string {
  return renderPage(title, css, `<main class="checkout"><section class="card"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></section></main>`);
}
