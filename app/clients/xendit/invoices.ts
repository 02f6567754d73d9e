/** Invoices (Xendit's Invoice API): the one a customer pays, and the paid ones reconciliation lists. */
import { z } from 'zod';
import { SUPPORTED_CURRENCIES, numberToDecimal, toDecimal, toMinor, type Currency } from '../../money.js';
import { nullWhenNotFound } from '../types.js';
import { json, type CreateInvoiceRequest, type XenditCall } from './call.js';
import { minorReader } from './amounts.js';
import { CursorWalk } from './paging.js';
import { unexpected } from './errors.js';
import type { NewXenditInvoice, XenditGateway, XenditInvoice } from './types.js';

/** Exported for the contract test (test/contract): every field read here is in xendit-node's models or documented by Xendit. */
export const invoiceSchema = z.object({
  id: z.string().min(1),
  external_id: z.string(),
  status: z.enum(['PENDING', 'PAID', 'SETTLED', 'EXPIRED']),
  currency: z.enum(SUPPORTED_CURRENCIES),
  amount: z.number(),
  invoice_url: z.string(),
  expiry_date: z.string().nullish(),
  created: z.string().nullish(),
  paid_amount: z.number().nullish(),
  fees_paid_amount: z.number().nullish(),
  paid_at: z.string().nullish(),
  payment_method: z.string().nullish(),
  payment_channel: z.string().nullish(),
  payment_id: z.string().nullish(),
  description: z.string().nullish(),
  payer_email: z.string().nullish(),
  // Informational fields read leniently: a surprise in them must not make a paid invoice unreadable.
  customer: z.unknown().optional(),
  items: z.unknown().optional(),
});
const customerSchema = z.object({ given_names: z.string().nullish(), surname: z.string().nullish(), email: z.string().nullish() });
const itemsSchema = z.array(z.object({ name: z.string(), quantity: z.number().int().positive(), price: z.number() }));
type InvoiceJson = z.infer<typeof invoiceSchema>;

const LIST_LIMIT = 100;

export function invoiceCalls(
  call: XenditCall,
): Pick<XenditGateway, 'createInvoice' | 'getInvoice' | 'findInvoicesByExternalId' | 'listPaidInvoices' | 'listPaidInvoicesPage' | 'expireInvoice'> {
  const listPage = listPageWith(call);
  /** Whether the invoice is still one the paid listing of `window` shows (the bounds as listPage asks them). */
  const stillListed = async (secretKey: string, invoiceId: string, window: PaidWindow): Promise<boolean> => {
    const inv = await nullWhenNotFound(() =>
      call(secretKey, 'listPaidInvoices', async (api) => parseInvoice(await json(await api.getInvoiceByIdRaw({ invoiceId })))),
    );
    const paidAt = inv?.paidAt ? Date.parse(inv.paidAt) : NaN;
    return (inv?.status === 'PAID' || inv?.status === 'SETTLED') && paidAt >= window.paidAfter.getTime() - 1 && paidAt <= window.paidBefore.getTime() + 1;
  };
  return {
    async createInvoice(secretKey, invoice) {
      return call(secretKey, 'createInvoice', async (api) => parseInvoice(await json(await api.createInvoiceRaw({ data: createRequest(invoice) }))));
    },

    async getInvoice(secretKey, invoiceId) {
      return nullWhenNotFound(() => call(secretKey, 'getInvoice', async (api) => parseInvoice(await json(await api.getInvoiceByIdRaw({ invoiceId })))));
    },

    async findInvoicesByExternalId(secretKey, externalId) {
      return call(secretKey, 'findInvoicesByExternalId', async (api) => {
        const list = await json(await api.getInvoicesRaw({ externalId, limit: LIST_LIMIT }));
        if (!Array.isArray(list)) throw unexpected('invoice list is not an array');
        return list.map(parseInvoice).filter((i) => i.externalId === externalId);
      });
    },

    async listPaidInvoices(secretKey, range) {
      // Whichever cursor name the real API honours (see cursorIgnored), the result must be complete
      // and the loop must end: rows are de-duplicated by id, and a page that shows the cursor was
      // not honoured (or brings nothing new) has its paid_at window halved, each half listed on its
      // own (a window under LIST_LIMIT rows needs no cursor at all).
      const seen = new Map<string, XenditInvoice>();
      let pages = 0;
      const listWindow = async (window: PaidWindow): Promise<void> => {
        let lastInvoiceId: string | undefined;
        // Within this window: a row read again or an empty page after a full one is a cursor not
        // honoured or no longer held (paging.ts); the list has no has_more, a full page may have more.
        const walk = new CursorWalk(Number.POSITIVE_INFINITY);
        for (;;) {
          if (++pages > 1000) throw unexpected('more than 1000 pages of paid invoices');
          const page = await listPage(secretKey, 'listPaidInvoices', { ...window, limit: LIST_LIMIT, lastInvoiceId });
          // The report must not leave out an invoice it cannot read: it fails instead.
          if (page.skipped.length) throw unexpected(`invoice ${page.skipped[0]}`);
          const fresh = page.invoices.filter((i) => !seen.has(i.id));
          for (const i of fresh) seen.set(i.id, i);
          let broken = walk.page(page.ids, page.pageLength === LIST_LIMIT) === 'broken';
          // An empty page after a full one is also the exact end of a list of a multiple of
          // LIST_LIMIT: so it is when the row it was asked after is still listed.
          if (broken && page.pageLength === 0 && lastInvoiceId && (await stillListed(secretKey, lastInvoiceId, window))) broken = false;
          if (!broken && (page.pageLength < LIST_LIMIT || !page.lastInvoiceId)) return;
          if (broken || page.cursorIgnored || !fresh.length) {
            const halves = halvePaidWindow(window);
            if (!halves) throw unexpected(`more than ${LIST_LIMIT} paid invoices within ${HALVE_MIN_MS} ms and the page cursor is not honoured`);
            for (const half of halves) await listWindow(half);
            return;
          }
          lastInvoiceId = page.lastInvoiceId;
        }
      };
      await listWindow(range);
      return [...seen.values()];
    },

    async listPaidInvoicesPage(secretKey, q) {
      return listPage(secretKey, 'listPaidInvoicesPage', q);
    },

    async expireInvoice(secretKey, invoiceId) {
      return call(secretKey, 'expireInvoice', async (api) => parseInvoice(await json(await api.expireInvoiceRaw({ invoiceId }))));
    },
  };
}

