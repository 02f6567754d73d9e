/**
 * The HTML overview ("the simulated Xero") and the page of one invoice the admin links to.
 */
import { refundPaymentsOf } from './refund-payments.js';
import { creditNotesOf } from './credit-notes.js';
import { bankTransfersOf } from './bank-transfers.js';
import { escapeHtml, renderPage } from '../html.js';
import { balanceOf } from './accounts.js';
import { formatScaled } from './decimals.js';
import { amountDue, hasAllocations } from './invoices.js';
import { type SimInvoice, type SimOrganisation, type XeroSimState } from './state.js';

export function renderOverview(state: XeroSimState, cssHref: string): string {
  const orgs = [...state.orgs.values()];
  // Each invoice number opens the invoice's page (Void this invoice, …), as Xero's invoice list does.
  const base = cssHref.replace(/sim\.css$/, '');
  const sections = orgs.length ? orgs.map((o) => renderOrg(o, base)).join('\n') : '<p class="muted">No organisations yet.</p>';
  return renderPage(
    'Simulated Xero',
    cssHref,
    `<main>
<h1>Simulated Xero</h1>
<p class="banner">This is a simulator. Nothing here is real accounting data.</p>
${sections}
</main>`,
  );
}

export function renderInvoicePage(o: SimOrganisation, i: SimInvoice, cssHref: string): string {
  const payments = [...o.payments.values()].filter((p) => p.invoiceId === i.invoiceId);
  const lines = i.lineItems
    .map(
      (li) =>
        `<tr><td>${escapeHtml(li.description)}</td><td class="num">${escapeHtml(formatScaled(li.quantity, 4))}</td><td class="num">${escapeHtml(formatScaled(li.unitAmount, 4))}</td><td>${escapeHtml(li.taxType)}</td><td class="num">${escapeHtml(formatScaled(li.taxAmount, 2))}</td></tr>`,
    )
    .join('\n');
  const paid = payments
    .map(
      (p) =>
        `<tr><td>${escapeHtml(p.date)}</td><td class="num">${escapeHtml(formatScaled(p.amount, 2))}</td><td>${escapeHtml(p.reference)}</td><td>${escapeHtml(p.status)}</td></tr>`,
    )
    .join('\n');
  return renderPage(
    `Invoice ${i.invoiceNumber}`,
    cssHref,
    `<main>
<p class="banner">This is a simulator. Nothing here is real accounting data.</p>
<h1 id="invoice-number">Invoice ${escapeHtml(i.invoiceNumber)}</h1>
<p>${escapeHtml(o.name)} · <span class="status status-${escapeHtml(i.status)}" id="invoice-status">${escapeHtml(i.status)}</span></p>
<dl><dt>To</dt><dd id="invoice-contact">${escapeHtml(i.contact.name)}</dd><dt>Reference</dt><dd>${escapeHtml(i.reference)}</dd><dt>Total</dt><dd>${escapeHtml(formatScaled(i.total, 2))} ${escapeHtml(i.currencyCode)}</dd>${i.totalTax ? `<dt>Tax included</dt><dd id="invoice-tax">${escapeHtml(formatScaled(i.totalTax, 2))} ${escapeHtml(i.currencyCode)}</dd>` : ''}<dt>Amount due</dt><dd>${escapeHtml(formatScaled(amountDue(i), 2))} ${escapeHtml(i.currencyCode)}</dd></dl>
<h2>Lines</h2><table><thead><tr><th>Description</th><th>Qty</th><th>Unit</th><th>Tax rate</th><th>Tax</th></tr></thead><tbody>${lines}</tbody></table>
<h2>Payments</h2><table id="invoice-payments"><thead><tr><th>Date</th><th>Amount</th><th>Reference</th><th>Status</th></tr></thead><tbody>${paid}</tbody></table>
${i.status === 'AUTHORISED' && !hasAllocations(i) ? `<form method="post" action="${escapeHtml(cssHref.replace(/sim\.css$/, 'AccountsReceivable/Void'))}"><input type="hidden" name="InvoiceID" value="${escapeHtml(i.invoiceId)}"><button type="submit" id="void-invoice">Void this invoice</button></form>` : ''}
<p><a href="${escapeHtml(cssHref.replace(/sim\.css$/, ''))}">All of the simulated Xero</a></p>
</main>`,
  );
}

