/**
 * Xero's webhooks, as developer.xero.com/documentation/webhooks describes them: one URL and one
 * signing key per app; each delivery is a JSON body {events:[{resourceUrl, resourceId,
 * eventDateUtc, eventType, eventCategory, tenantId, tenantType}], firstEventSequence,
 * lastEventSequence, entropy}, signed in x-xero-signature (base64 HMAC-SHA256 of the body with the
 * key). Before enabling a subscription Xero checks "intent to receive": a correctly signed request
 * must get 200 and wrongly signed ones 401, with empty bodies, within 5 seconds.
 *
 * Events: INVOICE CREATE for a new invoice and UPDATE for a change (overview: "Invoice | CREATE |
 * UPDATE"), whether a person made it in Xero's UI (voiding, editing lines, a payment entered by
 * hand) or an app through the API (invoices made, payments applied). A delivery carries every
 * change since the last one, numbered by the subscription's sequence. The changes people make here
 * are delivered at once, with what the API changed since; the API's own changes wait for the next
 * delivery (or the test API's deliverDue), so a gateway's call is never answered mid-delivery.
 *
 * A delivery not answered 2xx is retried as it was, "with decreasing frequency for up to 24 hours.
 * After 24 hours the webhook will be disabled and needs to be re-enabled"
 * (developer.xero.com/documentation/webhooks/configuring-your-server). Later changes wait behind
 * it. Xero gives no schedule: RETRY_GAPS_MS is ours. Retries go out on the simulator's clock when a
 * change is delivered or the test API's deliverDue runs, never on a timer.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { parseScaled } from './decimals.js';
import { amountCredited, amountDue, computeLines, hasAllocations, markPaid } from './invoices.js';
import type { SimInvoice, SimOrganisation, SimPayment, SimWebhooks, XeroSimState } from './state.js';

const sign = (body: string, key: string) => createHmac('sha256', key).update(body).digest('base64');

const MINUTE = 60_000;
const RETRY_GAPS_MS = [1, 5, 15, 30, 60, 120, 240, 480].map((m) => m * MINUTE);
const GIVE_UP_MS = 24 * 60 * MINUTE;

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

/** As when the webhook is set up (or re-enabled, or its URL changed) at developer.xero.com: nothing earlier is sent. */
export function subscribe(w: SimWebhooks, url: string, key: string): void {
  Object.assign(w, { subscription: { url, key, status: 'OK' }, pending: [], failing: undefined, lastTaken: undefined });
}

const enabled = (w: SimWebhooks) => !!w.subscription && w.subscription.status !== 'DISABLED';

/** Notes a change to `inv` for the next delivery (none while no enabled subscription would carry it). */
export function queueInvoiceEvent(w: SimWebhooks, o: SimOrganisation, inv: SimInvoice, eventType: 'CREATE' | 'UPDATE', at: Date): void {
  if (!enabled(w)) return;
  (w.pending ??= []).push({
    resourceUrl: `https://api.xero.com/api.xro/2.0/Invoices/${inv.invoiceId}`,
    resourceId: inv.invoiceId,
    eventDateUtc: at.toISOString().replace('Z', ''),
    eventType,
    eventCategory: 'INVOICE',
    tenantId: o.tenantId,
    tenantType: 'ORGANISATION',
  });
}

/** A change made in Xero's UI: its UPDATE event and whatever waits, delivered; resolves once the receiver answered. */
export async function sendInvoiceEvent(w: SimWebhooks, o: SimOrganisation, inv: SimInvoice, at: Date): Promise<void> {
  queueInvoiceEvent(w, o, inv, 'UPDATE', at);
  await deliver(w, at);
}

const stateOf = (inv: SimInvoice) => `${inv.status}|${inv.total}|${inv.amountPaid}|${inv.currencyCode}|${inv.updatedAt.getTime()}`;

/**
 * Runs an API request's handler and notes its changes to the organisation's invoices: CREATE for
 * the ones it made, UPDATE for the ones it changed (a payment applied). The docs do not limit
 * invoice events to sales invoices, so bills made through the API send them too.
 */
export function withApiEvents(w: SimWebhooks, o: SimOrganisation, at: Date, handle: () => void): void {
  if (!enabled(w)) return handle();
  const before = new Map([...o.invoices.values()].map((inv) => [inv.invoiceId, stateOf(inv)]));
  handle();
  for (const inv of o.invoices.values()) {
    const was = before.get(inv.invoiceId);
    if (was === undefined) queueInvoiceEvent(w, o, inv, 'CREATE', at);
    else if (was !== stateOf(inv)) queueInvoiceEvent(w, o, inv, 'UPDATE', at);
  }
}

// One delivery at a time per subscription, so the sequence goes out in order and a retry is not
// overtaken; kept beside the state (which the demo saves as JSON), not in it.
const inFlight = new WeakMap<SimWebhooks, Promise<void>>();

