/**
 * Spend and receive money (BankTransactions), overpayments included.
 */
import { lockDateError } from './lock-dates.js';
import { overpaymentIdOf, prepaymentIdOf } from './overpayments.js';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { contactFieldRefusals } from './contact-fields.js';
import { contactFor } from './contacts.js';
import { currencyError } from './currencies.js';
import { exclusiveTax, inclusiveTax, unusableTaxTypeMessage, usableTaxRate } from './tax-rates.js';
import { dayStart, formatScaled, isoDate, money, msDate, parseScaled, readDate, roundDiv, unitAmountJson, unitDpOf } from './decimals.js';
import { itemOk, itemRefused, validationBody } from './errors.js';
import { asArray, envelope, org, remember, replayed } from './http.js';
import { lineAccountError, lineDescription } from './line-items.js';
import type { XeroSimulator } from './simulator.js';
import { type SimBankTransaction, type SimOrganisation } from './state.js';

export function createBankTransactionsRoute(sim: XeroSimulator, req: Request, res: Response, at: Date): void {
  const o = org(res);
  if (replayed(o, req, res, at)) return;
  const answer = createBankTransactions(o, asArray(req.body, 'BankTransactions'), at, {
    summarizeErrors: req.query.summarizeErrors !== 'false',
    unitDp: unitDpOf(req.query),
  });
  remember(o, req, at, answer.status, answer.body);
  if (sim.faults.dropIfArmed(req, res)) return;
  res.status(answer.status).json(answer.body);
}

/** All or nothing by default; with summarizeErrors=false each one stands alone (see createPayments). */
export function createBankTransactions(
  o: SimOrganisation,
  items: Record<string, unknown>[],
  at: Date,
  opts: { summarizeErrors?: boolean; unitDp?: 2 | 4 } = {},
): { status: number; body: unknown } {
  if (!items.length) return { status: 400, body: validationBody(['No bank transactions were supplied']) };
  type Planned = { txn: Omit<SimBankTransaction, 'bankTransactionId' | 'contact' | 'updatedAt' | 'status'>; contactName: string };
  const results: ({ planned: Planned } | { refused: Record<string, unknown> })[] = [];
  for (const raw of items) {
    const errors: string[] = [];
    const t = validateBankTransaction(o, raw, errors, at);
    if (errors.length || !t) {
      if (opts.summarizeErrors !== false) return { status: 400, body: validationBody(errors, raw) };
      results.push({ refused: itemRefused(raw, errors) });
      continue;
    }
    results.push({ planned: t });
  }
  const answered = results.map((r) => {
    if ('refused' in r) return r.refused;
    const txn: SimBankTransaction = {
      ...r.planned.txn,
      bankTransactionId: randomUUID(),
      ...(r.planned.txn.type === 'RECEIVE-OVERPAYMENT' ? { overpaymentId: randomUUID() } : {}),
      contact: contactFor(o, r.planned.contactName),
      status: 'AUTHORISED',
      updatedAt: at,
    };
    o.bankTransactions.set(txn.bankTransactionId, txn);
    return { ...bankTransactionJson(o, txn, opts.unitDp), ...itemOk(opts) };
  });
  return { status: 200, body: envelope(at, { BankTransactions: answered }) };
}

