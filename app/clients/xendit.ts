/**
 * XenditGateway over the official xendit-node SDK (Invoice API). The same code talks to real
 * Xendit or app/simulators/xendit/: only apiUrl differs.
 */
import type { Logger } from 'pino';
import { Configuration, Invoice as InvoiceApi, Transaction as TransactionApi, XenditSdkError } from 'xendit-node';
import { z } from 'zod';
import { AmountError, SUPPORTED_CURRENCIES, numberToDecimal, toDecimal, toMinor, type Currency } from '../money.js';
import {
  UpstreamError,
  type XenditPermission,
  type FeeTaxLookup,
  type FeeTaxQuery,
  type NewXenditInvoice,
  type XenditGateway,
  type XenditInvoice,
  type CallObserver,
} from './types.js';

export interface XenditClientOptions {
  /** e.g. https://api.xendit.co */
  apiUrl: string;
  timeoutMs?: number;
  logger?: Logger;
  /** Used to read an HTTP-date Retry-After. */
  now?: () => Date;
  /** Latency and errors of each call, for /metrics. */
  observer?: CallObserver;
}

type CreateInvoiceRequest = Parameters<InstanceType<typeof InvoiceApi>['createInvoice']>[0]['data'];

// The SDK's Invoice model (InvoiceFromJSON) drops paid_amount, fees_paid_amount and paid_at, which
// reconciliation needs. So we call the SDK's *Raw methods (private in its typings, hence this
// view), which build the request and raise XenditSdkError as usual, and read the JSON ourselves.
interface RawResponse {
  raw: Response;
}
interface RawInvoiceApi {
  createInvoiceRaw(p: { data: CreateInvoiceRequest }): Promise<RawResponse>;
  getInvoiceByIdRaw(p: { invoiceId: string }): Promise<RawResponse>;
  getInvoicesRaw(p: {
    externalId?: string;
    limit?: number;
    statuses?: string[];
    paidAfter?: Date;
    paidBefore?: Date;
    lastInvoice?: string;
  }): Promise<RawResponse>;
  expireInvoiceRaw(p: { invoiceId: string }): Promise<RawResponse>;
}