/** A due retry, then what changed since the last delivery, in one POST. */
export function deliver(w: SimWebhooks, at: Date): Promise<void> {
  const next = (inFlight.get(w) ?? Promise.resolve()).then(() => deliverNow(w, at.getTime()));
  inFlight.set(w, next);
  return next;
}

async function attempt(w: SimWebhooks, d: { body: string; signature: string; eventCount: number }, seq: [number, number], n: number, now: number) {
  const { status } = await post(w.subscription!.url, d.body, d.signature);
  w.deliveries.push({
    url: w.subscription!.url,
    eventCount: d.eventCount,
    status,
    firstEventSequence: seq[0],
    lastEventSequence: seq[1],
    attempt: n,
    at: new Date(now).toISOString(),
  });
  const taken = status >= 200 && status < 300;
  if (taken) w.lastTaken = d;
  return taken;
}

async function deliverNow(w: SimWebhooks, now: number): Promise<void> {
  if (!enabled(w)) return;
  const f = w.failing;
  if (f) {
    if (now < f.nextAt) return;
    if (!(await attempt(w, f, [f.firstEventSequence, f.lastEventSequence], f.attempts, now))) {
      f.attempts++;
      if (now - f.firstRefusedAt >= GIVE_UP_MS) {
        Object.assign(w, { failing: undefined, pending: [] });
        w.subscription!.status = 'DISABLED';
      } else f.nextAt = Math.min(now + RETRY_GAPS_MS[Math.min(f.attempts - 1, RETRY_GAPS_MS.length - 1)], f.firstRefusedAt + GIVE_UP_MS);
      return;
    }
    w.failing = undefined;
  }
  const events = (w.pending ?? []).splice(0);
  if (!events.length) return;
  const first = w.nextSequence ?? 1;
  w.nextSequence = first + events.length;
  const body = JSON.stringify({
    events,
    firstEventSequence: first,
    lastEventSequence: first + events.length - 1,
    entropy: randomBytes(10).toString('hex').toUpperCase(),
  });
  const d = { body, signature: sign(body, w.subscription!.key), eventCount: events.length };
  if (!(await attempt(w, d, [first, first + events.length - 1], 0, now)))
    w.failing = {
      ...d,
      firstEventSequence: first,
      lastEventSequence: first + events.length - 1,
      firstRefusedAt: now,
      attempts: 1,
      nextAt: now + RETRY_GAPS_MS[0],
    };
}

/** Test API: the last delivery the receiver took, sent again as it was (Xero did not get the answer in time). */
export async function redeliverLast(w: SimWebhooks, at: Date): Promise<void> {
  const last = w.lastTaken;
  if (!last || !enabled(w)) throw new Error('no delivery to send again');
  const { firstEventSequence = 0, lastEventSequence = 0 } = JSON.parse(last.body) as { firstEventSequence?: number; lastEventSequence?: number };
  await (inFlight.get(w) ?? Promise.resolve());
  await attempt(w, last, [firstEventSequence, lastEventSequence], 1, at.getTime());
}

export function orgOfInvoice(state: XeroSimState, invoiceId: string): { o: SimOrganisation; inv: SimInvoice } {
  for (const o of state.orgs.values()) {
    const inv = o.invoices.get(invoiceId);
    if (inv) return { o, inv };
  }
  throw new Error(`no invoice ${invoiceId}`);
}

/** Xero's UI: Invoice options → Void. Refused while a payment or credit note is allocated (hasAllocations): they must be removed first. */
export function voidInvoice(inv: SimInvoice, at: Date): void {
  if (hasAllocations(inv)) throw new Error('This document cannot be edited as it has a payment or credit note allocated to it');
  if (inv.status !== 'AUTHORISED' && inv.status !== 'SUBMITTED' && inv.status !== 'DRAFT') throw new Error(`cannot void a ${inv.status} invoice`);
  inv.status = 'VOIDED';
  inv.updatedAt = at;
}

/**
 * Xero's UI: Edit on an approved invoice; the total may not fall below what payments and allocated
 * credit notes already cover, as AmountDue (total less AmountPaid and AmountCredited) is never below 0.
 */
export function editInvoiceLines(inv: SimInvoice, lines: { description: string; quantity?: string; unitAmount: string }[], at: Date): void {
  if (inv.status !== 'AUTHORISED' && inv.status !== 'DRAFT') throw new Error(`cannot edit a ${inv.status} invoice`);
  const computed = computeLines(
    lines.map((l) => ({ description: l.description, quantity: parseScaled(l.quantity ?? '1', 4)!, unitAmount: parseScaled(l.unitAmount, 4)! })),
  );
  if (computed.total < inv.amountPaid + amountCredited(inv)) throw new Error('the new total is less than what was paid and credited');
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
