/**
 * Xero's high volume thresholds on GET Payments and GET Invoices: past one, an organisation's list
 * is read only with the filters and orders Xero optimised for it; anything else is refused with a
 * 400 "Your request is not filtering Payments efficiently, given the extremely high volume for this
 * organisation" (Xero's announcement and that answer: XeroAPI/xero-php-oauth2-app#30 and #31; the
 * exception's type and number, HighVolumeException 51: XeroAPI/Xero-NetStandard#604; the same words
 * for Contacts: XeroAPI/xero-python#148).
 *
 * Payments, more than 100 000 (developer.xero.com/documentation/api/accounting/payments "High volume
 * threshold limit"; the filters as developer.xero.com/documentation/api/efficient-data-retrieval lists
 * them, quoted by CData's Xero driver, "Optimized Filters and High Volume Thresholds"): paged reads
 * only ("Don't request all payments in a single request (i.e. you must use paging)", #31); alone or
 * in an AND, PaymentType, Status, Date, Invoice.InvoiceID and Reference; in an OR, only
 * Invoice.InvoiceID and PaymentID; order by PaymentID, UpdatedDateUTC or Date. So an OR of
 * References, or any Account.AccountID, is refused past it.
 *
 * Invoices, more than 100 000 (developer.xero.com/documentation/api/accounting/invoices "High volume
 * threshold limit", which CData's driver gives as 500 000: Xero's own page is taken): "Requests that
 * have more than 100k invoices being returned in the response will be denied", so an unpaged read
 * only when what it returns is more; and one using unoptimised fields for filtering or ordering.
 * Optimised there: alone or in an AND, Status, Contact.ContactID, Contact.Name, Contact.ContactNumber,
 * Reference, InvoiceNumber, InvoiceId, Date, Type, AmountDue, AmountPaid, DueDate; in an OR only
 * InvoiceId; the list parameters IDs, InvoiceNumbers, ContactIDs, Statuses; order by InvoiceId,
 * UpdatedDateUTC or Date. Whether Xero counts an unoptimised read's rows or the organisation's is
 * not said: the organisation's is counted, as for Payments (#30: a read of a few refused).
 */
import type { Request, Response } from 'express';
import { matchesClause, parseWhere } from './filters.js';
import { isPaged } from './invoice-summary.js';

/** Rows an organisation may hold before a rule applies (test API highVolumeThreshold to lower them). */
export const PAYMENTS_HIGH_VOLUME = 100_000;
export const INVOICES_HIGH_VOLUME = 100_000;

export interface VolumeRule {
  /** The list's name in Xero's answer. */
  list: string;
  inAnd: Set<string>;
  inOr: Set<string>;
  order: Set<string>;
  /** Every unpaged read refused (Payments), or only one returning more than the threshold (Invoices). */
  pagedOnly: boolean;
}

export const PAYMENTS_RULE: VolumeRule = {
  list: 'Payments',
  inAnd: new Set(['paymenttype', 'status', 'date', 'invoice.invoiceid', 'reference']),
  inOr: new Set(['invoice.invoiceid', 'paymentid']),
  order: new Set(['paymentid', 'updateddateutc', 'date']),
  pagedOnly: true,
};

export const INVOICES_RULE: VolumeRule = {
  list: 'Invoices',
  inAnd: new Set([
    'status',
    'contact.contactid',
    'contact.name',
    'contact.contactnumber',
    'reference',
    'invoicenumber',
    'invoiceid',
    'date',
    'type',
    'amountdue',
    'amountpaid',
    'duedate',
  ]),
  inOr: new Set(['invoiceid']),
  order: new Set(['invoiceid', 'updateddateutc', 'date']),
  pagedOnly: false,
};

/**
 * Answers the 400 and returns true when the read is not one Xero takes from an organisation this
 * large. `rows`: the list as the read's query parameters leave it (its `where` is applied here only
 * to count what an unpaged read would return).
 */
export function refusedForVolume(req: Request, res: Response, rule: VolumeRule, held: number, threshold: number, rows: Record<string, unknown>[]): boolean {
  if (held <= threshold || optimised(req, rule, rows, threshold)) return false;
  res.status(400).json({
    ErrorNumber: 51,
    Type: 'HighVolumeException',
    Message:
      `Your request is not filtering ${rule.list} efficiently, given the extremely high volume for this organisation. ` +
      `Please check https://developer.xero.com/documentation/api/efficient-data-retrieval for tips on making ${rule.list.replace(/s$/, '')} retrieval more efficient.`,
  });
  return true;
}

function optimised(req: Request, rule: VolumeRule, rows: Record<string, unknown>[], threshold: number): boolean {
  const order = typeof req.query.order === 'string' ? req.query.order : '';
  for (const part of order.split(',').filter((p) => p.trim())) {
    if (!rule.order.has(part.trim().split(/\s+/)[0].toLowerCase())) return false;
  }
  const groups = parseWhere(typeof req.query.where === 'string' ? req.query.where : '');
  if (!groups) return true; // a `where` it cannot parse gets Xero's own answer to that (filters.ts)
  if (!isPaged(req.query)) {
    if (rule.pagedOnly) return false;
    const returned = groups.length ? rows.filter((row) => groups.some((g) => g.every((c) => matchesClause(row, c)))).length : rows.length;
    if (returned > threshold) return false;
  }
  const field = (path: string[]) => path.join('.').toLowerCase();
  if (groups.length <= 1) return (groups[0] ?? []).every((c) => rule.inAnd.has(field(c.path)));
  return groups.every((g) => g.length === 1 && rule.inOr.has(field(g[0].path)));
}
