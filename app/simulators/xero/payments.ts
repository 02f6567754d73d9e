/**
 * Payments against invoices: Xero's payment rules (all or nothing per request), and the Payment JSON.
 */
import { lockDateError } from './lock-dates.js';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { refundPaymentJson } from './refund-payments.js';
import { refundCreditNote } from './credit-notes.js';
import { refundOverpayment } from './overpayments.js';
import { contactJson } from './contacts.js';
import { dayStart, isoDate, money, msDate, parseScaled, readDate } from './decimals.js';
import { itemOk, itemRefused, validationBody } from './errors.js';
import { asArray, envelope, org, remember, replayed } from './http.js';
import { amountDue, findInvoice, markPaid } from './invoices.js';
import type { XeroSimulator } from './simulator.js';
import { type SimAccount, type SimInvoice, type SimOrganisation, type SimPayment, type SimRefundPayment } from './state.js';

export function createPaymentRoute(sim: XeroSimulator, req: Request, res: Response, at: Date, log?: Logger): void {
  const o = org(res);
  if (replayed(o, req, res, at)) return;
  const answer = createPayments(o, asArray(req.body, 'Payments'), at, { summarizeErrors: req.query.summarizeErrors !== 'false' });
  remember(o, req, at, answer.status, answer.body);
  log?.debug({ tenantId: o.tenantId, status: answer.status }, 'xero sim: payment request');
  if (sim.faults.dropIfArmed(req, res)) return;
  res.status(answer.status).json(answer.body);
}

export function recordPayment(
  o: SimOrganisation,
  p: { invoiceId: string; amount: string; accountId: string; reference: string; currencyRate?: string },
  at: Date,
): SimPayment {
  // currencyRate: what a person enters for a payment in another currency than the account's (xero_accounting.yaml Payment.CurrencyRate).
  const raw = {
    Invoice: { InvoiceID: p.invoiceId },
    Account: { AccountID: p.accountId },
    Amount: p.amount,
    Reference: p.reference,
    ...(p.currencyRate ? { CurrencyRate: p.currencyRate } : {}),
  };
  const errors: string[] = [];
  const planned = validatePayment(o, raw, errors, [], at);
  if (!planned) throw new Error(errors.join('; '));
  return savePayment(o, planned, at);
}

/**
 * By default all or nothing: one invalid payment refuses the request (400). With
 * `summarizeErrors=false` each payment stands alone: 200 with the saved ones and, in their places,
 * the refused ones carrying ValidationErrors (xero-node createPayments: "If false return 200 OK and
 * mix of successfully created objects and any with validation errors").
 */
export function createPayments(
  o: SimOrganisation,
  items: Record<string, unknown>[],
  at: Date,
  opts: { summarizeErrors?: boolean } = {},
): { status: number; body: unknown } {
  if (!items.length) return { status: 400, body: validationBody(['No payments were supplied']) };
  // Validated against the running amounts before any is saved: two on one invoice may not exceed what is due.
  const planned: { inv: SimInvoice; account: SimAccount; amount: bigint; date: string; reference: string; reconciled: boolean }[] = [];
  const results: ({ planned: (typeof planned)[number] } | { refused: Record<string, unknown> } | { credit: () => SimRefundPayment })[] = [];
  for (const raw of items) {
    const errors: string[] = [];
    if (raw.CreditNote !== undefined || raw.Overpayment !== undefined) {
      const credit = raw.CreditNote !== undefined ? refundCreditNote(o, raw, errors, at) : refundOverpayment(o, raw, errors, at);
      if (!credit || errors.length) {
        if (opts.summarizeErrors !== false) return { status: 400, body: validationBody(errors, raw) };
        results.push({ refused: itemRefused(raw, errors) });
      } else results.push({ credit: credit.save });
      continue;
    }
    const p = validatePayment(o, raw, errors, planned, at);
    if (errors.length || !p) {
      if (opts.summarizeErrors !== false) return { status: 400, body: validationBody(errors, raw) };
      results.push({ refused: itemRefused(raw, errors) });
      continue;
    }
    planned.push(p);
    results.push({ planned: p });
  }
  const answered = results.map((r) =>
    'refused' in r
      ? r.refused
      : 'credit' in r
        ? { ...refundJson(o, r.credit(), false), ...itemOk(opts) }
        : { ...paymentJson(o, savePayment(o, r.planned, at)), ...itemOk(opts) },
  );
  return { status: 200, body: envelope(at, { Payments: answered }) };
}

