/**
 * Invoices: POST/GET /v2/invoices, expiry, and invoices made outside the gateway.
 */
import type { Request, Response } from 'express';
import { AmountError, SUPPORTED_CURRENCIES, isSupportedCurrency, numberToDecimal, toMinor, type Currency } from '../../money.js';
import { CHANNELS as CURRENCY_CHANNELS } from '../../clients/xendit/channels.js';
import { hexId } from './accounts.js';
import { expireIfDue, transition } from './callbacks.js';
import { invoiceNotFound, notPendingInvoice, validation } from './errors.js';
import { invoiceJson } from './json.js';
import type { OutsideInvoice } from './simulator.js';
import { type Ctx, type SimXenditInvoice, type XenditSimAccount } from './state.js';
import { handOut, rowsAfterCursor } from './cursor.js';

export const DEFAULT_DURATION_SECONDS = 86400;

export function createOutsideInvoice(ctx: Ctx, input: OutsideInvoice): SimXenditInvoice {
  const account = ctx.state.accounts.get(input.account) ?? [...ctx.state.accounts.values()].find((a) => a.userId === input.account);
  if (!account) throw new Error(`no Xendit account ${input.account}`);
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) throw new Error('amount must be greater than 0');
  const at = ctx.now();
  const inv: SimXenditInvoice = {
    id: hexId(),
    userId: account.userId,
    externalId: input.externalId ?? `dashboard-${hexId().slice(0, 12)}`,
    status: 'PENDING',
    currency: input.currency,
    amount: input.amount,
    items: input.items ?? [],
    ...(input.description ? { description: input.description } : {}),
    ...(input.payerEmail ? { payerEmail: input.payerEmail } : {}),
    ...(input.customerName || input.payerEmail ? { customer: { givenNames: input.customerName, email: input.payerEmail } } : {}),
    created: at,
    updated: at,
    expiryDate: new Date(at.getTime() + DEFAULT_DURATION_SECONDS * 1000),
  };
  storeInvoice(ctx.state.invoices, inv);
  return inv;
}

export function requireInvoice(ctx: Ctx, id: string): SimXenditInvoice {
  const inv = ctx.state.invoices.get(id);
  if (!inv) throw new Error(`no Xendit invoice ${id}`);
  return inv;
}

export function ownInvoice(ctx: Ctx, res: Response, id: string): SimXenditInvoice | undefined {
  const inv = ctx.state.invoices.get(id);
  if (!inv || inv.userId !== (res.locals.account as XenditSimAccount).userId) return undefined;
  expireIfDue(ctx, inv);
  return inv;
}

export function createInvoiceRoute(ctx: Ctx, req: Request, res: Response): void {
  const account = res.locals.account as XenditSimAccount;
  const body = (req.body ?? {}) as Record<string, unknown>;
  const read = readNewInvoice(body);
  if ('error' in read) return validation(res, read.error, read.code);
  const refused = accountRefusal(account, read.value);
  if (refused) return validation(res, refused.message, refused.code);
  const make = () => {
    const at = ctx.now();
    const inv: SimXenditInvoice = {
      id: hexId(),
      userId: account.userId,
      ...read.value,
      status: 'PENDING',
      created: at,
      updated: at,
      expiryDate: new Date(at.getTime() + (ctx.faults.grantedDurationSeconds ?? read.durationSeconds) * 1000),
    };
    storeInvoice(ctx.state.invoices, inv);
    return inv;
  };
  if (ctx.faults.holdCreate(() => make().id)) return void res.socket?.destroy();
  const inv = make();
  if (ctx.faults.dropIfArmed(req, res)) return;
  res.json(invoiceJson(ctx, inv));
}

export type NewInvoiceFields = Pick<
  SimXenditInvoice,
  | 'externalId'
  | 'currency'
  | 'amount'
  | 'description'
  | 'payerEmail'
  | 'customer'
  | 'items'
  | 'successRedirectUrl'
  | 'failureRedirectUrl'
  | 'notifyPaid'
  | 'paymentMethods'
>;

/**
 * What Xendit refuses of a well-formed invoice for this account: the 400 error_codes of Create
 * invoice (xendit-node invoice/models/BadRequestError: EMAIL_FORMAT_ERROR,
 * UNAVAILABLE_PAYMENT_METHOD_ERROR, NO_COLLECTION_METHODS_ERROR, UNSUPPORTED_CURRENCY, …), answered
 * as { error_code, message } so xendit-node raises its XenditSdkError with that errorCode.
 * MAXIMUM_TRANSFER_AMOUNT_ERROR is not simulated: Xendit documents limits per channel (e.g. BCA
 * Virtual Account 10,000 to 50,000,000 IDR, docs.xendit.co "BCA Virtual Account"), not the rule an
 * invoice offering several channels is held to.
 */
