/**
 * Invoices: made by tests (addInvoice) or PUT/POST /Invoices, listed and found like Xero, and their
 * JSON.
 */
import { lockDateError } from './lock-dates.js';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { XeroInvoice } from '../../clients/xero/types.js';
import { inclusiveTax, unusableTaxTypeMessage, usableTaxRate, type SimTaxRate } from './tax-rates.js';
import { contactFieldRefusals } from './contact-fields.js';
import { contactFor, contactJson } from './contacts.js';
import { currencyError } from './currencies.js';
import { dayStart, formatScaled, isoDate, money, msDate, parseScaled, readDate, roundDiv, unitAmountJson, unitDpOf } from './decimals.js';
import { validationError } from './errors.js';
import { asArray, envelope, org, remember, replayed } from './http.js';
import {
  type NewSimInvoice,
  type SimInvoice,
  type SimInvoiceStatus,
  type SimInvoiceType,
  type SimOrganisation,
  type SimPayment,
  type XeroSimState,
  requireOrg,
} from './state.js';
import { lineAccountError, lineDescription } from './line-items.js';
import type { XeroSimulator } from './simulator.js';

export interface InvoiceInput {
  invoiceNumber?: string;
  type: SimInvoiceType;
  status: SimInvoiceStatus;
  contact: { name: string; email?: string };
  currency: string;
  lineAmountTypes?: SimInvoice['lineAmountTypes'];
  lineItems: { description: string; quantity: bigint; unitAmount: bigint; accountCode?: string; taxRate?: SimTaxRate }[];
  reference: string;
  date: string;
  dueDate: string;
}

export function addInvoice(state: XeroSimState, input: NewSimInvoice, at: Date): { invoiceId: string; invoiceNumber: string } {
  const o = requireOrg(state, input.tenantId);
  const refused = input.currency === undefined ? undefined : currencyError(o, input.currency);
  if (refused) throw new Error(`${refused} (test API addCurrency first)`);
  const lineItems = input.lineItems.map((li) => {
    const quantity = parseScaled(li.quantity ?? '1', 4);
    const unitAmount = parseScaled(li.unitAmount, 4);
    if (quantity === undefined || unitAmount === undefined) throw new Error(`bad line item amounts: ${JSON.stringify(li)}`);
    const taxRate = li.taxType ? usableTaxRate(o.taxRates, li.taxType, input.type ?? 'ACCREC') : undefined;
    if (li.taxType && !taxRate) throw new Error(unusableTaxTypeMessage(li.taxType));
    return { description: li.description, quantity, unitAmount, ...(li.accountCode ? { accountCode: li.accountCode } : {}), ...(taxRate ? { taxRate } : {}) };
  });
  const inv = createInvoice(
    o,
    {
      invoiceNumber: input.invoiceNumber,
      type: input.type ?? 'ACCREC',
      status: input.status ?? 'AUTHORISED',
      contact: input.contact,
      currency: input.currency ?? o.baseCurrency,
      lineItems,
      ...(lineItems.some((li) => li.taxRate) ? { lineAmountTypes: 'Inclusive' as const } : {}),
      reference: input.reference ?? '',
      date: input.date ?? isoDate(at),
      dueDate: input.dueDate ?? input.date ?? isoDate(at),
    },
    at,
  );
  const paid = input.amountPaid !== undefined ? parseScaled(input.amountPaid, 2) : inv.status === 'PAID' ? inv.total : 0n;
  if (paid === undefined) throw new Error(`bad amountPaid: ${input.amountPaid}`);
  if (paid > 0n) recordOpeningPayment(o, inv, paid, at);
  return { invoiceId: inv.invoiceId, invoiceNumber: inv.invoiceNumber };
}

export function toGatewayInvoice(inv: SimInvoice): XeroInvoice {
  return {
    invoiceId: inv.invoiceId,
    invoiceNumber: inv.invoiceNumber,
    type: inv.type,
    status: inv.status,
    currencyCode: inv.currencyCode,
    total: formatScaled(inv.total, 2),
    amountDue: formatScaled(amountDue(inv), 2),
    amountPaid: formatScaled(inv.amountPaid, 2),
    contactName: inv.contact.name,
    ...(inv.contact.email ? { contactEmail: inv.contact.email } : {}),
    lineItems: inv.lineItems.map((li) => ({
      description: li.description,
      quantity: formatScaled(li.quantity, 4),
      unitAmount: formatScaled(li.unitAmount, 4),
      lineAmount: formatScaled(li.lineAmount, 2),
    })),
  };
}