export function renderOrg(o: SimOrganisation, base?: string): string {
  const invoices = [...o.invoices.values()];
  const invoiceRows = invoices
    .map(
      (i) =>
        `<tr><td>${base === undefined ? escapeHtml(i.invoiceNumber) : `<a href="${escapeHtml(`${base}AccountsReceivable/View.aspx?InvoiceID=${encodeURIComponent(i.invoiceId)}`)}">${escapeHtml(i.invoiceNumber)}</a>`}</td><td>${escapeHtml(i.type)}</td><td>${escapeHtml(i.contact.name)}</td><td>${escapeHtml(i.reference)}</td><td>${escapeHtml(i.currencyCode)}</td>` +
        `<td class="num">${escapeHtml(formatScaled(i.total, 2))}</td><td class="num">${escapeHtml(formatScaled(amountDue(i), 2))}</td>` +
        `<td><span class="status status-${escapeHtml(i.status)}">${escapeHtml(i.status)}</span></td></tr>`,
    )
    .join('\n');
  const paymentRows = [...o.payments.values()]
    .map((p) => {
      const inv = o.invoices.get(p.invoiceId);
      const account = o.accounts.find((a) => a.accountId === p.accountId);
      return (
        `<tr><td>${escapeHtml(p.date)}</td><td>${escapeHtml(inv?.invoiceNumber)}</td><td class="num">${escapeHtml(formatScaled(p.amount, 2))} ${escapeHtml(inv?.currencyCode)}</td>` +
        `<td>${escapeHtml(p.reference)}</td><td>${escapeHtml(account ? `${account.code} ${account.name}` : p.accountId)}</td><td>${escapeHtml(statusOf(p))}</td></tr>`
      );
    })
    .join('\n');
  const journalRows = [...o.manualJournals.values()]
    .map((j) => {
      const lines = j.lines.map((l) => `${l.accountCode} ${formatScaled(l.lineAmount, 2)}`).join(', ');
      return `<tr><td>${escapeHtml(j.date)}</td><td>${escapeHtml(j.narration)}</td><td>${escapeHtml(lines)}</td><td>${escapeHtml(j.status)}</td></tr>`;
    })
    .join('\n');
  const accountRows = o.accounts
    .filter((a) => a.type === 'BANK' || a.enablePaymentsToAccount)
    .map(
      (a) =>
        `<tr><td>${escapeHtml(a.code)}</td><td>${escapeHtml(a.name)}</td><td>${escapeHtml(a.currencyCode ?? o.baseCurrency)}</td>` +
        `<td class="num" data-balance="${escapeHtml(a.code)}">${escapeHtml(formatScaled(balanceOf(o, a.accountId), 2))}</td></tr>`,
    )
    .join('\n');
  const txnRows = [...o.bankTransactions.values()]
    .map((t) => {
      const bank = o.accounts.find((a) => a.accountId === t.accountId);
      const lines = t.lineItems.map((li) => li.accountCode).join(', ');
      return (
        `<tr><td>${escapeHtml(t.date)}</td><td>${escapeHtml(t.type === 'SPEND' ? 'Spend money' : t.type === 'RECEIVE' ? 'Receive money' : t.type === 'RECEIVE-PREPAYMENT' ? 'Prepayment' : 'Overpayment')}</td><td>${escapeHtml(t.contact.name)}</td>` +
        `<td class="num">${escapeHtml(formatScaled(t.total, 2))} ${escapeHtml(t.currencyCode)}</td><td>${escapeHtml(t.reference)}</td>` +
        `<td>${escapeHtml(bank ? `${bank.code} ${bank.name}` : t.accountId)} → ${escapeHtml(lines)}</td><td>${escapeHtml(statusOf(t))}</td></tr>`
      );
    })
    .join('\n');
  const refunds = refundPaymentsOf(o).filter((p) => p.paymentType === 'ARCREDITPAYMENT');
  const creditRows = [...creditNotesOf(o).values()]
    .map((n) => {
      const paidOut = refunds.filter((p) => p.documentId === n.creditNoteId);
      const out = paidOut
        .map((p) => {
          const account = o.accounts.find((a) => a.accountId === p.accountId);
          return `${formatScaled(p.amount, 2)} refunded from ${account ? `${account.code} ${account.name}` : p.accountId}${p.reconciled ? ' (reconciled)' : ''}`;
        })
        .join('; ');
      return (
        `<tr><td>${escapeHtml(n.date)}</td><td>${escapeHtml(n.contact.name)}</td><td class="num">${escapeHtml(formatScaled(n.total, 2))} ${escapeHtml(n.currencyCode)}</td>` +
        `<td>${escapeHtml(n.reference)}</td><td>${escapeHtml(out || '–')}</td><td>${escapeHtml(n.status)}</td></tr>`
      );
    })
    .join('\n');
  const name = (id: string) => {
    const a = o.accounts.find((x) => x.accountId === id);
    return a ? `${a.code} ${a.name}` : id;
  };
  const transferRows = bankTransfersOf(o)
    .map(
      (t) =>
        `<tr><td>${escapeHtml(t.date)}</td><td>${escapeHtml(name(t.fromAccountId))}</td><td>${escapeHtml(name(t.toAccountId))}</td>` +
        `<td class="num">${escapeHtml(formatScaled(t.amount, 2))} ${escapeHtml(t.currencyCode)}</td><td>${escapeHtml(t.reference)}</td>` +
        `<td>${t.fromIsReconciled ? 'yes' : 'no'} / ${t.toIsReconciled ? 'yes' : 'no'}</td></tr>`,
    )
    .join('\n');
  return `<section class="card">
<h2>${escapeHtml(o.name)}</h2>
<p class="muted">Short code ${escapeHtml(o.shortCode)} · base currency ${escapeHtml(o.baseCurrency)} · tenant ${escapeHtml(o.tenantId)}</p>
<h2>Invoices</h2>
<div class="scroll"><table>
<thead><tr><th>Number</th><th>Type</th><th>Contact</th><th>Reference</th><th>Currency</th><th class="num">Total</th><th class="num">Amount due</th><th>Status</th></tr></thead>
<tbody>${invoiceRows || '<tr><td colspan="8" class="muted">No invoices.</td></tr>'}</tbody>
</table></div>
<h2>Payments</h2>
<div class="scroll"><table>
<thead><tr><th>Date</th><th>Invoice</th><th class="num">Amount</th><th>Reference</th><th>Account</th><th>Status</th></tr></thead>
<tbody>${paymentRows || '<tr><td colspan="6" class="muted">No payments.</td></tr>'}</tbody>
</table></div>
<h2>Bank transactions</h2>
<div class="scroll"><table>
<thead><tr><th>Date</th><th>Type</th><th>Contact</th><th class="num">Amount</th><th>Reference</th><th>Accounts</th><th>Status</th></tr></thead>
<tbody>${txnRows || '<tr><td colspan="7" class="muted">No bank transactions.</td></tr>'}</tbody>
</table></div>
<h2>Credit notes</h2>
<div class="scroll"><table id="credit-notes">
<thead><tr><th>Date</th><th>Contact</th><th class="num">Total</th><th>Reference</th><th>Paid out</th><th>Status</th></tr></thead>
<tbody>${creditRows || '<tr><td colspan="6" class="muted">No credit notes.</td></tr>'}</tbody>
</table></div>
<h2>Bank transfers</h2>
<div class="scroll"><table id="bank-transfers">
<thead><tr><th>Date</th><th>From</th><th>To</th><th class="num">Amount</th><th>Reference</th><th>Reconciled (from / to)</th></tr></thead>
<tbody>${transferRows || '<tr><td colspan="6" class="muted">No bank transfers.</td></tr>'}</tbody>
</table></div>
<h2>Manual journals</h2>
<div class="scroll"><table>
<thead><tr><th>Date</th><th>Narration</th><th>Lines (code amount; + debit, − credit)</th><th>Status</th></tr></thead>
<tbody>${journalRows || '<tr><td colspan="4" class="muted">No manual journals.</td></tr>'}</tbody>
</table></div>
<h2>Bank accounts</h2>
<div class="scroll"><table>
<thead><tr><th>Code</th><th>Name</th><th>Currency</th><th class="num">Balance</th></tr></thead>
<tbody>${accountRows}</tbody>
</table></div>
</section>`;
}

/** A line created reconciled says so: it will never wait in the bank account's reconcile tab. */
function statusOf(line: { status: string; reconciled?: boolean }): string {
  return line.reconciled ? `${line.status} · reconciled` : line.status;
}
