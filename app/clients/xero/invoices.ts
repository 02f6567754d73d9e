/** Sales invoices (Invoices): the one a customer pays, those the gateway creates for backend payments. */
import { nullWhenNotFound } from '../types.js';
import { allPages, hasMorePages, lookup, pageOf, searchTermFor, whereEquals, type XeroCalls } from './call.js';
import { queryChunks } from './batch.js';
import { firstCreated, refusedIfInvalid } from './errors.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import { invoiceBody, mapInvoice } from './mappers.js';
import { numberToDecimal } from '../../money.js';
import { INVOICE_IDS_PER_CALL, type XeroBudgetTicket, type XeroCredentials, type XeroGateway, type XeroInvoice } from './types.js';

export function invoiceCalls({
  call,
  refund,
}: XeroCalls): Pick<
  XeroGateway,
  'findInvoiceByNumber' | 'getInvoice' | 'getInvoicesByIds' | 'listOpenInvoiceNumbers' | 'findInvoicesByReference' | 'findBillsByNumber' | 'createInvoice'
> {
  /** One number read several ways: one call for all readings; the invoice only when exactly one reading names one. */
  async function readingsOfOneNumber(creds: XeroCredentials, readings: string[], prepaid?: XeroBudgetTicket): Promise<XeroInvoice | null> {
    // A comma would split a reading into two numbers in InvoiceNumbers (and `where` takes one number per call).
    if (readings.some((n) => n.includes(','))) return (refund(prepaid), null);
    const res = await call(
      creds,
      'findInvoiceByNumber',
      (api) => api.getInvoices(creds.tenantId, undefined, undefined, undefined, undefined, readings, undefined, undefined, 1),
      { prepaid },
    );
    const rows = res.body.invoices ?? [];
    const named = readings.map((n) => rows.filter((i) => (i.invoiceNumber ?? '').trim() === n)).filter((exact) => exact.length > 0);
    if (named.length !== 1) return null;
    const pick = named[0].find((i) => String(i.type) === 'ACCREC') ?? named[0][0];
    return mapInvoice(pick);
  }

  return {
    async findInvoiceByNumber(creds, invoiceNumber, prepaid) {
      const readings = [...new Set((typeof invoiceNumber === 'string' ? [invoiceNumber] : invoiceNumber).map((n) => n.trim()).filter(Boolean))];
      if (readings.length > 1) return readingsOfOneNumber(creds, readings, prepaid);
      const wanted = readings[0];
      if (!wanted) return (refund(prepaid), null);
      // InvoiceNumbers is a comma-separated list, so a number containing a comma needs `where`, and
      // one that also holds a quote or backslash (whereEquals) the searchTerm: its first page only,
      // as a click gets one call. page=1: without paging Xero lists invoices without line items and
      // with only a summary contact (no e-mail), and the Xendit invoice needs both (developer.xero.
      // com/documentation/api/accounting/invoices "GET Invoices"; xero_accounting.yaml getInvoices `page`).
      const where = wanted.includes(',') ? whereEquals('InvoiceNumber', wanted) : undefined;
      const term = wanted.includes(',') && !where ? searchTermFor(wanted) : undefined;
      if (wanted.includes(',') && !where && !term) return (refund(prepaid), null);
      const res = await call(
        creds,
        'findInvoiceByNumber',
        (api) =>
          api.getInvoices(
            creds.tenantId,
            undefined,
            where,
            undefined,
            undefined,
            wanted.includes(',') ? undefined : [wanted],
            undefined,
            undefined,
            1,
            undefined,
            undefined,
            undefined,
            undefined,
            undefined,
            term,
          ),
        { prepaid },
      );
      // Xero matches numbers case-insensitively; only an exact match is the invoice we were asked for.
      const exact = (res.body.invoices ?? []).filter((i) => (i.invoiceNumber ?? '').trim() === wanted);
      const pick = exact.find((i) => String(i.type) === 'ACCREC') ?? exact[0];
      return pick ? mapInvoice(pick) : null;
    },

    async getInvoice(creds, invoiceId) {
      const res = await nullWhenNotFound(() => call(creds, 'getInvoice', (api) => api.getInvoice(creds.tenantId, invoiceId)));
      const inv = res?.body.invoices?.[0];
      return inv ? mapInvoice(inv) : null;
    },

    async getInvoicesByIds(creds, invoiceIds) {
      if (invoiceIds.length === 0) return [];
      // IDs is a comma-separated filter of GET Invoices (xero_accounting.yaml getInvoices `IDs`): one
      // call for many. Unpaged, Xero leaves out line items, which a status check does not need.
      if (invoiceIds.length > INVOICE_IDS_PER_CALL) throw new RangeError(`at most ${INVOICE_IDS_PER_CALL} InvoiceIDs per call, not ${invoiceIds.length}`);
      // Split by the query string's length too (queryChunks): 50 Xero ids always fit one call.
      const chunks = queryChunks('IDs', [...invoiceIds], ',');
      if (!chunks) throw new RangeError('an InvoiceID too long for a query string');
      const found = [];
      for (const ids of chunks) {
        const res = await call(creds, 'getInvoicesByIds', (api) => api.getInvoices(creds.tenantId, undefined, undefined, undefined, ids.split(',')));
        found.push(...(res.body.invoices ?? []).map(mapInvoice));
      }
      return found;
    },

    async listOpenInvoiceNumbers(creds, page, pageSize) {
      // Statuses=AUTHORISED, Type ACCREC, one page (xero_accounting.yaml getInvoices: page, pageSize up to 1000).
      const res = await call(creds, 'listOpenInvoiceNumbers', (api) =>
        api.getInvoices(
          creds.tenantId,
          undefined,
          'Type=="ACCREC"',
          undefined,
          undefined,
          undefined,
          undefined,
          ['AUTHORISED'],
          page,
          undefined,
          undefined,
          undefined,
          true,
          pageSize,
        ),
      );
      const rows = res.body.invoices ?? [];
      // CurrencyCode, AmountDue and Total (xero_accounting.yaml Invoice): kept only when given and
      // readable, so a listing that leaves them out (summaryOnly) still gives the numbers.
      const decimal = (v: number | undefined) => {
        try {
          return typeof v === 'number' && v >= 0 ? numberToDecimal(v) : undefined;
        } catch {
          return undefined;
        }
      };
      const invoices = rows
        .map((i) => ({
          invoiceNumber: (i.invoiceNumber ?? '').trim(),
          ...(i.invoiceID ? { invoiceId: i.invoiceID } : {}),
          ...(i.updatedDateUTC instanceof Date && !Number.isNaN(i.updatedDateUTC.getTime()) ? { updatedAt: i.updatedDateUTC } : {}),
          ...(i.currencyCode ? { currencyCode: String(i.currencyCode) } : {}),
          ...(decimal(i.amountDue) !== undefined ? { amountDue: decimal(i.amountDue) } : {}),
          ...(decimal(i.total) !== undefined ? { total: decimal(i.total) } : {}),
        }))
        .filter((i) => i.invoiceNumber);
      // Xero may answer fewer a page than asked: a short page is not the last unless pagination says so,
      // or a complete read would forget every open invoice after it (jobs/sync/open-invoices.ts).
      const itemCount = res.body.pagination?.itemCount;
      return {
        invoices,
        more: hasMorePages(page, rows.length, pageSize, res.body.pagination),
        ...(typeof itemCount === 'number' ? { itemCount } : {}),
      };
    },

    async findBillsByNumber(creds, invoiceNumber) {
      const read = (where: string, page: number, numbers?: string[]) =>
        call(creds, 'findBillsByNumber', (api) =>
          api.getInvoices(creds.tenantId, undefined, where, undefined, undefined, numbers, undefined, undefined, page),
        ).then((r) => pageOf(r.body.invoices, r.body.pagination));
      // By InvoiceNumbers, a list parameter Xero optimised (developer.xero.com/documentation/api/
      // accounting/invoices "Optimised filtering on a list of values"), which needs no quoting: a
      // number holding a quote is read by it too, not by every bill. One it would split (a comma) or
      // trim goes by `where` (lookup). Paged either way (lookup's reasons).
      const listable = invoiceNumber.trim() === invoiceNumber && invoiceNumber !== '' && !invoiceNumber.includes(',');
      const rows = listable
        ? await allPages(
            (page) => read('Type=="ACCPAY"', page, [invoiceNumber]),
            (i) => i.invoiceID,
          )
        : await lookup(
            whereEquals('InvoiceNumber', invoiceNumber),
            (where, page) => read(where ? `Type=="ACCPAY" AND ${where}` : 'Type=="ACCPAY"', page),
            (i) => i.invoiceID,
          );
      return rows
        .filter((i) => String(i.type) === 'ACCPAY' && i.invoiceNumber === invoiceNumber && !['DELETED', 'VOIDED'].includes(String(i.status)))
        .map(mapInvoice);
    },

    async findInvoicesByReference(creds, reference) {
      const rows = await lookup(
        whereEquals('Reference', reference),
        (where, page) =>
          call(creds, 'findInvoicesByReference', (api) =>
            api.getInvoices(creds.tenantId, undefined, where, undefined, undefined, undefined, undefined, undefined, page),
          ).then((r) => pageOf(r.body.invoices, r.body.pagination)),
        (i) => i.invoiceID,
      );
      return rows.filter((i) => i.reference === reference && !['DELETED', 'VOIDED'].includes(String(i.status))).map(mapInvoice);
    },

    async createInvoice(creds, invoice, idempotencyKey) {
      const body = { invoices: [invoiceBody(invoice)] };
      const res = await call(
        creds,
        'createInvoice',
        (api) => api.createInvoices(creds.tenantId, body, undefined, 4, idempotencyKeyFor(idempotencyKey, 'createInvoice', body)),
        { purpose: 'payment-write', write: true },
      );
      return mapInvoice(refusedIfInvalid(firstCreated(res.body.invoices, 'createInvoices answered without an invoice')));
    },
  };
}
