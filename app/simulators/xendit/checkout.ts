/**
 * The hosted checkout page that pays or expires an invoice.
 */
import type { Request, Response } from 'express';
import { toDecimal } from '../../money.js';
import { escapeHtml, renderPage, sendPage } from '../html.js';
import { onThisHost } from '../same-host.js';
import { accountOf } from './accounts.js';
import { expireIfDue, transition } from './callbacks.js';
import { type Ctx, type SimXenditInvoice } from './state.js';

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
  await transition(ctx, inv, to);
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
  const buttons =
    inv.status === 'PENDING'
      ? `<form method="post" action="${escapeHtml(action('pay'))}"><button type="submit">Pay</button></form>
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
