/**
 * Xero's high volume threshold on GET Payments. An organisation with more than 100 000 payments
 * must be read page by page, with only the filters Xero optimised for it; anything else is refused
 * with a 400 "Your request is not filtering payments efficiently, given the extremely high volume
 * for this organisation" (Xero's announcement and that answer: XeroAPI/xero-php-oauth2-app#30 and
 * #31; the exception's type and number, HighVolumeException 51: XeroAPI/Xero-NetStandard#604).
 * The optimised filters, as developer.xero.com/documentation/api/efficient-data-retrieval lists
 * them (quoted by CData's Xero driver, "Optimized Filters and High Volume Thresholds", Payments):
 * alone or in an AND, PaymentType, Status, Date, Invoice.InvoiceID and Reference; in an OR, only
 * Invoice.InvoiceID and PaymentID; order by PaymentID, UpdatedDateUTC or Date. So an OR of
 * References, or any Account.AccountID, is refused past the threshold.
 */
import type { Request, Response } from 'express';
import { parseWhere } from './filters.js';
import { isPaged } from './invoice-summary.js';

/** Payments an organisation may hold before the rule applies (test API highVolumeThreshold to lower it). */
export const PAYMENTS_HIGH_VOLUME = 100_000;

const IN_AND = new Set(['paymenttype', 'status', 'date', 'invoice.invoiceid', 'reference']);
const IN_OR = new Set(['invoice.invoiceid', 'paymentid']);
const ORDER = new Set(['paymentid', 'updateddateutc', 'date']);

/** Answers the 400 and returns true when the read is not one Xero takes from an organisation this large. */
export function refusedForVolume(req: Request, res: Response, payments: number, threshold: number): boolean {
  if (payments <= threshold || optimised(req)) return false;
  res.status(400).json({
    ErrorNumber: 51,
    Type: 'HighVolumeException',
    Message:
      'Your request is not filtering Payments efficiently, given the extremely high volume for this organisation. ' +
      'Please check https://developer.xero.com/documentation/api/efficient-data-retrieval for tips on making Payment retrieval more efficient.',
  });
  return true;
}

function optimised(req: Request): boolean {
  if (!isPaged(req.query)) return false; // "Don't request all payments in a single request (i.e. you must use paging)"
  const order = typeof req.query.order === 'string' ? req.query.order : '';
  for (const part of order.split(',').filter((p) => p.trim())) {
    if (!ORDER.has(part.trim().split(/\s+/)[0].toLowerCase())) return false;
  }
  const groups = parseWhere(typeof req.query.where === 'string' ? req.query.where : '');
  if (!groups) return true; // a `where` it cannot parse gets Xero's own answer to that (filters.ts)
  const field = (path: string[]) => path.join('.').toLowerCase();
  if (groups.length <= 1) return (groups[0] ?? []).every((c) => IN_AND.has(field(c.path)));
  return groups.every((g) => g.length === 1 && IN_OR.has(field(g[0].path)));
}