export function validateBankTransaction(
  o: SimOrganisation,
  raw: Record<string, unknown>,
  errors: string[],
  at: Date,
): { txn: Omit<SimBankTransaction, 'bankTransactionId' | 'contact' | 'updatedAt' | 'status'>; contactName: string } | undefined {
  const type = raw.Type;
  const overpayment = type === 'RECEIVE-OVERPAYMENT';
  if (type !== 'SPEND' && type !== 'RECEIVE' && !overpayment)
    errors.push(`The simulator supports Type SPEND, RECEIVE and RECEIVE-OVERPAYMENT, not ${String(type)}`);
  const accRef = (raw.BankAccount ?? {}) as Record<string, unknown>;
  const bank = o.accounts.find((a) => a.accountId === accRef.AccountID || (accRef.Code !== undefined && a.code === accRef.Code));
  if (!bank) errors.push('Bank account could not be found');
  else if (bank.type !== 'BANK') errors.push(`Account code '${bank.code}' is not a bank account`);
  else if (bank.status !== 'ACTIVE') errors.push(`Account code '${bank.code}' has been archived`);
  const contact = (raw.Contact ?? {}) as Record<string, unknown>;
  const known = typeof contact.ContactID === 'string' ? [...o.contacts.values()].find((c) => c.contactId === contact.ContactID) : undefined;
  if (typeof contact.ContactID === 'string' && !known) errors.push('The contact could not be found');
  const contactName = known?.name ?? (typeof contact.Name === 'string' ? contact.Name.trim() : '');
  if (!contactName) errors.push('A Contact must be specified for this type of transaction');
  // The fields it is given under the limits of PUT /Contacts (one given by Name is made on first use).
  else errors.push(...contactFieldRefusals(contact));
  const currency = bank ? (bank.currencyCode ?? o.baseCurrency) : o.baseCurrency;
  if (typeof raw.CurrencyCode === 'string' && currencyError(o, raw.CurrencyCode)) errors.push(currencyError(o, raw.CurrencyCode)!);
  else if (typeof raw.CurrencyCode === 'string' && raw.CurrencyCode !== currency) {
    errors.push(`The currency (${raw.CurrencyCode}) must match the bank account currency (${currency})`);
  }
  const date = raw.Date === undefined ? isoDate(at) : readDate(raw.Date);
  if (!date) errors.push('Date is not a valid date');
  const locked = lockDateError(o, date);
  if (locked) errors.push(locked);
  // "Line amounts are exclusive of tax by default if you don't specify this element" (xero_accounting.yaml
  // LineAmountTypes, ~20662), and a line without a TaxType takes its account's (Account.TaxType).
  const lineAmountTypes = raw.LineAmountTypes ?? 'Exclusive';
  if (lineAmountTypes !== 'NoTax' && lineAmountTypes !== 'Inclusive' && lineAmountTypes !== 'Exclusive')
    errors.push(`LineAmountTypes must be Exclusive, Inclusive or NoTax, not ${String(lineAmountTypes)}`);
  const lineItems = ((raw.LineItems ?? []) as Record<string, unknown>[]).map((li) => {
    const quantity = parseScaled(li.Quantity ?? 1, 4);
    const unitAmount = parseScaled(li.UnitAmount ?? 0, 4);
    const code = String(li.AccountCode ?? '');
    // An overpayment's line carries no account: Xero holds it against Accounts Receivable as the contact's credit.
    if (overpayment) {
      if (code) errors.push('Account code cannot be specified on an overpayment line item');
    } else {
      // Any account of the chart that a line may take (line-items.ts), a current asset with payments enabled included.
      const accountError = lineAccountError(o, code);
      if (accountError) errors.push(accountError);
    }
    if (quantity === undefined || unitAmount === undefined) errors.push('Line item Quantity and UnitAmount must be numbers with at most 4 decimals');
    const lineAmount = roundDiv((quantity ?? 0n) * (unitAmount ?? 0n), 1_000_000n);
    const tax = lineTax(o, { lineAmountTypes, taxType: li.TaxType, accountCode: code, lineAmount, spend: type === 'SPEND' }, errors);
    return { lineItemId: randomUUID(), description: lineDescription(li.Description, errors), accountCode: code, quantity, unitAmount, lineAmount, ...tax };
  });
  if (!lineItems.length) errors.push('At least one line item is required');
  const totalTax = lineItems.reduce((sum, li) => sum + li.taxAmount, 0n);
  // Exclusive: the tax comes on top of the lines; Inclusive: it is inside them.
  const total = lineItems.reduce((sum, li) => sum + li.lineAmount, 0n) + (lineAmountTypes === 'Exclusive' ? totalTax : 0n);
  if (lineItems.length && total <= 0n) errors.push('The total of a bank transaction must be positive');
  if (errors.length || !bank || !date) return undefined;
  return {
    txn: {
      type: type as SimBankTransaction['type'],
      accountId: bank.accountId,
      date,
      reference: typeof raw.Reference === 'string' && takesReference(type) ? raw.Reference : '',
      currencyCode: currency,
      lineAmountTypes: lineAmountTypes as NonNullable<SimBankTransaction['lineAmountTypes']>,
      lineItems,
      total,
      totalTax,
      // IsReconciled on PUT creates the line reconciled (xero_accounting.yaml Payment.IsReconciled, BankTransaction.IsReconciled); only BANK accounts are reconciled in Xero.
      reconciled: raw.IsReconciled === true,
    },
    contactName,
  };
}

