/**
 * The shape Xero gives invoices in a list read without `page`.
 *
 * Xero: "When you retrieve multiple invoices, only a summary of the contact is returned and no line
 * details are returned ... The line item details will be returned when you retrieve an individual
 * invoice, either by specifying Invoice ID or Invoice Number or by using the optional paging
 * parameter" (developer.xero.com/documentation/api/accounting/invoices, "GET Invoices";
 * xero_accounting.yaml getInvoices `page`: "Up to 100 invoices will be returned in a single API call
 * with line items"). Seen in the field: xero-node#200, xero-ruby#9 (LineItems always []).
 * A simulator that answered the full shape hid a gateway that sent the customer to Xendit without
 * items or e-mail.
 */
export function summaryInvoiceJson(full: Record<string, unknown>): Record<string, unknown> {
  const contact = (full.Contact ?? {}) as Record<string, unknown>;
  return {
    ...full,
    LineItems: [],
    // The summary contact: identity and status, no e-mail, persons or addresses' content.
    Contact: {
      ContactID: contact.ContactID,
      Name: contact.Name,
      ContactStatus: contact.ContactStatus,
      Addresses: [],
      Phones: [],
      ContactGroups: [],
      ContactPersons: [],
      HasValidationErrors: false,
    },
  };
}

/** Xero's `page` counts from 1; any other value (or none) lists everything, in the summary shape. */
export function isPaged(query: Record<string, unknown>): boolean {
  const page = Number(query.page);
  return Number.isInteger(page) && page >= 1;
}

/**
 * GET Invoices with summaryOnly=true: "a smaller version of the response object. This returns only
 * lightweight fields, excluding computation-heavy fields from the response" (xero_accounting.yaml
 * parameters/summaryOnly). Which fields is not listed: the summary shape above, less its line items
 * and allocations (Payments, CreditNotes, Prepayments, Overpayments) altogether, the stricter
 * reading, so a gateway reading such a list copes with fields left out. Totals, AmountDue and the
 * currency stay: a gateway that needs one reads it only when given (clients/xero/invoices.ts).
 */
export function summaryOnlyInvoiceJson(full: Record<string, unknown>): Record<string, unknown> {
  const { LineItems: _lines, Payments: _payments, CreditNotes: _credits, Prepayments: _pre, Overpayments: _over, ...light } = summaryInvoiceJson(full);
  return light;
}

export function isSummaryOnly(query: Record<string, unknown>): boolean {
  return String(query.summaryOnly).toLowerCase() === 'true';
}