export function validatePayment(
  o: SimOrganisation,
  raw: Record<string, unknown>,
  errors: string[],
  earlier: { inv: SimInvoice; amount: bigint }[],
  at: Date,
): { inv: SimInvoice; account: SimAccount; amount: bigint; date: string; reference: string; reconciled: boolean } | undefined {
  const invRef = (raw.Invoice ?? {}) as Record<string, unknown>;
  const accRef = (raw.Account ?? {}) as Record<string, unknown>;
  const inv = findInvoice(o, String(invRef.InvoiceID ?? invRef.InvoiceNumber ?? ''));
  const account = o.accounts.find((a) => a.accountId === accRef.AccountID || (accRef.Code !== undefined && a.code === accRef.Code));
  const amount = parseScaled(raw.Amount, 2);
  const date = raw.Date === undefined ? isoDate(at) : readDate(raw.Date);

  if (!inv) errors.push('Invoice could not be found');
  if (!account) errors.push('Account could not be found');
  if (amount === undefined || amount <= 0n) errors.push('Payment amount must be a positive number with at most 2 decimal places');
  if (!date) errors.push('Payment date is not a valid date');
  const locked = lockDateError(o, date);
  if (locked) errors.push(locked);
  // Xero refuses (400 ValidationException) a payment on an invoice that is not AUTHORISED and one
  // above what is still due: xero_accounting.yaml Payment.Amount "Must be less than or equal to the
  // outstanding amount owing on the invoice"; its validation messages, as integrations quote them:
  // "Payments can only be made against Authorised documents", "Payment amount exceeds the amount
  // outstanding on this document" (e.g. Chargebee and Workato support articles on Xero sync errors).
  // record-payment sends the whole amount unread and relies on these refusals.
  if (inv && ['PAID', 'VOIDED', 'DELETED'].includes(inv.status)) errors.push('Invoice not of valid status for modification');
  else if (inv && inv.status !== 'AUTHORISED') errors.push('Payments can only be made against Authorised documents');
  if (account && account.type !== 'BANK' && !account.enablePaymentsToAccount) {
    errors.push(`Account code '${account.code}' is not a bank account or an account with payments enabled`);
  }
  if (account && account.status !== 'ACTIVE') errors.push(`Account code '${account.code}' has been archived`);
  const accountCurrency = account?.currencyCode ?? o.baseCurrency;
  if (inv && account && accountCurrency !== inv.currencyCode && raw.CurrencyRate === undefined) {
    errors.push(`The payment currency (${accountCurrency}) must match the invoice currency (${inv.currencyCode}), or a CurrencyRate must be supplied`);
  } else if (inv && account && accountCurrency !== inv.currencyCode && accountCurrency !== o.baseCurrency) {
    // Xero pays a foreign-currency invoice from an account of its own currency or of the base currency
    // (CurrencyRate: "Only used for non base currency invoices"); a third currency the simulator refuses.
    errors.push(
      `The simulator takes payments in the invoice's currency (${inv.currencyCode}) or the base currency only, not into a ${accountCurrency} account`,
    );
  }
  // Into the base currency: converted at CurrencyRate, units of the invoice's currency per unit of the
  // base currency (xero_accounting.yaml Payment.CurrencyRate "e.g. 0.7500"), as Xero's currency rates are.
  const rate = inv && account && accountCurrency !== inv.currencyCode ? readRate(raw.CurrencyRate) : undefined;
  if (inv && account && accountCurrency !== inv.currencyCode && rate === undefined && raw.CurrencyRate !== undefined)
    errors.push('CurrencyRate must be a positive number');
  if (inv && amount !== undefined && inv.status === 'AUTHORISED') {
    const already = earlier.filter((p) => p.inv === inv).reduce((s, p) => s + p.amount, 0n);
    if (amount > amountDue(inv) - already) errors.push('Payment amount exceeds the amount outstanding on this document');
  }
  if (errors.length || !inv || !account || amount === undefined || !date) return undefined;
  // IsReconciled on PUT creates the line reconciled (xero_accounting.yaml Payment.IsReconciled, BankTransaction.IsReconciled); only BANK accounts are reconciled in Xero.
  // What Xero does with the flag on a non-bank account is not documented: the simulator keeps what was asked.
  const reconciled = raw.IsReconciled === true;
  const converted = rate ? { bankAmount: (amount * rate.scale * 2n + rate.units) / (rate.units * 2n), currencyRate: rate.text } : {};
  return { inv, account, amount, date, reference: typeof raw.Reference === 'string' ? raw.Reference : '', reconciled, ...converted };
}

