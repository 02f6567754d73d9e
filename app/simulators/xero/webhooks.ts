/**
 * Xero's webhooks, as developer.xero.com/documentation/guides/webhooks describes them: one URL and
 * one signing key per app; each delivery is a JSON body {events:[{resourceUrl, resourceId,
 * eventDateUtc, eventType, eventCategory, tenantId, tenantType}], firstEventSequence,
 * lastEventSequence, entropy}, signed in x-xero-signature (base64 HMAC-SHA256 of the body with the
 * key). Before enabling a subscription Xero checks "intent to receive": a correctly signed request
 * must get 200 and wrongly signed ones 401, with empty bodies, within 5 seconds.
 *
 * Here, the invoice changes people make in Xero's UI (voiding, editing lines, a payment entered by
 * hand) send an INVOICE UPDATE event; the real Xero also sends events for changes made through the
 * API (the gateway ignores those: they are about invoices without a live checkout).
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { parseScaled } from './decimals.js';
import { amountDue, computeLines, markPaid } from './invoices.js';
import type { SimInvoice, SimOrganisation, SimPayment, SimWebhooks, XeroSimState } from './state.js';

const sign = (body: string, key: string) => createHmac('sha256', key).update(body).digest('base64');

async function post(url: string, body: string, signature: string): Promise<{ status: number; text: string }> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-xero-signature': signature },
      body,
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, text: await res.text() };
  } catch {
    return { status: 0, text: '' };
  }
}

/** Xero's check before it turns a subscription on: one correctly signed request, then a wrongly signed one. */
export async function intentToReceive(w: SimWebhooks): Promise<{ passed: boolean; statuses: number[] }> {
  if (!w.subscription) throw new Error('no webhook subscription');
  const { url, key } = w.subscription;
  const body = JSON.stringify({ events: [], firstEventSequence: 0, lastEventSequence: 0, entropy: randomBytes(10).toString('hex').toUpperCase() });
  const good = await post(url, body, sign(body, key));
  const bad = await post(url, body, sign(body, `${key}-not-it`));
  return { passed: good.status === 200 && bad.status === 401 && good.text === '' && bad.text === '', statuses: [good.status, bad.status] };
}

let sequence = 1;

/** Sends one INVOICE UPDATE event for `inv` when subscribed; resolves once the receiver answered. */
export async function sendInvoiceEvent(w: SimWebhooks, o: SimOrganisation, inv: SimInvoice, at: Date): Promise<void> {
  if (!w.subscription) return;
  const seq = sequence++;
  const body = JSON.stringify({
    events: [
      {
        resourceUrl: `https://api.xero.com/api.xro/2.0/Invoices/${inv.invoiceId}`,
        resourceId: inv.invoiceId,
        eventDateUtc: at.toISOString().replace('Z', ''),
        eventType: 'UPDATE',
        eventCategory: 'INVOICE',
        tenantId: o.tenantId,
        tenantType: 'ORGANISATION',
      },
    ],
    firstEventSequence: seq,
    lastEventSequence: seq,
    entropy: randomBytes(10).toString('hex').toUpperCase(),
  });
  const { status } = await post(w.subscription.url, body, sign(body, w.subscription.key));
  w.deliveries.push({ url: w.subscription.url, eventCount: 1, status });
}

export function orgOfInvoice(state: XeroSimState, invoiceId: string): { o: SimOrganisation; inv: SimInvoice } {
  for (const o of state.orgs.values()) {
    const inv = o.invoices.get(invoiceId);
    if (inv) return { o, inv };
  }
  throw new Error(`no invoice ${invoiceId}`);
}

/** Xero's UI: Invoice options → Void. Xero refuses while payments are applied (they must be removed first). */
export function voidInvoice(inv: SimInvoice, at: Date): void {
  if (inv.amountPaid > 0n) throw new Error('This invoice has payments applied: remove them before voiding');
  if (inv.status !== 'AUTHORISED' && inv.status !== 'SUBMITTED' && inv.status !== 'DRAFT') throw new Error(`cannot void a ${inv.status} invoice`);
  inv.status = 'VOIDED';
  inv.updatedAt = at;
}

/** Xero's UI: Edit on an approved invoice; the total may not fall below what was paid. */
export function editInvoiceLines(inv: SimInvoice, lines: { description: string; quantity?: string; unitAmount: string }[], at: Date): void {
  if (inv.status !== 'AUTHORISED' && inv.status !== 'DRAFT') throw new Error(`cannot edit a ${inv.status} invoice`);
  const computed = computeLines(
    lines.map((l) => ({ description: l.description, quantity: parseScaled(l.quantity ?? '1', 4)!, unitAmount: parseScaled(l.unitAmount, 4)! })),
  );
  if (computed.total < inv.amountPaid) throw new Error('the new total is less than what was paid');
  Object.assign(inv, computed, { updatedAt: at });
}

/** Xero's UI: a payment entered by hand (cash, a bank transfer the merchant received) into a bank account that is not Xendit's. */
export function payElsewhere(o: SimOrganisation, inv: SimInvoice, amount: string, at: Date): SimPayment {
  const value = parseScaled(amount, 2);
  if (value === undefined || value <= 0n || value > amountDue(inv)) throw new Error(`bad amount ${amount}`);
  const bank = o.accounts.find((a) => a.type === 'BANK' && a.name !== 'Xendit');
  if (!bank) throw new Error('no other bank account');
  const p: SimPayment = {
    paymentId: randomUUID(),
    invoiceId: inv.invoiceId,
    accountId: bank.accountId,
    date: at.toISOString().slice(0, 10),
    amount: value,
    reference: 'Paid by bank transfer',
    status: 'AUTHORISED',
    updatedAt: at,
  };
  o.payments.set(p.paymentId, p);
  inv.amountPaid += value;
  inv.updatedAt = at;
  if (amountDue(inv) === 0n) markPaid(inv, p.date);
  return p;
}