export function accountRefusal(account: XenditSimAccount, inv: NewInvoiceFields): { code: string; message: string } | undefined {
  if (account.activatedCurrencies && !account.activatedCurrencies.includes(inv.currency)) {
    return { code: 'UNSUPPORTED_CURRENCY', message: `Currency ${inv.currency} is not activated for this business` };
  }
  for (const email of [inv.payerEmail, inv.customer?.email]) {
    if (email !== undefined && !EMAIL.test(email)) return { code: 'EMAIL_FORMAT_ERROR', message: 'payer_email must be a valid email address' };
  }
  const activated = account.activatedChannels;
  if (!activated) return undefined;
  const unavailable = inv.paymentMethods?.filter((m) => !activated.includes(m)) ?? [];
  if (unavailable.length) {
    return { code: 'UNAVAILABLE_PAYMENT_METHOD_ERROR', message: `Payment methods ${unavailable.join(', ')} are not activated for this business` };
  }
  // Which channels take USD invoices is not documented per channel: USD is not narrowed here.
  const offered = (inv.paymentMethods ?? activated).filter((m) => inv.currency === 'USD' || CURRENCY_CHANNELS[inv.currency].includes(m));
  if (!offered.length) {
    return { code: 'NO_COLLECTION_METHODS_ERROR', message: `No payment method is activated for ${inv.currency} invoices of this business` };
  }
  return undefined;
}

/** An address of the form local@domain.tld; what Xendit's EMAIL_FORMAT_ERROR checks beyond that is not documented. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Xendit's notification channels (xendit-node NotificationChannel). */
const CHANNELS = ['email', 'sms', 'whatsapp', 'viber'];

export function readNewInvoice(body: Record<string, unknown>): { value: NewInvoiceFields; durationSeconds: number } | { error: string; code?: string } {
  const externalId = body.external_id;
  if (typeof externalId !== 'string' || !externalId.trim()) return { error: 'external_id is required' };
  const currency = body.currency ?? 'IDR';
  if (typeof currency !== 'string' || !isSupportedCurrency(currency)) {
    return { error: `currency must be one of ${SUPPORTED_CURRENCIES.join(', ')}`, code: 'UNSUPPORTED_CURRENCY' };
  }
  const amount = readMinor(body.amount, currency);
  if (typeof amount === 'string') return { error: `amount ${amount}` };
  if (amount <= 0) return { error: 'amount must be greater than 0' };
  const duration = body.invoice_duration ?? DEFAULT_DURATION_SECONDS;
  if (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 1 || duration > 31536000) {
    return { error: 'invoice_duration must be a whole number of seconds between 1 and 31536000' };
  }
  const items: SimXenditInvoice['items'] = [];
  for (const raw of Array.isArray(body.items) ? (body.items as Record<string, unknown>[]) : []) {
    const price = readMinor(raw.price, currency);
    if (typeof raw.name !== 'string' || typeof raw.quantity !== 'number' || typeof price === 'string') {
      return { error: 'items need a name, a numeric quantity and a valid price' };
    }
    items.push({ name: raw.name, quantity: raw.quantity, price });
  }
  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const customer = body.customer && typeof body.customer === 'object' ? (body.customer as Record<string, unknown>) : undefined;
  const prefs = body.customer_notification_preference as Record<string, unknown> | undefined;
  const notifyPaid = prefs?.invoice_paid;
  if (notifyPaid !== undefined && (!Array.isArray(notifyPaid) || notifyPaid.some((c) => !CHANNELS.includes(c as string)))) {
    return { error: `customer_notification_preference.invoice_paid must list channels of ${CHANNELS.join(', ')}` };
  }
  // Create invoice: payment_methods is an array of channel codes (docs.xendit.co, Invoices API).
  const methods = body.payment_methods;
  if (
    methods !== undefined &&
    (!Array.isArray(methods) || methods.length === 0 || methods.some((m) => typeof m !== 'string' || !/^[A-Z0-9_]{2,40}$/.test(m)))
  ) {
    return { error: 'payment_methods must be a non-empty array of payment channel codes' };
  }
  return {
    durationSeconds: duration,
    value: {
      externalId,
      currency,
      amount,
      items,
      description: text(body.description),
      payerEmail: text(body.payer_email),
      ...(customer ? { customer: { givenNames: text(customer.given_names), email: text(customer.email) } } : {}),
      successRedirectUrl: text(body.success_redirect_url),
      failureRedirectUrl: text(body.failure_redirect_url),
      ...(Array.isArray(notifyPaid) && notifyPaid.length ? { notifyPaid: notifyPaid as string[] } : {}),
      ...(Array.isArray(methods) ? { paymentMethods: methods as string[] } : {}),
    },
  };
}