/** A CurrencyRate as an exact fraction (units / scale), or undefined when it is no positive decimal. */
function readRate(raw: unknown): { units: bigint; scale: bigint; text: string } | undefined {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw : '';
  const m = /^(\d+)(?:\.(\d{1,10}))?$/.exec(text);
  if (!m) return undefined;
  const units = BigInt(m[1] + (m[2] ?? ''));
  return units > 0n ? { units, scale: 10n ** BigInt((m[2] ?? '').length), text } : undefined;
}

export function savePayment(
  o: SimOrganisation,
  p: { inv: SimInvoice; account: SimAccount; amount: bigint; date: string; reference: string; reconciled: boolean; bankAmount?: bigint; currencyRate?: string },
  at: Date,
): SimPayment {
  const payment: SimPayment = {
    paymentId: randomUUID(),
    invoiceId: p.inv.invoiceId,
    accountId: p.account.accountId,
    date: p.date,
    amount: p.amount,
    reference: p.reference,
    status: 'AUTHORISED',
    reconciled: p.reconciled,
    ...(p.bankAmount !== undefined ? { bankAmount: p.bankAmount, currencyRate: p.currencyRate } : {}),
    updatedAt: at,
  };
  o.payments.set(payment.paymentId, payment);
  p.inv.amountPaid += p.amount;
  p.inv.updatedAt = at;
  if (amountDue(p.inv) === 0n) markPaid(p.inv, p.date);
  return payment;
}

/** `listed`: as GET /Payments lists it, else as the create answers (refund-payments.ts refundPaymentJson). */
export function refundJson(o: SimOrganisation, p: SimRefundPayment, listed: boolean): Record<string, unknown> {
  const account = o.accounts.find((a) => a.accountId === p.accountId)!;
  return refundPaymentJson(p, account, { msDate, money, currencyCode: account.currencyCode ?? o.baseCurrency, listed });
}

export function paymentJson(o: SimOrganisation, p: SimPayment): Record<string, unknown> {
  const inv = o.invoices.get(p.invoiceId)!;
  const account = o.accounts.find((a) => a.accountId === p.accountId)!;
  return {
    PaymentID: p.paymentId,
    Date: msDate(dayStart(p.date)),
    // In the bank account's currency (xero_accounting.yaml Payment.BankAmount "The amount of the payment
    // in the currency of the bank account"): Amount into an account of the invoice's currency (the
    // gateway pays into the clearing account of the invoice's currency, clearingAccountFor, and sums
    // BankAmount for the report, report/summed-balance.ts); converted at the payment's CurrencyRate into
    // one of the base currency. CurrencyRate ("Exchange rate when payment is received. Only used for non
    // base currency invoices") is otherwise 1, as on the invoice (invoiceJson): the simulator keeps no
    // exchange rates of its own.
    BankAmount: money(p.bankAmount ?? p.amount),
    Amount: money(p.amount),
    Reference: p.reference,
    CurrencyRate: p.currencyRate !== undefined ? Number(p.currencyRate) : 1,
    PaymentType: inv.type === 'ACCREC' ? 'ACCRECPAYMENT' : 'ACCPAYPAYMENT',
    Status: p.status,
    UpdatedDateUTC: msDate(p.updatedAt),
    HasAccount: true,
    IsReconciled: p.reconciled === true,
    Account: { AccountID: account.accountId, Code: account.code, Name: account.name },
    Invoice: {
      Type: inv.type,
      InvoiceID: inv.invoiceId,
      InvoiceNumber: inv.invoiceNumber,
      Payments: [],
      CreditNotes: [],
      Prepayments: [],
      Overpayments: [],
      IsDiscounted: false,
      HasErrors: false,
      Contact: contactJson(inv.contact),
      CurrencyCode: inv.currencyCode,
      LineItems: [],
    },
    HasValidationErrors: false,
  };
}
