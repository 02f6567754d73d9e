/**
 * Customer credit notes (ACCRECCREDIT) and their cash refunds, as far as the gateway uses them:
 * PUT/POST /CreditNotes (xero_accounting.yaml createCreditNotes: Type, Contact, LineItems with an
 * AccountCode, Status, Reference), GET /CreditNotes with `where`, and PUT /Payments with a
 * CreditNote instead of an Invoice, which pays the credit out of a bank account (PaymentType
 * ARCREDITPAYMENT; no more than the credit note's RemainingCredit; a fully refunded credit note is
 * PAID). developer.xero.com/documentation/api/accounting/creditnotes and …/payments.
 * Lines carry a TaxType as on invoices; like the simulated invoices, tax is computed on
 * tax-inclusive lines (LineAmountTypes Inclusive: the line amount includes its tax, so the total
 * is the sum of the lines).
 */
import { lockDateError } from './lock-dates.js';
import { allocateToInvoice } from './invoices.js';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { contactFieldRefusals } from './contact-fields.js';
import { currencyError } from './currencies.js';
import { dayStart, isoDate, money, msDate, parseScaled, readDate, roundDiv } from './decimals.js';
import { validationBody } from './errors.js';
import { asArray, envelope, org, remember, replayed } from './http.js';
import { addRefundPayment, refundPaymentTerms } from './refund-payments.js';
import { lineAccountError, lineDescription } from './line-items.js';
import type { XeroSimulator } from './simulator.js';
import type { SimCreditNote, SimInvoice, SimOrganisation, SimRefundPayment } from './state.js';
import { inclusiveTax, unusableTaxTypeMessage, usableTaxRate } from './tax-rates.js';

/** Kept on the organisation, so the demo's saved state keeps them across a restart. */
export function creditNotesOf(o: SimOrganisation): Map<string, SimCreditNote> {
  return (o.creditNotes ??= new Map());
}

export function createCreditNotesRoute(sim: XeroSimulator, req: Request, res: Response, at: Date): void {
  const o = org(res);
  if (replayed(o, req, res, at)) return;
  const items = asArray(req.body, 'CreditNotes');
  const planned: SimCreditNote[] = [];
  let answer: { status: number; body: unknown } | undefined;
  for (const raw of items) {
    const errors: string[] = [];
    const note = validateCreditNote(o, raw, errors, at);
    if (errors.length || !note) {
      answer = { status: 400, body: validationBody(errors, raw) };
      break;
    }
    planned.push(note);
  }
  if (!items.length) answer = { status: 400, body: validationBody(['No credit notes were supplied']) };
  if (!answer) {
    for (const n of planned) creditNotesOf(o).set(n.creditNoteId, n);
    answer = { status: 200, body: envelope(at, { CreditNotes: planned.map(creditNoteJson) }) };
  }
  remember(o, req, at, answer.status, answer.body);
  if (sim.faults.dropIfArmed(req, res)) return;
  res.status(answer.status).json(answer.body);
}

function validateCreditNote(o: SimOrganisation, raw: Record<string, unknown>, errors: string[], at: Date): SimCreditNote | undefined {
  if (raw.Type !== 'ACCRECCREDIT') errors.push(`The simulator supports Type ACCRECCREDIT only, not ${String(raw.Type)}`);
  const contactRef = (raw.Contact ?? {}) as Record<string, unknown>;
  const contact = [...o.contacts.values()].find((c) => c.contactId === contactRef.ContactID);
  if (!contact) errors.push('The contact could not be found');
  // The fields it is given beside its ContactID under the limits of PUT /Contacts.
  else errors.push(...contactFieldRefusals(contactRef));
  const date = raw.Date === undefined ? isoDate(at) : readDate(raw.Date);
  if (!date) errors.push('Date is not a valid date');
  const locked = lockDateError(o, date);
  if (locked) errors.push(locked);
  const currencyCode = typeof raw.CurrencyCode === 'string' ? raw.CurrencyCode : o.baseCurrency;
  const currencyRefused = currencyError(o, currencyCode);
  if (currencyRefused) errors.push(currencyRefused);
  const lineAmountTypes = raw.LineAmountTypes ?? 'Exclusive';
  if (lineAmountTypes !== 'NoTax' && lineAmountTypes !== 'Inclusive')
    errors.push(`The simulator supports LineAmountTypes NoTax and Inclusive only, not ${String(lineAmountTypes)}`);
  const lineItems = ((raw.LineItems ?? []) as Record<string, unknown>[]).map((li) => {
    const code = String(li.AccountCode ?? '');
    const accountError = lineAccountError(o, code);
    if (accountError) errors.push(accountError);
    const quantity = parseScaled(li.Quantity ?? 1, 4);
    const unitAmount = parseScaled(li.UnitAmount ?? 0, 4);
    if (quantity === undefined || unitAmount === undefined) errors.push('Line item Quantity and UnitAmount must be numbers with at most 4 decimals');
    const lineAmount = roundDiv((quantity ?? 0n) * (unitAmount ?? 0n), 1_000_000n);
    const taxType = li.TaxType === undefined || lineAmountTypes === 'NoTax' ? 'NONE' : String(li.TaxType);
    const taxRate = taxType === 'NONE' ? undefined : usableTaxRate(o.taxRates, taxType, 'ACCREC');
    if (taxType !== 'NONE' && !taxRate) errors.push(unusableTaxTypeMessage(taxType));
    return {
      description: lineDescription(li.Description, errors),
      accountCode: code,
      lineAmount,
      taxType,
      taxAmount: taxRate ? inclusiveTax(lineAmount, taxRate) : 0n,
    };
  });
  if (!lineItems.length) errors.push('At least one line item is required');
  const total = lineItems.reduce((s, li) => s + li.lineAmount, 0n);
  if (lineItems.length && total <= 0n) errors.push('The total of a credit note must be positive');
  const status = raw.Status ?? 'DRAFT';
  if (status !== 'AUTHORISED') errors.push('The simulator creates AUTHORISED credit notes only');
  if (errors.length || !contact || !date) return undefined;
  return {
    creditNoteId: randomUUID(),
    contact,
    date,
    reference: typeof raw.Reference === 'string' ? raw.Reference : '',
    currencyCode,
    lineAmountTypes: lineAmountTypes === 'Inclusive' ? 'Inclusive' : 'NoTax',
    lineItems,
    total,
    totalTax: lineItems.reduce((s, li) => s + li.taxAmount, 0n),
    remaining: total,
    status: 'AUTHORISED',
    updatedAt: at,
  };
}

