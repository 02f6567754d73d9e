/**
 * The simulated Xendit dashboard's "create invoice" form: an invoice made outside the gateway
 * (as a merchant does from Xendit's dashboard or a payment link), so the demo can show the
 * backend flow recording such a payment in Xero.
 */
import express, { type Router } from 'express';
import { AmountError, SUPPORTED_CURRENCIES, isSupportedCurrency, toDecimal, toMinor } from '../../money.js';
import { escapeHtml, renderPage, sendPage } from '../html.js';
import { onThisHost } from '../same-host.js';
import type { XenditSimulator } from './simulator.js';
import { voidable } from './refunds.js';

type DashboardSim = Pick<
  XenditSimulator,
  'state' | 'createInvoice' | 'refund' | 'dispute' | 'resolveDispute' | 'withdraw' | 'test' | 'billingReport' | 'billedMonths' | 'disputeReport'
>;

export function dashboardRoutes(router: Router, sim: DashboardSim): void {
  router.get('/dashboard', (req, res) => sendPage(res, 200, dashboardPage(sim, req.baseUrl)));
  router.get('/dashboard/callbacks', (req, res) => sendPage(res, 200, callbacksPage(sim, req.baseUrl)));
  // Settings → Billing Statements → Download Billing Report (docs.xendit.co "Billing report").
  router.get('/dashboard/billing-report', (req, res) => {
    const account = [...sim.state.accounts.values()].find((a) => a.userId === req.query.account);
    const month = typeof req.query.month === 'string' && /^\d{4}-(0[1-9]|1[0-2])$/.test(req.query.month) ? req.query.month : undefined;
    if (!account || !month) return void res.status(404).type('text').send('no such billing statement');
    res.type('text/csv').attachment(`billing-report-${month}.csv`).send(sim.billingReport(account.userId, month));
  });
  // Disputes → Export (docs.xendit.co "Dispute Report"): an account's disputes, each with its status now.
  router.get('/dashboard/dispute-report', (req, res) => {
    const account = [...sim.state.accounts.values()].find((a) => a.userId === req.query.account);
    if (!account) return void res.status(404).type('text').send('no such account');
    res.type('text/csv').attachment('dispute-report.csv').send(sim.disputeReport(account.userId));
  });
  // Settings → Callbacks → "Invoices paid": where this account's checkout sends its callbacks.
  router.post('/dashboard/callbacks', express.urlencoded({ extended: false, limit: '16kb' }), (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const userId = typeof body.account === 'string' ? body.account : '';
    const url = typeof body.invoice_paid_url === 'string' ? body.invoice_paid_url.trim() : '';
    const account = [...sim.state.accounts.values()].find((a) => a.userId === userId);
    const problems: string[] = [];
    if (!account) problems.push('choose an account');
    if (!isHttpUrl(url)) problems.push('the callback URL must be an http(s) URL');
    // The callback carries the account's verification token: the simulator sends it to no other host.
    else if (!onThisHost(url, req)) problems.push('the callback URL must be on this host (the simulator sends callbacks nowhere else)');
    if (problems.length || !account) return sendPage(res, 400, callbacksPage(sim, req.baseUrl, problems));
    account.callbackUrl = url;
    res.redirect(303, `${req.baseUrl}/dashboard/callbacks?saved=${encodeURIComponent(account.userId)}`);
  });
  // Transactions → a paid invoice → Refund (full, or the amount typed; or Void, before it settles):
  // Xendit sends refund.succeeded to the account's refund webhook URL. Refused as the API refuses
  // (refunds.ts): only where a source says the channel is not refunded (docs.xendit.co e-wallet
  // "Void and Refund": Refund on a successfully paid e-wallet transaction); Void on e-wallet and QR
  // payments only, where it is documented.
  router.post('/dashboard/refunds', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const inv = typeof body.invoice_id === 'string' ? sim.state.invoices.get(body.invoice_id) : undefined;
    const typed = typeof body.amount === 'string' ? body.amount.trim() : '';
    const problems: string[] = [];
    let amount: number | undefined;
    if (!inv) problems.push('choose a paid invoice');
    else if (typed) {
      try {
        amount = toMinor(typed, inv.currency);
      } catch (err) {
        if (!(err instanceof AmountError)) throw err;
        problems.push(`amount is not a valid ${inv.currency} amount`);
      }
    }
    if (!problems.length && inv) {
      try {
        await sim.refund(inv.id, {
          amount,
          reason: 'REQUESTED_BY_CUSTOMER',
          feeReturned: body.fee_returned === 'on',
          void: body.void === 'on',
          checkBalance: true,
        });
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
    }
    if (problems.length) return sendPage(res, 400, dashboardPage(sim, req.baseUrl, problems));
    res.redirect(303, `${req.baseUrl}/dashboard?refunded=${encodeURIComponent(inv!.id)}`);
  });
  // Balance → Withdraw (docs.xendit.co/withdrawal): the amount typed, or the whole balance, to the
  // bank account registered at Xendit. It appears in GET /transactions as a WITHDRAWAL.
  router.post('/dashboard/withdrawals', express.urlencoded({ extended: false, limit: '16kb' }), (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const text = (k: string) => (typeof body[k] === 'string' ? (body[k] as string).trim() : '');
    const currency = text('currency');
    const problems: string[] = [];
    let amount: number | undefined;
    if (!isSupportedCurrency(currency)) problems.push(`currency must be one of ${SUPPORTED_CURRENCIES.join(', ')}`);
    else if (text('amount')) {
      try {
        amount = toMinor(text('amount'), currency);
      } catch (err) {
        if (!(err instanceof AmountError)) throw err;
        problems.push(`amount is not a valid ${currency} amount`);
      }
    }
    if (!problems.length && isSupportedCurrency(currency)) {
      const made = sim.withdraw(text('account'), currency, amount);
      if ('error' in made) problems.push(made.error);
    }
    if (problems.length) return sendPage(res, 400, dashboardPage(sim, req.baseUrl, problems));
    res.redirect(303, `${req.baseUrl}/dashboard?withdrawn=1`);
  });
  // Not a dashboard action at Xendit: the receiving bank returns a withdrawal (a closed or dormant
  // account) and Xendit puts the money back in the balance, listing the withdrawal as REVERSED.
  router.post('/dashboard/withdrawals/:id/reverse', (req, res) => {
    const w = (sim.state.withdrawals ?? []).find((x) => x.id === req.params.id);
    const account = w && [...sim.state.accounts.values()].find((a) => a.userId === w.userId);
    if (!w || !account) return sendPage(res, 400, dashboardPage(sim, req.baseUrl, ['no such withdrawal']));
    sim.test.reverseWithdrawal(account.secretKey, w.id);
    res.redirect(303, `${req.baseUrl}/dashboard?reversed=1`);
  });
  // Not a dashboard action at Xendit: the payer's bank raises a dispute. The demo plays the bank: a
  // dispute of the whole payment is raised and lost at once (two webhooks, as Xendit sends them).
  router.post('/dashboard/chargebacks', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const inv = typeof body.invoice_id === 'string' ? sim.state.invoices.get(body.invoice_id) : undefined;
    if (!inv) return sendPage(res, 400, dashboardPage(sim, req.baseUrl, ['choose a paid invoice']));
    try {
      const { id } = await sim.dispute(inv.id);
      await sim.resolveDispute(id, 'LOST');
    } catch (err) {
      return sendPage(res, 400, dashboardPage(sim, req.baseUrl, [err instanceof Error ? err.message : String(err)]));
    }
    res.redirect(303, `${req.baseUrl}/dashboard?charged_back=${encodeURIComponent(inv.id)}`);
  });
  router.post('/dashboard/invoices', express.urlencoded({ extended: false, limit: '16kb' }), (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const text = (k: string) => (typeof body[k] === 'string' ? (body[k] as string).trim() : '');
    const currency = text('currency');
    const problems: string[] = [];
    if (!isSupportedCurrency(currency)) problems.push(`currency must be one of ${SUPPORTED_CURRENCIES.join(', ')}`);
    let amount = 0;
    if (isSupportedCurrency(currency)) {
      try {
        amount = toMinor(text('amount'), currency);
        if (amount <= 0) problems.push('amount must be greater than 0');
      } catch (err) {
        if (!(err instanceof AmountError)) throw err;
        problems.push(`amount is not a valid ${currency} amount`);
      }
    }
    const account = text('account');
    if (!sim.state.accounts.size || ![...sim.state.accounts.values()].some((a) => a.userId === account)) problems.push('choose an account');
    const email = text('payer_email');
    if (email && !/^[^\s@]+@[^\s@]+$/.test(email)) problems.push('payer e-mail is not an e-mail address');
    if (problems.length || !isSupportedCurrency(currency)) return sendPage(res, 400, dashboardPage(sim, req.baseUrl, problems));
    const inv = sim.createInvoice({
      account,
      currency,
      amount,
      description: text('description') || undefined,
      payerEmail: email || undefined,
      customerName: text('customer_name') || undefined,
    });
    res.redirect(303, `${req.baseUrl}/checkout/${encodeURIComponent(inv.id)}`);
  });
}