const invoiceSchema = z.object({
  id: z.string().min(1),
  external_id: z.string(),
  status: z.enum(['PENDING', 'PAID', 'SETTLED', 'EXPIRED']),
  currency: z.enum(SUPPORTED_CURRENCIES),
  amount: z.number(),
  invoice_url: z.string(),
  paid_amount: z.number().nullish(),
  fees_paid_amount: z.number().nullish(),
  paid_at: z.string().nullish(),
  payment_method: z.string().nullish(),
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

export function createXenditClient(opts: XenditClientOptions): XenditGateway {
  const apiUrl = opts.apiUrl.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const log = opts.logger;
  const now = opts.now ?? (() => new Date());

  async function call<T>(secretKey: string, op: string, fn: (api: RawInvoiceApi & RawTransactionApi) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const seen: { retryAfter?: string | null } = {};
    const transactions = transactionApi(secretKey, apiUrl, controller.signal, seen);
    const api: RawInvoiceApi & RawTransactionApi = Object.assign(Object.create(invoiceApi(secretKey, apiUrl, controller.signal, seen)) as RawInvoiceApi, {
      getAllTransactionsRaw: (p: Parameters<RawTransactionApi['getAllTransactionsRaw']>[0]) => transactions.getAllTransactionsRaw(p),
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new UpstreamError('xendit', 'unavailable', `no answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      // The race bounds the whole call (headers and body); the abort frees the socket.
      const result = await Promise.race([fn(api), timeout]);
      opts.observer?.observe(op, seconds());
      return result;
    } catch (err) {
      const upstream = toUpstreamError(err, seen.retryAfter, now);
      opts.observer?.observe(op, seconds(), upstream.status === 404 ? 'not_found' : upstream.kind);
      if (upstream.status !== 404) log?.warn({ op, kind: upstream.kind, status: upstream.status }, 'xendit call failed');
      throw upstream;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async createInvoice(secretKey, invoice) {
      return call(secretKey, 'createInvoice', async (api) => parseInvoice(await json(await api.createInvoiceRaw({ data: createRequest(invoice) }))));
    },

    async getInvoice(secretKey, invoiceId) {
      try {
        return await call(secretKey, 'getInvoice', async (api) => parseInvoice(await json(await api.getInvoiceByIdRaw({ invoiceId }))));
      } catch (err) {
        if (err instanceof UpstreamError && err.status === 404) return null;
        throw err;
      }
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

    async getFeeTax(secretKey, invoice) {
      return call(secretKey, 'getFeeTax', async (api) => {
        const body = await json(await api.getAllTransactionsRaw({ referenceId: invoice.externalId, types: ['PAYMENT'], limit: TRANSACTION_LIMIT }));
        const parsed = transactionsSchema.safeParse(body);
        if (!parsed.success) throw unexpected('transaction list is not readable');
        const txn = pickPaymentTransaction(parsed.data, invoice);
        if (txn.kind !== 'found') return txn;
        const minor = (value: number) => {
          try {
            return toMinor(numberToDecimal(value), invoice.currency);
          } catch {
            return undefined;
          }
        };
        const { xendit_fee: feeWire, value_added_tax: taxWire } = txn.transaction.fee;
        const fee = minor(feeWire);
        const tax = minor(taxWire);
        if (fee === undefined) return { kind: 'unfit', field: 'xendit_fee', raw: String(feeWire) };
        if (tax === undefined) return { kind: 'unfit', field: 'value_added_tax', raw: String(taxWire) };
        return { kind: 'found', fee, tax };
      });
    },

    async checkSecretKey(secretKey) {
      // Xendit checks a key's permission before it reads the request (docs.xendit.co/apidocs
      // "Errors": 403 REQUEST_FORBIDDEN_ERROR), so each probe is a call that can change nothing:
      // a read, an id that cannot exist (404 = allowed), or a create invalid on purpose (400 =
      // allowed, never an invoice a customer could pay). 403 = this permission is missing; 401 =
      // unknown key (thrown). Anything else is an upstream problem (thrown).
      const NO_SUCH_ID = '000000000000000000000000';
      const probes: [XenditPermission, (api: RawInvoiceApi & RawTransactionApi) => Promise<unknown>][] = [
        ['create_invoices', (api) => api.createInvoiceRaw({ data: { externalId: '', amount: -1 } as CreateInvoiceRequest })],
        ['read_invoices', (api) => api.getInvoiceByIdRaw({ invoiceId: NO_SUCH_ID })],
        ['list_invoices', (api) => api.getInvoicesRaw({ limit: 1 })],
        ['expire_invoices', (api) => api.expireInvoiceRaw({ invoiceId: NO_SUCH_ID })],
        ['read_transactions', (api) => api.getAllTransactionsRaw({ limit: 1 })],
      ];
      const missing: XenditPermission[] = [];
      for (const [permission, probe] of probes) {
        try {
          const res = (await call(secretKey, 'checkSecretKey', probe)) as RawResponse;
          // An invalid create that Xendit accepted after all: expire it at once so nobody can pay it.
          if (permission === 'create_invoices') {
            const created = (await json(res).catch(() => null)) as { id?: unknown } | null;
            if (typeof created?.id === 'string')
              await call(secretKey, 'checkSecretKey', async (api) => api.expireInvoiceRaw({ invoiceId: created.id as string })).catch(() => undefined);
          }
        } catch (err) {
          if (!(err instanceof UpstreamError)) throw err;
          if (err.status === 403) missing.push(permission);
          else if (err.status === 404 || (err.status === 400 && permission === 'create_invoices')) continue;
          else throw err;
        }
      }
      return missing;
    },

    async expireInvoice(secretKey, invoiceId) {
      await call(secretKey, 'expireInvoice', async (api) => parseInvoice(await json(await api.expireInvoiceRaw({ invoiceId }))));
    },
  };
}

interface RawTransactionApi {
  getAllTransactionsRaw(p: { referenceId?: string; productId?: string; types?: string[]; limit?: number }): Promise<RawResponse>;
}

/** Xendit's largest page of transactions. */
const TRANSACTION_LIMIT = 50;

const transactionSchema = z.object({
  product_id: z.string(),
  reference_id: z.string(),
  status: z.string().nullish(),
  currency: z.string().nullish(),
  amount: z.number(),
  fee: z.object({ xendit_fee: z.number(), value_added_tax: z.number() }),
  // Not in xendit-node's TransactionResponse, but sent by Xendit for invoice (payment link) payments:
  // the one field that names the invoice itself. Read leniently.
  product_data: z.object({ payment_link_id: z.string().nullish() }).passthrough().nullish().catch(null),
});
type TransactionJson = z.infer<typeof transactionSchema>;
const transactionsSchema = z.object({ has_more: z.boolean().nullish(), data: z.array(transactionSchema) });

/**
 * The invoice's payment among the transactions listed for its external id: the one that names the
 * invoice (product_data.payment_link_id, or product_id), else the only one of the paid amount (exact
 * minor units). External ids are not unique at Xendit (invoices made outside the gateway), so two
 * that fit are never guessed between. FAILED, VOIDED and REVERSED transactions moved no money
 * (docs.xendit.co Transactions API, TransactionStatuses) and never count.
 */
function pickPaymentTransaction(
  list: z.infer<typeof transactionsSchema>,
  invoice: FeeTaxQuery,
): { kind: 'found'; transaction: TransactionJson } | Exclude<FeeTaxLookup, { kind: 'found' }> {
  const candidates = list.data.filter(
    (t) =>
      t.reference_id === invoice.externalId &&
      t.status !== 'FAILED' &&
      t.status !== 'VOIDED' &&
      t.status !== 'REVERSED' &&
      (t.currency == null || t.currency === invoice.currency) &&
      minorOrNull(t.amount, invoice.currency) === invoice.paidAmount,
  );
  const named = candidates.find((t) => t.product_data?.payment_link_id === invoice.id) ?? candidates.find((t) => t.product_id === invoice.id);
  if (named) return { kind: 'found', transaction: named };
  const more = list.has_more === true;
  if (candidates.length === 1 && !more) return { kind: 'found', transaction: candidates[0] };
  if (!candidates.length && !more) return { kind: 'not_found' };
  return { kind: 'ambiguous', count: candidates.length, more };
}

function minorOrNull(value: number, currency: Currency): number | null {
  try {
    return toMinor(numberToDecimal(value), currency);
  } catch {
    return null;
  }
}

/** The Transactions API (balance_and_transaction) with the same fetch as invoiceApi. */
function transactionApi(secretKey: string, apiUrl: string, signal: AbortSignal, seen: { retryAfter?: string | null }): RawTransactionApi {
  const api = new TransactionApi({ secretKey, xenditURL: apiUrl });
  const fetchApi = async (url: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const res = await fetch(url, { ...init, signal });
    seen.retryAfter = res.headers.get('retry-after');
    return res;
  };
  (api as unknown as { configuration: Configuration }).configuration = new Configuration({ basePath: apiUrl, fetchApi });
  return api as unknown as RawTransactionApi;
}

/**
 * A per-call InvoiceApi whose fetch carries our abort signal and remembers Retry-After (the SDK's
 * error keeps only the body). The SDK builds its Configuration internally, so we replace it.
 */
function invoiceApi(secretKey: string, apiUrl: string, signal: AbortSignal, seen: { retryAfter?: string | null }): RawInvoiceApi {
  const api = new InvoiceApi({ secretKey, xenditURL: apiUrl });
  const fetchApi = async (url: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const res = await fetch(url, { ...init, signal });
    seen.retryAfter = res.headers.get('retry-after');
    return res;
  };
  (api as unknown as { configuration: Configuration }).configuration = new Configuration({ basePath: apiUrl, fetchApi });
  return api as unknown as RawInvoiceApi;
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
  };
}

async function json(res: RawResponse): Promise<unknown> {
  try {
    return await res.raw.json();
  } catch (err) {
    if (err instanceof SyntaxError) throw unexpected('body is not JSON');
    throw err;
  }
}

function parseInvoice(body: unknown): XenditInvoice {
  const parsed = invoiceSchema.safeParse(body);
  if (!parsed.success) throw unexpected(`invoice: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  const j: InvoiceJson = parsed.data;
  const minor = (value: number, field: string) => {
    try {
      return toMinor(numberToDecimal(value), j.currency);
    } catch (err) {
      if (err instanceof AmountError) throw unexpected(`${field} ${value} is not a valid ${j.currency} amount`);
      throw err;
    }
  };
  return {
    id: j.id,
    externalId: j.external_id,
    status: j.status,
    currency: j.currency,
    amount: minor(j.amount, 'amount'),
    invoiceUrl: j.invoice_url,
    ...(j.paid_amount != null ? { paidAmount: minor(j.paid_amount, 'paid_amount') } : {}),
    ...feesOf(j.fees_paid_amount, j.currency),
    ...(j.paid_at ? { paidAt: j.paid_at } : {}),
    ...(j.payment_method ? { paymentMethod: j.payment_method } : {}),
    ...(j.description ? { description: j.description } : {}),
    ...(j.payer_email ? { payerEmail: j.payer_email } : {}),
    ...customerOf(j.customer),
    ...itemsOf(j.items, j.currency),
  };
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

// ---------- errors ----------

function toUpstreamError(err: unknown, retryAfter: string | null | undefined, now: () => Date): UpstreamError {
  if (err instanceof UpstreamError) return err;
  if (err instanceof XenditSdkError) return fromSdkError(err, retryAfter, now);
  // fetch failures: TypeError('fetch failed') with a cause, AbortError, the SDK's FetchError.
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  const detail = [e?.message, e?.cause?.code ?? e?.cause?.message].filter(Boolean).join(': ');
  return new UpstreamError('xendit', 'unavailable', `network error: ${detail || 'unknown'}`);
}

function fromSdkError(err: XenditSdkError, retryAfter: string | null | undefined, now: () => Date): UpstreamError {
  // Typed as string, but the SDK stores the HTTP status number.
  const status = Number(err.status);
  const message = [err.errorCode, err.errorMessage].filter(Boolean).join(': ') || `HTTP ${status}`;
  if (!Number.isInteger(status) || status === 0) return new UpstreamError('xendit', 'unavailable', message);
  if (status === 401 || status === 403) return new UpstreamError('xendit', 'unauthorized', message, status);
  if (status === 429) return new UpstreamError('xendit', 'rate_limited', message, status, retryAfterSeconds(retryAfter, now));
  if (status >= 500 || status === 408) return new UpstreamError('xendit', 'unavailable', message, status);
  return new UpstreamError('xendit', 'rejected', message, status);
}

function retryAfterSeconds(raw: string | null | undefined, now: () => Date): number | undefined {
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now().getTime()) / 1000));
}

function unexpected(what: string): UpstreamError {
  return new UpstreamError('xendit', 'unavailable', `unexpected response: ${what}`);
}
