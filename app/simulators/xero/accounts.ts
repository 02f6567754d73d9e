/**
 * The chart of accounts: the seeded accounts, PUT /Accounts (bank accounts), balances and the Account
 * JSON.
 */
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { refundedFrom } from './refund-payments.js';
import { transferredInto } from './bank-transfers.js';
import { msDate } from './decimals.js';
import { currencyError } from './currencies.js';
import { validationBody } from './errors.js';
import { asArray, envelope, org, remember, replayed } from './http.js';
import { type SimAccount, type SimAccountType, type SimOrganisation } from './state.js';

export function addAccount(
  o: SimOrganisation,
  a: {
    code: string;
    name: string;
    type: SimAccountType;
    currencyCode?: string;
    enablePaymentsToAccount?: boolean;
    systemAccount?: SimAccount['systemAccount'];
    taxType?: string;
  },
): SimAccount {
  // As in Xero's UI: a bank account only in a currency added to the organisation.
  const refused = a.currencyCode === undefined ? undefined : currencyError(o, a.currencyCode);
  if (refused) throw new Error(`${refused} (test API addCurrency first)`);
  const account: SimAccount = {
    accountId: randomUUID(),
    code: a.code,
    name: a.name,
    type: a.type,
    currencyCode: a.type === 'BANK' ? (a.currencyCode ?? o.baseCurrency) : undefined,
    status: 'ACTIVE',
    enablePaymentsToAccount: a.enablePaymentsToAccount ?? false,
    ...(a.systemAccount ? { systemAccount: a.systemAccount } : {}),
    ...(a.taxType ? { taxType: a.taxType } : {}),
  };
  o.accounts.push(account);
  return account;
}

/** PUT /Accounts: one account per request, like Xero; this simulator creates BANK accounts only. */
export function createAccountRoute(req: Request, res: Response, at: Date): void {
  const o = org(res);
  if (replayed(o, req, res, at)) return;
  const raw = asArray(req.body, 'Accounts')[0] ?? {};
  const name = typeof raw.Name === 'string' ? raw.Name.trim() : '';
  const code = typeof raw.Code === 'string' ? raw.Code.trim() : '';
  const number = typeof raw.BankAccountNumber === 'string' ? raw.BankAccountNumber.trim() : '';
  const currency = typeof raw.CurrencyCode === 'string' ? raw.CurrencyCode : o.baseCurrency;
  const errors: string[] = [];
  if (!name) errors.push('Please enter a Name.');
  else if (o.accounts.some((a) => a.name.toLowerCase() === name.toLowerCase())) errors.push('Please enter a unique Name.');
  if (code && o.accounts.some((a) => a.code === code)) errors.push('Please enter a unique Code.');
  if (raw.Type !== 'BANK') errors.push('The simulator creates BANK accounts only.');
  else if (!number) errors.push('Bank Account Number is required for bank accounts.');
  if (!/^[A-Z]{3}$/.test(currency)) errors.push('Currency code is invalid.');
  else if (currencyError(o, currency)) errors.push(currencyError(o, currency)!);
  const answer = errors.length
    ? { status: 400, body: validationBody(errors, raw) }
    : (() => {
        const account = addAccount(o, { code, name, type: 'BANK', currencyCode: currency });
        account.bankAccountNumber = number;
        return { status: 200, body: envelope(at, { Accounts: [accountJson(account, o)] }) };
      })();
  remember(o, req, at, answer.status, answer.body);
  res.status(answer.status).json(answer.body);
}

export function accountFor(o: SimOrganisation, nameOrCode: string): SimAccount {
  const account = o.accounts.find((a) => a.name === nameOrCode) ?? o.accounts.find((a) => a.code === nameOrCode);
  if (!account) throw new Error(`no account ${nameOrCode} in ${o.name}`);
  return account;
}

/** The account's balance in hundredths; with `asOf` (YYYY-MM-DD), of what is dated on or before that day. */
export function balanceOf(o: SimOrganisation, accountId: string, asOf?: string): bigint {
  const dated = (d: string) => asOf === undefined || d <= asOf;
  let balance = 0n;
  for (const p of o.payments.values()) if (p.accountId === accountId && p.status === 'AUTHORISED' && dated(p.date)) balance += p.bankAmount ?? p.amount;
  balance -= refundedFrom(o, accountId, asOf);
  balance += transferredInto(o, accountId, asOf);
  const code = o.accounts.find((a) => a.accountId === accountId)?.code;
  for (const t of o.bankTransactions.values()) {
    if (t.status !== 'AUTHORISED' || !dated(t.date)) continue;
    if (t.accountId === accountId) balance += t.type === 'SPEND' ? -t.total : t.total;
    // The other side of the double entry: a Receive Money line credits the account it is coded to, a Spend Money line debits it
    // (its amount net of tax: an Inclusive line's tax is inside it, an Exclusive one's on top; the tax goes to no account here).
    if (!code) continue;
    for (const li of t.lineItems) {
      if (li.accountCode !== code) continue;
      const net = t.lineAmountTypes === 'Inclusive' ? li.lineAmount - (li.taxAmount ?? 0n) : li.lineAmount;
      balance += t.type === 'SPEND' ? net : -net;
    }
  }
  for (const j of o.manualJournals.values()) {
    if (j.status !== 'POSTED' || !dated(j.date)) continue;
    for (const line of j.lines) if (o.accounts.find((a) => a.code === line.accountCode)?.accountId === accountId) balance += line.lineAmount;
  }
  return balance;
}

export function accountJson(a: SimAccount, o: SimOrganisation) {
  return {
    AccountID: a.accountId,
    ...(a.code ? { Code: a.code } : {}),
    Name: a.name,
    Type: a.type,
    Status: a.status,
    TaxType: a.taxType ?? 'NONE',
    EnablePaymentsToAccount: a.enablePaymentsToAccount,
    ShowInExpenseClaims: false,
    Class:
      a.type === 'REVENUE' ? 'REVENUE' : a.type === 'EXPENSE' ? 'EXPENSE' : a.type === 'LIABILITY' ? 'LIABILITY' : a.type === 'EQUITY' ? 'EQUITY' : 'ASSET',
    ReportingCode: a.type === 'BANK' ? 'ASS.CUR.CAS.CAS' : '',
    ...(a.systemAccount ? { SystemAccount: a.systemAccount } : {}),
    HasAttachments: false,
    UpdatedDateUTC: msDate(o.createdAt),
    AddToWatchlist: false,
    ...(a.type === 'BANK'
      ? { BankAccountType: 'BANK', BankAccountNumber: a.bankAccountNumber ?? `${a.code}-0000001`, CurrencyCode: a.currencyCode ?? o.baseCurrency }
      : {}),
  };
}