/** A paid_at window, both ends inclusive (what every caller means; see listPage for how it is asked). */
export interface PaidWindow {
  paidAfter: Date;
  paidBefore: Date;
}

/** The shortest window halvePaidWindow still halves. */
const HALVE_MIN_MS = 2;

/**
 * The two halves a paid_at window is listed in when Xendit does not honour the page cursor: a
 * window with fewer invoices than a page needs no cursor. They share their middle millisecond
 * (each is inclusive), so no payment falls between them whatever Xendit's precision; one paid in
 * it is listed twice, which callers absorb (rows by id, jobs by dedupe key). Undefined when the
 * window is too short to halve. Used by listPaidInvoices here and by the backend flow's listing
 * (jobs/sync/list-paid.ts), which walks the first half now and leaves the rest to its next window.
 */
export function halvePaidWindow(w: PaidWindow): [PaidWindow, PaidWindow] | undefined {
  const span = w.paidBefore.getTime() - w.paidAfter.getTime();
  if (span < HALVE_MIN_MS) return undefined;
  const mid = new Date(w.paidAfter.getTime() + Math.floor(span / 2));
  return [
    { paidAfter: w.paidAfter, paidBefore: mid },
    { paidAfter: mid, paidBefore: w.paidBefore },
  ];
}

type PaidPage = Awaited<ReturnType<XenditGateway['listPaidInvoicesPage']>>;