export function recordOpeningPayment(o: SimOrganisation, inv: SimInvoice, amount: bigint, at: Date): void {
  // Not into the seeded 'Xendit' clearing account, so its balance shows only the gateway's work.
  const banks = o.accounts.filter((a) => a.type === 'BANK');
  const bank = banks.find((a) => a.name !== 'Xendit') ?? banks[0];
  if (!bank) throw new Error('no bank account to record the opening payment');
  const p: SimPayment = {
    paymentId: randomUUID(),
    invoiceId: inv.invoiceId,
    accountId: bank.accountId,
    date: inv.date,
    amount,
    reference: 'Opening payment',
    status: 'AUTHORISED',
    updatedAt: at,
  };
  o.payments.set(p.paymentId, p);
  inv.amountPaid += amount;
  if (inv.amountPaid >= inv.total && inv.status === 'AUTHORISED') markPaid(inv, p.date);
}

/** Xero's line arithmetic: each line's amount from quantity × unit price (4 decimals), its tax, and the totals. */
export function computeLines(lines: InvoiceInput['lineItems']): Pick<SimInvoice, 'lineItems' | 'total' | 'totalTax'> {
  const lineItems = lines.map((li) => {
    const lineAmount = roundDiv(li.quantity * li.unitAmount, 1_000_000n);
    return {
      lineItemId: randomUUID(),
      description: li.description,
      ...(li.accountCode ? { accountCode: li.accountCode } : {}),
      quantity: li.quantity,
      unitAmount: li.unitAmount,
      lineAmount,
      taxType: li.taxRate?.taxType ?? 'NONE',
      taxAmount: li.taxRate ? inclusiveTax(lineAmount, li.taxRate) : 0n,
    };
  });
  return { lineItems, total: lineItems.reduce((sum, li) => sum + li.lineAmount, 0n), totalTax: lineItems.reduce((sum, li) => sum + li.taxAmount, 0n) };
}

export function createInvoice(o: SimOrganisation, input: InvoiceInput, at: Date): SimInvoice {
  const { lineItems, total, totalTax } = computeLines(input.lineItems);
  const invoiceNumber = input.invoiceNumber ?? (input.type === 'ACCREC' ? `INV-${String(o.nextInvoiceNumber++).padStart(4, '0')}` : '');
  const inv: SimInvoice = {
    invoiceId: randomUUID(),
    invoiceNumber,
    type: input.type,
    status: input.status,
    contact: { ...contactFor(o, input.contact.name, input.contact.email) },
    currencyCode: input.currency,
    reference: input.reference,
    lineAmountTypes: input.lineAmountTypes ?? 'NoTax',
    lineItems,
    total,
    totalTax,
    amountPaid: 0n,
    date: input.date,
    dueDate: input.dueDate,
    updatedAt: at,
  };
  o.invoices.set(inv.invoiceId, inv);
  return inv;
}

export function markPaid(inv: SimInvoice, on: string): void {
  inv.status = 'PAID';
  inv.fullyPaidOn = on;
}

/** Xero's AmountDue: what neither payments nor allocated credit notes covered (xero_accounting.yaml Invoice.AmountCredited). */
export function amountDue(inv: SimInvoice): bigint {
  return inv.status === 'VOIDED' || inv.status === 'DELETED' ? 0n : inv.total - inv.amountPaid - amountCredited(inv);
}

/** Invoice.AmountCredited: "Sum of all credit notes, over-payments and pre-payments applied to invoice". */
export function amountCredited(inv: SimInvoice): bigint {
  return (inv.credits ?? []).reduce((sum, c) => sum + c.amount, 0n);
}

export type CreditAllocation = Omit<NonNullable<SimInvoice['credits']>[number], 'date'>;