function dashboardPage(sim: Pick<XenditSimulator, 'state' | 'test' | 'billedMonths' | 'disputeReport'>, base: string, problems: string[] = []): string {
  const accounts = [...sim.state.accounts.values()];
  const options = accounts.map((a) => `<option value="${escapeHtml(a.userId)}">${escapeHtml(a.businessName)}</option>`).join('');
  const currencies = SUPPORTED_CURRENCIES.map((c) => `<option>${escapeHtml(c)}</option>`).join('');
  const recent = [...sim.state.invoices.values()]
    .sort((a, b) => b.created.getTime() - a.created.getTime())
    .slice(0, 20)
    .map(
      (i) =>
        `<tr><td><a href="${escapeHtml(`${base}/checkout/${encodeURIComponent(i.id)}`)}">${escapeHtml(i.externalId)}</a></td><td>${escapeHtml(i.description ?? '')}</td>` +
        `<td class="num">${escapeHtml(i.currency)} ${escapeHtml(toDecimal(i.amount, i.currency))}</td><td><span class="status status-${escapeHtml(i.status)}">${escapeHtml(i.status)}</span>${i.paymentChannel ? ` <span class="muted">${escapeHtml(i.paymentChannel)}</span>` : ''}</td>` +
        `<td>${i.status === 'PAID' || i.status === 'SETTLED' ? refundForm(base, i.id, voidable(i)) : ''}</td></tr>`,
    )
    .join('\n');
  return renderPage(
    'Xendit dashboard (simulated)',
    `${base}/checkout.css`,
    `<main>
<section class="card checkout">
<p class="banner">Simulated Xendit dashboard. No money moves.</p>
<p><a href="${escapeHtml(`${base}/dashboard/callbacks`)}">Settings → Callbacks</a></p>
<h1>Create invoice</h1>
<p class="muted">An invoice made here is not created by the gateway. With the backend flow on, paying it records a contact, an invoice, the payment and the fee in Xero.</p>
${problems.length ? `<ul class="problems">${problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>` : ''}
<form method="post" action="${escapeHtml(`${base}/dashboard/invoices`)}" class="stack">
<label for="account">Account</label><select id="account" name="account">${options}</select>
<label for="currency">Currency</label><select id="currency" name="currency">${currencies}</select>
<label for="amount">Amount</label><input id="amount" name="amount" inputmode="decimal" required value="250000">
<label for="description">Description</label><input id="description" name="description" value="Catering order">
<label for="customer_name">Customer name</label><input id="customer_name" name="customer_name" value="Sari Wulandari">
<label for="payer_email">Payer e-mail</label><input id="payer_email" name="payer_email" type="email" value="sari@example.co.id">
<button type="submit">Create invoice and open its payment page</button>
</form>
</section>
${balanceSection(sim, base)}
${withdrawalsSection(sim, base)}
${billingSection(sim, base)}
${disputesSection(sim, base)}
<section class="card">
<h2>Recent invoices</h2>
<table><thead><tr><th>External id</th><th>Description</th><th class="num">Amount</th><th>Status</th><th>Refund</th></tr></thead>
<tbody>
${recent}
</tbody></table>
</section>
</main>`,
  );
}

/**
 * Each account's CASH balance per currency it has money in, what is paid and not settled yet, and
 * Balance → Withdraw (empty amount: all of it; only settled money can go).
 */
function balanceSection(sim: Pick<XenditSimulator, 'state' | 'test'>, base: string): string {
  const rows = [...sim.state.accounts.values()].flatMap((a) =>
    SUPPORTED_CURRENCIES.map((c) => ({ a, c, balance: sim.test.balance(a.secretKey, c), pending: sim.test.pendingSettlement(a.secretKey, c) }))
      .filter((r) => r.balance !== 0 || r.pending !== 0)
      .map(
        ({ a, c, balance, pending }) =>
          `<tr><td>${escapeHtml(a.businessName)}</td><td class="num balance">${escapeHtml(c)} ${escapeHtml(toDecimal(balance, c))}</td>` +
          `<td class="num pending">${escapeHtml(c)} ${escapeHtml(toDecimal(pending, c))}</td><td>` +
          `<form method="post" action="${escapeHtml(`${base}/dashboard/withdrawals`)}" class="withdraw">` +
          `<input type="hidden" name="account" value="${escapeHtml(a.userId)}"><input type="hidden" name="currency" value="${escapeHtml(c)}">` +
          `<label>Amount <input name="amount" inputmode="decimal" size="9" placeholder="all"></label> <button type="submit">Withdraw</button></form></td></tr>`,
      ),
  );
  return `<section class="card">
<h2>Balance</h2>
<p class="muted">Withdraw sends the money to the bank account registered at Xendit (as a manual or scheduled withdrawal does). A paid invoice is in the balance once Xendit settles it.</p>
<table><thead><tr><th>Account</th><th class="num">Balance</th><th class="num">Pending settlement</th><th>Withdraw</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
</section>`;
}

/** The latest withdrawals, each one sent yet to be returned by its bank. */
function withdrawalsSection(sim: Pick<XenditSimulator, 'state'>, base: string): string {
  const rows = [...(sim.state.withdrawals ?? [])]
    .reverse()
    .slice(0, 10)
    .map(
      (w) =>
        `<tr data-withdrawal="${escapeHtml(w.id)}"><td>${escapeHtml(w.id)}</td><td class="num">${escapeHtml(w.currency)} ${escapeHtml(toDecimal(w.amount, w.currency))}</td>` +
        `<td><span class="status">${w.reversedAt ? 'REVERSED' : 'SUCCESS'}</span></td><td>` +
        (w.reversedAt
          ? ''
          : `<form method="post" action="${escapeHtml(`${base}/dashboard/withdrawals/${encodeURIComponent(w.id)}/reverse`)}"><button type="submit">Bank sends it back</button></form>`) +
        `</td></tr>`,
    );
  if (!rows.length) return '';
  return `<section class="card">
<h2>Withdrawals</h2>
<p class="muted">Bank sends it back plays the receiving bank returning the money (a closed or dormant account): the withdrawal is listed as REVERSED and its amount is back in the balance.</p>
<table><thead><tr><th>Transaction</th><th class="num">Amount</th><th>Status</th><th></th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
</section>`;
}

/** Accounts whose fees are billed monthly: their billing statements, each month's report to download. */
function billingSection(sim: Pick<DashboardSim, 'state' | 'billedMonths'>, base: string): string {
  const items = [...sim.state.accounts.values()]
    .filter((a) => a.feeBilling === 'invoiced')
    .flatMap((a) =>
      sim
        .billedMonths(a.userId)
        .map(
          (m) =>
            `<li>${escapeHtml(a.businessName)} ${escapeHtml(m)}: <a class="billing-report" href="${escapeHtml(`${base}/dashboard/billing-report?account=${encodeURIComponent(a.userId)}&month=${m}`)}">Download Billing Report</a></li>`,
        ),
    );
  if (!items.length) return '';
  return `<section class="card">
<h2>Billing statements</h2>
<p class="muted">Fees of accounts billed monthly: one statement per month, with the report of every fee in it.</p>
<ul>${items.join('')}</ul>
</section>`;
}

/** Accounts with disputes: the Disputes page's export of each. */
function disputesSection(sim: Pick<DashboardSim, 'state' | 'disputeReport'>, base: string): string {
  const items = [...sim.state.accounts.values()]
    .filter((a) => sim.disputeReport(a.userId).split('\r\n').length > 2)
    .map(
      (a) =>
        `<li>${escapeHtml(a.businessName)}: <a class="dispute-report" href="${escapeHtml(`${base}/dashboard/dispute-report?account=${encodeURIComponent(a.userId)}`)}">Export dispute report</a></li>`,
    );
  if (!items.length) return '';
  return `<section class="card">
<h2>Disputes</h2>
<p class="muted">Every dispute of the account with its status now (CSV).</p>
<ul>${items.join('')}</ul>
</section>`;
}

/** Empty amount: the whole rest of what was paid. Void only where Xendit documents it (refunds.ts `voidable`). */
function refundForm(base: string, invoiceId: string, canVoid: boolean): string {
  return (
    `<form method="post" action="${escapeHtml(`${base}/dashboard/refunds`)}" class="refund">` +
    `<input type="hidden" name="invoice_id" value="${escapeHtml(invoiceId)}">` +
    `<label>Amount <input name="amount" inputmode="decimal" size="9" placeholder="all"></label> ` +
    `<label title="Some channels give the payment's fee back on a refund"><input type="checkbox" name="fee_returned"> fee given back</label> ` +
    (canVoid
      ? `<label title="The whole payment cancelled before it settles (e-wallet void, QR refund within 24 hours): fee and VAT given back"><input type="checkbox" name="void"> void</label> `
      : '') +
    `<button type="submit">Refund</button></form>` +
    `<form method="post" action="${escapeHtml(`${base}/dashboard/chargebacks`)}" class="chargeback">` +
    `<input type="hidden" name="invoice_id" value="${escapeHtml(invoiceId)}">` +
    `<button type="submit" title="The payer's bank disputes the payment and wins">Simulate a lost chargeback</button></form>`
  );
}

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

function callbacksPage(sim: Pick<XenditSimulator, 'state'>, base: string, problems: string[] = []): string {
  const forms = [...sim.state.accounts.values()]
    .map(
      (a) => `<section class="card" data-account="${escapeHtml(a.businessName)}">
<h2>${escapeHtml(a.businessName)}</h2>
<p>Callback verification token: <code class="token">${escapeHtml(a.callbackToken)}</code></p>
<form method="post" action="${escapeHtml(`${base}/dashboard/callbacks`)}" class="stack">
<input type="hidden" name="account" value="${escapeHtml(a.userId)}">
<label for="paid-${escapeHtml(a.userId)}">Invoices paid</label>
<input id="paid-${escapeHtml(a.userId)}" name="invoice_paid_url" type="url" value="${escapeHtml(a.callbackUrl ?? '')}">
<button type="submit">Save</button>
</form>
</section>`,
    )
    .join('\n');
  return renderPage(
    'Xendit callbacks (simulated)',
    `${base}/checkout.css`,
    `<main>
<section class="card checkout">
<p class="banner">Simulated Xendit dashboard. No money moves.</p>
<h1>Settings → Callbacks</h1>
<p class="muted">Where Xendit sends the callback when an invoice is paid or expires, with the account's verification token in the x-callback-token header.</p>
${problems.length ? `<ul class="problems">${problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>` : ''}
</section>
${forms}
</main>`,
  );
}