/** One page of paid invoices (see XenditGateway.listPaidInvoicesPage). */
function listPageWith(call: XenditCall) {
  return async (
    secretKey: string,
    op: string,
    q: PaidWindow & { limit: number; lastInvoiceId?: string },
  ): Promise<PaidPage & { ids: (string | undefined)[] }> => {
    const list = await call(secretKey, op, async (api) =>
      json(
        await api.getInvoicesRaw({
          statuses: ['PAID', 'SETTLED'],
          // Xendit's List All Invoices reference describes paid_after as "greater than" and
          // paid_before as "less than"; whether the API compares strictly is not shown anywhere
          // else. Asked a millisecond wider on each side, the page holds every invoice paid within
          // [paidAfter, paidBefore] either way (and perhaps one paid on the extra millisecond,
          // which callers absorb as they absorb adjacent windows' shared edge).
          paidAfter: new Date(q.paidAfter.getTime() - 1),
          paidBefore: new Date(q.paidBefore.getTime() + 1),
          limit: q.limit,
          lastInvoice: q.lastInvoiceId,
        }),
      ),
    );
    if (!Array.isArray(list)) throw unexpected('invoice list is not an array');
    const invoices: XenditInvoice[] = [];
    const skipped: string[] = [];
    for (const row of list) {
      try {
        const inv = parseInvoice(row);
        if (inv.status === 'PAID' || inv.status === 'SETTLED') invoices.push(inv);
      } catch (err) {
        skipped.push(`${String((row as { id?: unknown })?.id ?? '?')}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const last = list.at(-1) as { id?: unknown } | undefined;
    return {
      invoices,
      ids: list.map((row) => (row as { id?: unknown } | null)?.id).map((id) => (typeof id === 'string' ? id : undefined)),
      pageLength: list.length,
      skipped,
      cursorIgnored: cursorIgnored(list, q.lastInvoiceId),
      ...(typeof last?.id === 'string' ? { lastInvoiceId: last.id } : {}),
    };
  };
}

/**
 * xendit-node sends the page cursor as last_invoice (invoice/apis/Invoice.js getInvoicesRaw);
 * Xendit's List All Invoices reference names it last_invoice_id. A real API honouring only the
 * other name answers the first page again: a page asked for after invoice X that holds X.
 */
function cursorIgnored(list: unknown[], lastInvoiceId: string | undefined): boolean {
  return lastInvoiceId !== undefined && list.some((row) => (row as { id?: unknown } | null)?.id === lastInvoiceId);
}

function createRequest(inv: NewXenditInvoice): CreateInvoiceRequest {
  return {
    externalId: inv.externalId,
    amount: Number(toDecimal(inv.amount, inv.currency)),
    currency: inv.currency,
    description: inv.description,
    payerEmail: inv.payerEmail,
    invoiceDuration: inv.invoiceDurationSeconds,
    successRedirectUrl: inv.successRedirectUrl,
    failureRedirectUrl: inv.failureRedirectUrl,
    items: inv.items?.map((i) => ({ name: i.name, quantity: i.quantity, price: Number(toDecimal(i.price, inv.currency)) })),
    ...(inv.paymentMethods?.length ? { paymentMethods: inv.paymentMethods } : {}),
    // Xendit sends notifications to the invoice's customer (docs.xendit.co, Create invoice:
    // customer_notification_preference; xendit-node NotificationPreference): the e-mail goes there too.
    ...(inv.notifyPaidByEmail && inv.payerEmail
      ? { customer: { email: inv.payerEmail }, customerNotificationPreference: { invoiceCreated: [], invoiceReminder: [], invoicePaid: ['email'] } }
      : {}),
  };
}

function parseInvoice(body: unknown): XenditInvoice {
  const parsed = invoiceSchema.safeParse(body);
  if (!parsed.success) throw unexpected(`invoice: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  const j: InvoiceJson = parsed.data;
  const minor = minorReader(j.currency);
  return {
    id: j.id,
    externalId: j.external_id,
    status: j.status,
    currency: j.currency,
    amount: minor(j.amount, 'amount'),
    invoiceUrl: j.invoice_url,
    ...validFor(j.created, j.expiry_date),
    ...(j.paid_amount != null ? { paidAmount: minor(j.paid_amount, 'paid_amount') } : {}),
    ...feesOf(j.fees_paid_amount, j.currency),
    ...(j.paid_at ? { paidAt: j.paid_at } : {}),
    ...(j.payment_method ? { paymentMethod: j.payment_method } : {}),
    ...(j.payment_channel ? { paymentChannel: j.payment_channel } : {}),
    ...(j.payment_id ? { paymentId: j.payment_id } : {}),
    ...(j.description ? { description: j.description } : {}),
    ...(j.payer_email ? { payerEmail: j.payer_email } : {}),
    ...customerOf(j.customer),
    ...itemsOf(j.items, j.currency),
  };
}

function validFor(created: string | null | undefined, expiry: string | null | undefined): { validForSeconds?: number } {
  const seconds = (Date.parse(expiry ?? '') - Date.parse(created ?? '')) / 1000;
  return Number.isFinite(seconds) ? { validForSeconds: Math.max(0, Math.floor(seconds)) } : {};
}

function customerOf(raw: unknown): { customer?: { name?: string; email?: string } } {
  const c = customerSchema.safeParse(raw);
  if (!c.success) return {};
  const name = [c.data.given_names, c.data.surname]
    .map((s) => s?.trim())
    .filter(Boolean)
    .join(' ');
  const email = c.data.email?.trim();
  return name || email ? { customer: { ...(name ? { name } : {}), ...(email ? { email } : {}) } } : {};
}

function itemsOf(raw: unknown, currency: Currency): { items?: XenditInvoice['items'] } {
  const parsed = itemsSchema.safeParse(raw);
  if (!parsed.success || !parsed.data.length) return {};
  try {
    return { items: parsed.data.map((i) => ({ name: i.name, quantity: i.quantity, price: toMinor(numberToDecimal(i.price), currency) })) };
  } catch {
    return {};
  }
}

// A fee that does not fit the currency's minor unit must not make a paid invoice unreadable (the
// payment is still recorded), nor vanish: its exact figure travels on for the fee to wait for a person.
function feesOf(fees: number | null | undefined, currency: Currency): { feesPaidAmount?: number; feesPaidRaw?: string } {
  if (fees == null) return {};
  let raw: string;
  try {
    raw = numberToDecimal(fees);
  } catch {
    return { feesPaidRaw: String(fees) };
  }
  try {
    return { feesPaidAmount: toMinor(raw, currency) };
  } catch {
    return { feesPaidRaw: raw };
  }
}