/**
 * Credit of a credit note, overpayment or prepayment allocated to an invoice, one rule for all three
 * (PUT /CreditNotes|Overpayments|Prepayments/{id}/Allocations, xero_accounting.yaml Allocation: "the
 * amount being applied to the invoice"): AmountCredited rises and AmountDue falls by as much
 * (Invoice.AmountCredited: "Sum of all credit notes, over-payments and pre-payments applied to
 * invoice"), and an invoice with nothing left due is PAID by the credit alone, AmountPaid unchanged
 * (XeroAPI/xero-python#183: the Demo Company's INV-0005 "paid with Credit Note CN-0015"). Xero
 * refuses one to an invoice "already paid off" or above "amount outstanding" (its messages in
 * waynerobinson/xeroizer#320), so the UI's offer: the contact's approved sales invoices in the
 * document's currency, up to what each has due. Throws before changing anything; the caller takes
 * the amount off its document after.
 */
export function allocateToInvoice(inv: SimInvoice, from: { what: string; contactId: string; currencyCode: string }, credit: CreditAllocation, at: Date): void {
  if (inv.type !== 'ACCREC' || inv.status !== 'AUTHORISED' || inv.contact.contactId !== from.contactId || inv.currencyCode !== from.currencyCode)
    throw new Error(`a ${from.what} is allocated only to its contact's approved sales invoices in its currency`);
  if (credit.amount > amountDue(inv)) throw new Error(`${from.what} cannot be allocated as amount is greater than amount outstanding`);
  const date = isoDate(at);
  (inv.credits ??= []).push({ ...credit, date });
  inv.updatedAt = at;
  if (amountDue(inv) === 0n) markPaid(inv, date);
}

/** An overpayment's or prepayment's Total (overpayments.ts creditIdOf: the document's id, else its bank transaction's in older saved state). */
const creditTotal = (o: SimOrganisation, id: string): bigint | undefined =>
  [...o.bankTransactions.values()].find((t) => (t.overpaymentId ?? t.prepaymentId ?? t.bankTransactionId) === id)?.total;

/** Invoice.CreditNotes, .Overpayments, .Prepayments: each document with the amount it applied here (AppliedAmount). */
function appliedJson(inv: SimInvoice, key: 'creditNoteId' | 'overpaymentId' | 'prepaymentId', idName: string, totalOf: (id: string) => bigint | undefined) {
  return (inv.credits ?? []).flatMap((c) => {
    const id = c[key];
    if (!id) return [];
    const total = totalOf(id);
    return [{ [idName]: id, Date: msDate(dayStart(c.date)), ...(total !== undefined ? { Total: money(total) } : {}), AppliedAmount: money(c.amount) }];
  });
}

/**
 * A payment or a credit note allocated: Xero will not void the invoice until they are removed ("This
 * document cannot be edited as it has a payment or credit note allocated to it": waynerobinson/xeroizer#211).
 */
export function hasAllocations(inv: SimInvoice): boolean {
  return inv.amountPaid > 0n || amountCredited(inv) > 0n;
}

export function findInvoice(o: SimOrganisation, idOrNumber: string): SimInvoice | undefined {
  return o.invoices.get(idOrNumber) ?? [...o.invoices.values()].find((i) => i.invoiceNumber === idOrNumber);
}

export function findInvoiceAnywhere(state: XeroSimState, idOrNumber: string, tenantId?: string): SimInvoice | undefined {
  const orgs = tenantId ? [requireOrg(state, tenantId)] : [...state.orgs.values()];
  for (const o of orgs) {
    const inv = findInvoice(o, idOrNumber);
    if (inv) return inv;
  }
  return undefined;
}

