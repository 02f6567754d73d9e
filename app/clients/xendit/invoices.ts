/** Invoices (Xendit's Invoice API): the one a customer pays, and the paid ones reconciliation lists. */
import { z } from 'zod';
import { SUPPORTED_CURRENCIES, numberToDecimal, toDecimal, toMinor, type Currency } from '../../money.js';
import { nullWhenNotFound } from '../types.js';
import { json, type CreateInvoiceRequest, type XenditCall } from './call.js';
import { minorReader } from './amounts.js';
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
      // xendit-node sends the cursor as last_invoice; Xendit's API reference names last_invoice_id.
      // Whichever the real API honours, the result must be complete and the loop must end: rows are
      // de-duplicated by id, and a full page that brings nothing new means the cursor was ignored,
      // so the paid_at window is halved and each half listed on its own (a window under LIST_LIMIT
      // rows needs no cursor at all).
      const seen = new Map<string, XenditInvoice>();
      let pages = 0;
      const listWindow = async (paidAfter: Date, paidBefore: Date): Promise<void> => {
        let lastInvoice: string | undefined;
        for (;;) {
          if (++pages > 1000) throw unexpected('more than 1000 pages of paid invoices');
          const list = await call(secretKey, 'listPaidInvoices', async (api) =>
            json(await api.getInvoicesRaw({ statuses: ['PAID', 'SETTLED'], paidAfter, paidBefore, limit: LIST_LIMIT, lastInvoice })),
          );
          if (!Array.isArray(list)) throw unexpected('invoice list is not an array');
          const invoices = list.map(parseInvoice);
          const fresh = invoices.filter((i) => !seen.has(i.id));
          for (const i of fresh) if (i.status === 'PAID' || i.status === 'SETTLED') seen.set(i.id, i);
          if (invoices.length < LIST_LIMIT) return;
          if (!fresh.length) {
            const span = paidBefore.getTime() - paidAfter.getTime();
            if (span < 2) throw unexpected(`more than ${LIST_LIMIT} paid invoices within one millisecond and the page cursor is not honoured`);
            // paid_after and paid_before are both inclusive: halves meet at mid and mid + 1 ms.
            const mid = paidAfter.getTime() + Math.floor(span / 2);
            await listWindow(paidAfter, new Date(mid));
            await listWindow(new Date(mid + 1), paidBefore);
            return;
          }
          lastInvoice = invoices[invoices.length - 1].id;
        }
      };
      await listWindow(range.paidAfter, range.paidBefore);
      return [...seen.values()];
    },

    async listPaidInvoicesPage(secretKey, q) {
      const list = await call(secretKey, 'listPaidInvoicesPage', async (api) =>
        json(
          await api.getInvoicesRaw({
            statuses: ['PAID', 'SETTLED'],
            paidAfter: q.paidAfter,
            paidBefore: q.paidBefore,
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
      return { invoices, pageLength: list.length, skipped, ...(typeof last?.id === 'string' ? { lastInvoiceId: last.id } : {}) };
    },

    async expireInvoice(secretKey, invoiceId) {
      await call(secretKey, 'expireInvoice', async (api) => parseInvoice(await json(await api.expireInvoiceRaw({ invoiceId }))));
    },
  };
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