/** A payment on a credit note (its cash refund); errors say why Xero would refuse it. */
export function refundCreditNote(o: SimOrganisation, raw: Record<string, unknown>, errors: string[], at: Date): { save: () => SimRefundPayment } | undefined {
  const ref = (raw.CreditNote ?? {}) as Record<string, unknown>;
  const note = creditNotesOf(o).get(String(ref.CreditNoteID ?? ''));
  if (!note) errors.push('Credit note could not be found');
  else if (note.status !== 'AUTHORISED') errors.push('Credit note not of valid status for modification');
  const terms = refundPaymentTerms(o, raw, errors, at, note && { remaining: note.remaining, currencyCode: note.currencyCode });
  if (errors.length || !note || !terms) return undefined;
  return {
    save: () => {
      note.remaining -= terms.amount;
      if (note.remaining === 0n) note.status = 'PAID';
      note.updatedAt = at;
      return addRefundPayment(o, { paymentType: 'ARCREDITPAYMENT', documentId: note.creditNoteId, ...terms }, at);
    },
  };
}

/**
 * As when the merchant allocates part of the credit to one of the contact's invoices in Xero
 * (PUT /CreditNotes/{id}/Allocations, xero_accounting.yaml createCreditNoteAllocation): less is left
 * to pay out (RemainingCredit), and a credit note with none left is PAID; the invoice as
 * invoices.ts allocateToInvoice says.
 */
export function allocateCreditNote(o: SimOrganisation, creditNoteId: string, amount: bigint, invoiceId: string, at: Date): void {
  const note = creditNotesOf(o).get(creditNoteId);
  if (!note) throw new Error(`no credit note ${creditNoteId}`);
  const inv = o.invoices.get(invoiceId);
  if (!inv) throw new Error(`no invoice ${invoiceId}`);
  if (note.status !== 'AUTHORISED' || amount <= 0n || amount > note.remaining) throw new Error('allocation exceeds the remaining credit');
  allocateToInvoice(inv, { what: 'Credit Note', contactId: note.contact.contactId, currencyCode: note.currencyCode }, { creditNoteId, amount }, at);
  note.remaining -= amount;
  if (note.remaining === 0n) note.status = 'PAID';
  note.updatedAt = at;
}

/** As when the merchant raises a credit note to the invoice's contact in Xero and allocates `amount` of it to the invoice. */
export function creditInvoice(o: SimOrganisation, inv: SimInvoice, amount: bigint, at: Date): SimCreditNote {
  const code = o.accounts.find((a) => a.type === 'REVENUE')?.code ?? '200';
  const note: SimCreditNote = {
    creditNoteId: randomUUID(),
    contact: { ...inv.contact },
    date: isoDate(at),
    reference: `Credit for ${inv.invoiceNumber}`,
    currencyCode: inv.currencyCode,
    lineAmountTypes: 'NoTax',
    lineItems: [{ description: 'Credit', accountCode: code, lineAmount: amount, taxType: 'NONE', taxAmount: 0n }],
    total: amount,
    totalTax: 0n,
    remaining: amount,
    status: 'AUTHORISED',
    updatedAt: at,
  };
  creditNotesOf(o).set(note.creditNoteId, note);
  allocateCreditNote(o, note.creditNoteId, amount, inv.invoiceId, at);
  return note;
}

export function creditNoteJson(n: SimCreditNote): Record<string, unknown> {
  return {
    CreditNoteID: n.creditNoteId,
    Type: 'ACCRECCREDIT',
    Contact: { ContactID: n.contact.contactId, Name: n.contact.name },
    Date: msDate(dayStart(n.date)),
    Status: n.status,
    LineAmountTypes: n.lineAmountTypes,
    LineItems: n.lineItems.map((li) => ({
      Description: li.description,
      Quantity: 1,
      UnitAmount: money(li.lineAmount),
      AccountCode: li.accountCode,
      TaxType: li.taxType,
      TaxAmount: money(li.taxAmount),
      LineAmount: money(li.lineAmount),
    })),
    SubTotal: money(n.total - n.totalTax),
    TotalTax: money(n.totalTax),
    Total: money(n.total),
    RemainingCredit: money(n.remaining),
    UpdatedDateUTC: msDate(n.updatedAt),
    CurrencyCode: n.currencyCode,
    Reference: n.reference,
    HasErrors: false,
  };
}