// Like Xero, InvoiceNumbers matches case-insensitively: callers must compare exactly themselves.
// searchTerm: "a case-insensitive text search across the fields e.g. InvoiceNumber, Reference"
// (xero_accounting.yaml components/parameters/searchTerm), taken here as a substring match.
export function listInvoices(o: SimOrganisation, query: Request['query']): SimInvoice[] {
  const term = typeof query.searchTerm === 'string' ? query.searchTerm.toLowerCase() : '';
  const list = (name: string) =>
    String(query[name] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const numbers = list('InvoiceNumbers').map((n) => n.toLowerCase());
  const ids = list('IDs').map((n) => n.toLowerCase());
  const statuses = list('Statuses');
  return [...o.invoices.values()].filter(
    (i) =>
      (!numbers.length || numbers.includes(i.invoiceNumber.toLowerCase())) &&
      (!ids.length || ids.includes(i.invoiceId.toLowerCase())) &&
      (!statuses.length || statuses.includes(i.status)) &&
      (!term || [i.invoiceNumber, i.reference].some((f) => f.toLowerCase().includes(term))),
  );
}

export function createInvoicesRoute(sim: XeroSimulator, req: Request, res: Response, at: Date): void {
  const o = org(res);
  if (replayed(o, req, res, at)) return;
  const items = asArray(req.body, 'Invoices');
  const errors: string[] = [];
  const inputs = items.map((raw) => readInvoiceInput(o, raw, at, errors));
  if (errors.length) return validationError(res, errors, items[0]);
  const created = inputs.map((input) => createInvoice(o, input!, at));
  const body = envelope(at, { Invoices: created.map((i) => invoiceJson(o, i, unitDpOf(req.query))) });
  remember(o, req, at, 200, body);
  if (sim.faults.dropIfArmed(req, res)) return;
  res.json(body);
}

export function readInvoiceInput(o: SimOrganisation, raw: Record<string, unknown>, at: Date, errors: string[]): InvoiceInput | undefined {
  const contact = (raw.Contact ?? {}) as Record<string, unknown>;
  const known = typeof contact.ContactID === 'string' ? [...o.contacts.values()].find((c) => c.contactId === contact.ContactID) : undefined;
  if (typeof contact.ContactID === 'string' && !known) errors.push('The contact could not be found');
  else if (!known && (typeof contact.Name !== 'string' || !contact.Name.trim())) errors.push('A Contact must be specified for this type of transaction');
  // The fields it is given under the limits of PUT /Contacts (one given by Name is made on first use).
  else errors.push(...contactFieldRefusals(contact));
  const type = raw.Type === 'ACCPAY' ? 'ACCPAY' : 'ACCREC';
  const status = (typeof raw.Status === 'string' ? raw.Status : 'DRAFT') as SimInvoiceStatus;
  if (!['DRAFT', 'SUBMITTED', 'AUTHORISED'].includes(status)) errors.push(`Invalid status for a new invoice: ${status}`);
  // Xero's default is Exclusive; the simulator computes tax only on tax-inclusive lines.
  const lineAmountTypes = raw.LineAmountTypes ?? 'Exclusive';
  if (lineAmountTypes !== 'NoTax' && lineAmountTypes !== 'Inclusive' && lineAmountTypes !== 'Exclusive')
    errors.push(`LineAmountTypes must be Exclusive, Inclusive or NoTax, not ${String(lineAmountTypes)}`);
  const lineItems = ((raw.LineItems ?? []) as Record<string, unknown>[]).map((li) => {
    const quantity = parseScaled(li.Quantity ?? 1, 4);
    const unitAmount = parseScaled(li.UnitAmount ?? 0, 4);
    if (quantity === undefined || unitAmount === undefined) errors.push('Line item Quantity and UnitAmount must be numbers with at most 4 decimals');
    const accountCode = li.AccountCode === undefined ? undefined : String(li.AccountCode);
    const accountError = accountCode === undefined ? undefined : lineAccountError(o, accountCode);
    if (accountError) errors.push(accountError);
    const taxType = li.TaxType === undefined ? 'NONE' : String(li.TaxType);
    const taxRate = taxType === 'NONE' ? undefined : usableTaxRate(o.taxRates, taxType, type);
    if (taxType !== 'NONE' && !taxRate) errors.push(unusableTaxTypeMessage(taxType));
    else if (taxRate && lineAmountTypes !== 'Inclusive')
      errors.push(`The simulator supports tax rates with LineAmountTypes Inclusive only, not ${String(lineAmountTypes)}`);
    return {
      description: lineDescription(li.Description, errors),
      quantity: quantity ?? 0n,
      unitAmount: unitAmount ?? 0n,
      accountCode,
      ...(taxRate ? { taxRate } : {}),
    };
  });
  const currency = typeof raw.CurrencyCode === 'string' ? raw.CurrencyCode : o.baseCurrency;
  const currencyRefused = currencyError(o, currency);
  if (currencyRefused) errors.push(currencyRefused);
  // An unreadable Date or DueDate is refused, as Xero refuses one on a payment or a credit note; only a missing one defaults.
  const date = raw.Date === undefined ? isoDate(at) : readDate(raw.Date);
  if (!date) errors.push('Date is not a valid date');
  const dueDate = raw.DueDate === undefined ? date : readDate(raw.DueDate);
  if (raw.DueDate !== undefined && !dueDate) errors.push('Due Date is not a valid date');
  if (errors.length || !date || !dueDate) return undefined;
  return {
    invoiceNumber: typeof raw.InvoiceNumber === 'string' && raw.InvoiceNumber ? raw.InvoiceNumber : undefined,
    type,
    status,
    contact: known
      ? { name: known.name, email: known.email }
      : { name: String(contact.Name), email: typeof contact.EmailAddress === 'string' ? contact.EmailAddress : undefined },
    currency,
    lineAmountTypes: lineAmountTypes as SimInvoice['lineAmountTypes'],
    lineItems,
    // xero_accounting.yaml, Invoice.Reference: "ACCREC only – additional reference number": a bill
    // keeps none (its supplier's number is its InvoiceNumber, shown as "Reference" in Xero's UI).
    reference: type === 'ACCREC' && typeof raw.Reference === 'string' ? raw.Reference : '',
    date: lockedOr(o, date, errors),
    dueDate,
  };
}

export function invoiceJson(o: SimOrganisation, inv: SimInvoice, unitDp: 2 | 4): Record<string, unknown> {
  const payments = [...o.payments.values()].filter((p) => p.invoiceId === inv.invoiceId && p.status !== 'DELETED');
  return {
    Type: inv.type,
    InvoiceID: inv.invoiceId,
    InvoiceNumber: inv.invoiceNumber,
    Reference: inv.reference,
    Payments: payments.map((p) => ({
      PaymentID: p.paymentId,
      Date: msDate(dayStart(p.date)),
      Amount: money(p.amount),
      Reference: p.reference,
      CurrencyRate: 1,
      HasAccount: true,
      HasValidationErrors: false,
    })),
    CreditNotes: appliedJson(inv, 'creditNoteId', 'CreditNoteID', (id) => o.creditNotes?.get(id)?.total),
    Prepayments: appliedJson(inv, 'prepaymentId', 'PrepaymentID', (id) => creditTotal(o, id)),
    Overpayments: appliedJson(inv, 'overpaymentId', 'OverpaymentID', (id) => creditTotal(o, id)),
    AmountDue: money(amountDue(inv)),
    AmountPaid: money(inv.amountPaid),
    AmountCredited: money(amountCredited(inv)),
    CurrencyRate: 1,
    IsDiscounted: false,
    HasAttachments: false,
    HasErrors: false,
    Contact: contactJson(inv.contact),
    DateString: `${inv.date}T00:00:00`,
    Date: msDate(dayStart(inv.date)),
    DueDateString: `${inv.dueDate}T00:00:00`,
    DueDate: msDate(dayStart(inv.dueDate)),
    Status: inv.status,
    LineAmountTypes: inv.lineAmountTypes,
    LineItems: inv.lineItems.map((li) => ({
      LineItemID: li.lineItemId,
      Description: li.description,
      Quantity: Number(formatScaled(li.quantity, 4)),
      UnitAmount: unitAmountJson(li.unitAmount, unitDp),
      TaxType: li.taxType,
      TaxAmount: money(li.taxAmount),
      LineAmount: money(li.lineAmount),
      AccountCode: li.accountCode ?? '200',
      Tracking: [],
    })),
    SubTotal: money(inv.total - inv.totalTax),
    TotalTax: money(inv.totalTax),
    Total: money(inv.total),
    UpdatedDateUTC: msDate(inv.updatedAt),
    CurrencyCode: inv.currencyCode,
    ...(inv.fullyPaidOn ? { FullyPaidOnDate: msDate(dayStart(inv.fullyPaidOn)) } : {}),
  };
}

function lockedOr(o: SimOrganisation, date: string, errors: string[]): string {
  const locked = lockDateError(o, date);
  if (locked) errors.push(locked);
  return date;
}