/** Minor units, or why the amount is not acceptable (e.g. "must be a whole number for IDR"). */
export function readMinor(value: unknown, currency: Currency): number | string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
  try {
    return toMinor(numberToDecimal(value), currency);
  } catch (err) {
    if (!(err instanceof AmountError)) throw err;
    return currency === 'IDR' || currency === 'VND' ? `must be a whole number for ${currency}` : `has too many decimals for ${currency}`;
  }
}

export function listInvoicesRoute(ctx: Ctx, req: Request, res: Response): void {
  const account = res.locals.account as XenditSimAccount;
  const externalId = typeof req.query.external_id === 'string' ? req.query.external_id : undefined;
  const limit = Math.min(Math.max(Number(req.query.limit ?? 10) || 10, 1), 100);
  const statuses = queryList(req.query.statuses);
  const paidAfter = queryDate(req.query.paid_after);
  const paidBefore = queryDate(req.query.paid_before);
  // Xendit's List All Invoices reference: paid_after "greater than", paid_before "less than" the
  // time given. faults.inclusivePaidBounds compares inclusively (what the API may do instead).
  const inclusive = ctx.faults.inclusivePaidBounds;
  // xendit-node sends last_invoice; Xendit's API reference names it last_invoice_id.
  const lastRaw = req.query.last_invoice ?? req.query.last_invoice_id;
  const lastInvoice = typeof lastRaw === 'string' && !ctx.faults.ignoreListCursor ? lastRaw : undefined;
  const all = newestFirst(ctx.state.invoices);
  for (const i of all) if (i.userId === account.userId) expireIfDue(ctx, i);
  const matches = (i: SimXenditInvoice) =>
    i.userId === account.userId &&
    (externalId === undefined || i.externalId === externalId) &&
    (!statuses.length || statuses.includes(i.status)) &&
    (!paidAfter || (i.paidAt !== undefined && (inclusive ? i.paidAt >= paidAfter : i.paidAt > paidAfter))) &&
    (!paidBefore || (i.paidAt !== undefined && (inclusive ? i.paidAt <= paidBefore : i.paidAt < paidBefore)));
  const list = handOut(ctx.faults, pageOf(ctx, all, matches, lastInvoice, limit), (i) => i.id);
  res.json(list.map((i) => invoiceJson(ctx, i)));
}

/**
 * Every invoice, newest first (created, then id), sorted again only when the map changed. The
 * simulators run in the bench's process beside the gateway: sorting all of them for each page of a
 * listing (thousands of paid invoices, ten pages per worker group) took the event loop from the
 * callbacks the bench times, work the real Xendit does on its own servers. An invoice's id and
 * creation time never change, so the order holds while the map holds the same invoices.
 */
function newestFirst(invoices: Map<string, SimXenditInvoice>): SimXenditInvoice[] {
  const kept = sortedInvoices.get(invoices);
  if (kept && kept.length === invoices.size && kept.every((i) => invoices.get(i.id) === i)) return kept;
  const sorted = [...invoices.values()].sort((a, b) => b.created.getTime() - a.created.getTime() || (a.id < b.id ? 1 : -1));
  sortedInvoices.set(invoices, sorted);
  return sorted;
}
const sortedInvoices = new WeakMap<Map<string, SimXenditInvoice>, SimXenditInvoice[]>();

/**
 * The `limit` matching rows after the cursor, as rowsAfterCursor over every match would give them,
 * reading only as far as the page reaches: a listing's tenth page reads a thousand rows, not all.
 */