/** A line's TaxType (its own, else its account's default) and the tax it carries; NoTax carries none. */
function lineTax(
  o: SimOrganisation,
  li: { lineAmountTypes: unknown; taxType: unknown; accountCode: string; lineAmount: bigint; spend: boolean },
  errors: string[],
): { taxType: string; taxAmount: bigint } {
  if (li.lineAmountTypes === 'NoTax') return { taxType: 'NONE', taxAmount: 0n };
  const taxType = li.taxType === undefined ? (o.accounts.find((a) => a.code === li.accountCode)?.taxType ?? 'NONE') : String(li.taxType);
  if (taxType === 'NONE') return { taxType, taxAmount: 0n };
  const rate = usableTaxRate(o.taxRates, taxType, li.spend ? 'ACCPAY' : 'ACCREC');
  if (!rate) {
    errors.push(unusableTaxTypeMessage(taxType));
    return { taxType, taxAmount: 0n };
  }
  return { taxType, taxAmount: li.lineAmountTypes === 'Inclusive' ? inclusiveTax(li.lineAmount, rate) : exclusiveTax(li.lineAmount, rate) };
}

/**
 * xero_accounting.yaml BankTransaction.Reference: "Only supported for SPEND and RECEIVE
 * transactions" (and Prepayment.Reference: "Reference field isn't available"). Read strictly: an
 * overpayment's or a transfer side's Reference is neither kept nor shown, so `where Reference==`
 * never finds one. Some of Xero's examples do show one: code that finds them some other way is right either way.
 */
export const takesReference = (type: unknown): boolean => type === 'SPEND' || type === 'RECEIVE';

/**
 * A line's Quantity and UnitAmount are those it was sent, as on an invoice (xero_accounting.yaml
 * LineItem: Quantity, UnitAmount, LineAmount = Quantity × UnitAmount; `unitdp`: decimals.ts). A line
 * made without them (a transfer side, a test's) shows 1 × its amount.
 */
export function bankTransactionJson(o: SimOrganisation, t: SimBankTransaction, unitDp: 2 | 4 = 2): Record<string, unknown> {
  const bank = o.accounts.find((a) => a.accountId === t.accountId)!;
  return {
    BankTransactionID: t.bankTransactionId,
    Type: t.type,
    Contact: {
      ContactID: t.contact.contactId,
      Name: t.contact.name,
      Addresses: [],
      Phones: [],
      ContactGroups: [],
      ContactPersons: [],
      HasValidationErrors: false,
    },
    LineItems: t.lineItems.map((li) => {
      const account = o.accounts.find((a) => a.code === li.accountCode);
      return {
        LineItemID: li.lineItemId,
        Description: li.description,
        Quantity: li.quantity === undefined ? 1 : Number(formatScaled(li.quantity, 4)),
        UnitAmount: li.unitAmount === undefined ? money(li.lineAmount) : unitAmountJson(li.unitAmount, unitDp),
        TaxType: li.taxType ?? 'NONE',
        TaxAmount: money(li.taxAmount ?? 0n),
        LineAmount: money(li.lineAmount),
        ...(li.accountCode ? { AccountCode: li.accountCode } : {}),
        ...(account ? { AccountID: account.accountId } : {}),
        Tracking: [],
      };
    }),
    BankAccount: { AccountID: bank.accountId, Code: bank.code, Name: bank.name },
    ...(t.type === 'RECEIVE-OVERPAYMENT' ? { OverpaymentID: overpaymentIdOf(t) } : {}),
    // BankTransaction.PrepaymentID: "returned on BankTransactions with a Type of SPEND-PREPAYMENT or RECEIVE-PREPAYMENT".
    ...(t.type === 'RECEIVE-PREPAYMENT' ? { PrepaymentID: prepaymentIdOf(t) } : {}),
    IsReconciled: t.reconciled === true,
    DateString: `${t.date}T00:00:00`,
    Date: msDate(dayStart(t.date)),
    ...(takesReference(t.type) ? { Reference: t.reference } : {}),
    CurrencyCode: t.currencyCode,
    CurrencyRate: 1,
    Status: t.status,
    LineAmountTypes: t.lineAmountTypes ?? 'NoTax',
    SubTotal: money(t.total - (t.totalTax ?? 0n)),
    TotalTax: money(t.totalTax ?? 0n),
    Total: money(t.total),
    UpdatedDateUTC: msDate(t.updatedAt),
    HasAttachments: false,
  };
}
