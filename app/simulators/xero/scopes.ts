/**
 * Which scopes let a token use each accounting route, checked after authentication as Xero does.
 *
 * The legacy broad scopes are those of each operation's `security` in xero_accounting.yaml
 * (XeroAPI/Xero-OpenAPI): accounting.transactions[.read] for invoices, credit notes, payments,
 * overpayments, bank transactions, bank transfers and manual journals; accounting.contacts[.read];
 * accounting.settings[.read] for accounts, organisation, tax rates and branding themes;
 * accounting.reports.read for reports; paymentservices. Apps created from 2 March 2026 get the
 * granular ones instead (developer.xero.com/documentation/guides/oauth2/scopes): accounting.invoices
 * (invoices, credit notes), accounting.payments (payments, overpayments), accounting.banktransactions
 * (bank transactions, bank transfers), accounting.manualjournals, and one scope per report
 * (accounting.reports.banksummary.read). A `.read` variant allows GETs only.
 *
 * A token without any of them is refused with 401 AuthorizationUnsuccessful, the body Xero answers
 * for a scope the token lacks (XeroAPI/xero-ruby-oauth2-app#82, XeroAPI/Xero-NetStandard#298).
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { API_PREFIX } from './http.js';

interface Rule {
  path: RegExp;
  /** The scope for every method (its `.read` variant too for GETs); omitted: read-only. */
  write?: string;
  /** Read-only scopes: accepted for GETs. */
  read?: string[];
  legacy?: string;
}

const RULES: Rule[] = [
  { path: /^\/Invoices(\/|$)/, write: 'accounting.invoices', legacy: 'accounting.transactions' },
  { path: /^\/CreditNotes(\/|$)/, write: 'accounting.invoices', legacy: 'accounting.transactions' },
  { path: /^\/(Payments|Overpayments|Prepayments|BatchPayments)(\/|$)/, write: 'accounting.payments', legacy: 'accounting.transactions' },
  { path: /^\/(BankTransactions|BankTransfers)(\/|$)/, write: 'accounting.banktransactions', legacy: 'accounting.transactions' },
  { path: /^\/ManualJournals(\/|$)/, write: 'accounting.manualjournals', legacy: 'accounting.transactions' },
  { path: /^\/Contacts(\/|$)/, write: 'accounting.contacts' },
  { path: /^\/(PaymentServices$|BrandingThemes\/[^/]+\/PaymentServices$)/, write: 'paymentservices' },
  { path: /^\/(Accounts|Organisation|TaxRates|BrandingThemes|Currencies)(\/|$)/, write: 'accounting.settings' },
  { path: /^\/Reports\/BankSummary$/, read: ['accounting.reports.banksummary.read', 'accounting.reports.read'] },
];

/** The scopes any one of which lets this call through; undefined: no rule (e.g. /connections, unknown routes). */
export function acceptedScopes(method: string, path: string): string[] | undefined {
  if (!path.startsWith(`${API_PREFIX}/`)) return undefined;
  const rest = path.slice(API_PREFIX.length);
  const rule = RULES.find((r) => r.path.test(rest));
  if (!rule) return undefined;
  const get = method === 'GET' || method === 'HEAD';
  const broad = [rule.write, rule.legacy].filter((s): s is string => !!s);
  if (!get) return broad;
  return [...broad, ...broad.map((s) => `${s}.read`), ...(rule.read ?? [])];
}

export function scopesOf(scope: unknown): string[] {
  return String(scope ?? '')
    .split(/[\s,]+/)
    .filter(Boolean);
}

export function insufficientScope(res: Response): void {
  res.status(401).json({ Type: null, Title: 'Unauthorized', Status: 401, Detail: 'AuthorizationUnsuccessful', Instance: randomUUID(), Extensions: {} });
}

/** After authenticate (res.locals.scope is the token's). */
export function scopeCheck(req: Request, res: Response, next: NextFunction): void {
  const accepted = acceptedScopes(req.method, req.path);
  if (!accepted) return next();
  const granted = scopesOf(res.locals.scope);
  if (accepted.some((s) => granted.includes(s))) return next();
  insufficientScope(res);
}