function pageOf(ctx: Ctx, rows: SimXenditInvoice[], matches: (i: SimXenditInvoice) => boolean, cursor: string | undefined, limit: number): SimXenditInvoice[] {
  const first: SimXenditInvoice[] = [];
  const page: SimXenditInvoice[] = [];
  // A cursor Xendit let lapse (faults.forgottenCursors) is one no match holds.
  const held = cursor !== undefined && !ctx.faults.forgottenCursors.has(cursor);
  let after = cursor === undefined;
  for (const i of rows) {
    if (!matches(i)) continue;
    if (after) {
      page.push(i);
      if (page.length === limit) return page;
    } else {
      if (first.length < limit) first.push(i);
      if (held && i.id === cursor) after = true;
    }
  }
  if (after) return page;
  // A cursor no match holds: what rowsAfterCursor answers for it (the first page, or none).
  return rowsAfterCursor(ctx.faults, first, cursor, (i) => i.id);
}

// Xendit documents `statuses=["PAID","SETTLED"]`; xendit-node sends `statuses=PAID&statuses=SETTLED`.
export function queryList(value: unknown): string[] {
  const parts = (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String);
  return parts.flatMap((p) => {
    try {
      const parsed: unknown = JSON.parse(p);
      return Array.isArray(parsed) ? parsed.map(String) : [p];
    } catch {
      return [p];
    }
  });
}

export function queryDate(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function expireRoute(ctx: Ctx, req: Request, res: Response): void {
  const inv = ownInvoice(ctx, res, String((req.params as Record<string, string>)[0]));
  if (!inv) return invoiceNotFound(res);
  // Xendit refuses to expire an invoice that is no longer PENDING (paid, settled or expired):
  // "Could not find and update PENDING invoice <id>" (xendit/xendit-php#200). Its status and code
  // are not documented; xendit-node's one invoice 404 is INVOICE_NOT_FOUND_ERROR, which the message reads as.
  if (inv.status !== 'PENDING') return notPendingInvoice(res, inv.id);
  // Xendit delivers callbacks on its own schedule: the answer does not wait for it.
  void transition(ctx, inv, 'EXPIRED').catch((err) => ctx.log?.warn({ err }, 'xendit sim: callback failed'));
  res.json(invoiceJson(ctx, inv));
}

/**
 * Invoices by external id, kept beside each invoices map (the demo swaps the map for its saved one:
 * a map without an index gets one built on first use). Every invoice the simulator makes goes in
 * through storeInvoice, so the index holds every live invoice; entries a clear() left behind are
 * dropped on reading. The transactions listing asks by reference_id (a part of the external id)
 * once per fee: scanning every invoice each time made the bench's drain spend its time in the
 * simulator. Only a longer external id can hold another one in part, so the external ids are kept
 * by length too, and only the longer ones are looked through.
 */
interface ExternalIdIndex {
  byId: Map<string, SimXenditInvoice[]>;
  byLength: Map<number, Set<string>>;
}
const byExternalId = new WeakMap<Map<string, SimXenditInvoice>, ExternalIdIndex>();

function indexOf(invoices: Map<string, SimXenditInvoice>): ExternalIdIndex {
  let index = byExternalId.get(invoices);
  if (!index) {
    index = { byId: new Map(), byLength: new Map() };
    for (const inv of invoices.values()) add(index, inv, [...(index.byId.get(inv.externalId) ?? []), inv]);
    byExternalId.set(invoices, index);
  }
  return index;
}

function add(index: ExternalIdIndex, inv: SimXenditInvoice, list: SimXenditInvoice[]): void {
  index.byId.set(inv.externalId, list);
  const sameLength = index.byLength.get(inv.externalId.length) ?? index.byLength.set(inv.externalId.length, new Set()).get(inv.externalId.length)!;
  sameLength.add(inv.externalId);
}

export function storeInvoice(invoices: Map<string, SimXenditInvoice>, inv: SimXenditInvoice): void {
  const index = indexOf(invoices);
  invoices.set(inv.id, inv);
  add(index, inv, [...(index.byId.get(inv.externalId) ?? []).filter((i) => invoices.get(i.id) === i), inv]);
}

/** The live invoices whose external id contains `part` (case-sensitive). */
export function invoicesWithExternalIdContaining(invoices: Map<string, SimXenditInvoice>, part: string): SimXenditInvoice[] {
  const { byId, byLength } = indexOf(invoices);
  const ids = [part];
  for (const [length, same] of byLength) if (length > part.length) for (const id of same) if (id.includes(part)) ids.push(id);
  return ids.flatMap((id) => (byId.get(id) ?? []).filter((i) => invoices.get(i.id) === i));
}
