/**
 * The settlement form's pickers per destination: a merchant who withdraws to more than one bank in a
 * currency names the Xero bank account of each (jobs/sync/record-withdrawal.ts books to it over the
 * currency's). A destination is the bank account Xendit says a withdrawal went to
 * (account_identifier), listed once a recorded or waiting withdrawal went there, or once it has an
 * account. Its field names it whole: dest_<CUR>_<identifier as base64url>, so a list that changed
 * since the page was shown can never give one destination's choice to another.
 */
import type { DestinationAccount, DestinationSeen } from '../../store/settlement-destinations.js';
import type { XeroBankAccount } from '../../clients/xero/types.js';
import { message, type Message } from '../../i18n/index.js';

/** One destination's picker on the page. */
export interface DestinationView {
  field: string;
  accountIdentifier: string;
  channelCode: string | null;
  /** Its Xero bank account; '' for the currency's. */
  chosen: string;
  waiting: number;
}

const FIELD = /^dest_([A-Z]{3})_([A-Za-z0-9_-]{1,400})$/;

export function destinationField(currency: string, accountIdentifier: string): string {
  return `dest_${currency}_${Buffer.from(accountIdentifier, 'utf8').toString('base64url')}`;
}

/** The destination a field names, or null: not a field the page makes (decoded and made again, it must be the same). */
export function readDestinationField(name: string): { currency: string; accountIdentifier: string } | null {
  const m = FIELD.exec(name);
  if (!m) return null;
  const accountIdentifier = Buffer.from(m[2], 'base64url').toString('utf8');
  return destinationField(m[1], accountIdentifier) === name ? { currency: m[1], accountIdentifier } : null;
}

/** The destinations listed, per currency: those seen, and those with an account (a destination not seen lately keeps its picker). */
export function destinationsByCurrency(seen: DestinationSeen[], stored: DestinationAccount[]): Map<string, DestinationView[]> {
  const out = new Map<string, DestinationView[]>();
  const add = (d: DestinationSeen) => {
    const list = out.get(d.currency) ?? [];
    const chosen = stored.find((s) => s.currency === d.currency && s.accountIdentifier === d.accountIdentifier)?.accountId ?? '';
    list.push({
      field: destinationField(d.currency, d.accountIdentifier),
      accountIdentifier: d.accountIdentifier,
      channelCode: d.channelCode,
      chosen,
      waiting: d.waiting,
    });
    out.set(d.currency, list);
  };
  for (const d of seen) add(d);
  for (const s of stored)
    if (!seen.some((d) => d.currency === s.currency && d.accountIdentifier === s.accountIdentifier))
      add({ currency: s.currency, accountIdentifier: s.accountIdentifier, channelCode: null, waiting: 0 });
  for (const list of out.values()) list.sort((a, b) => (a.accountIdentifier < b.accountIdentifier ? -1 : a.accountIdentifier > b.accountIdentifier ? 1 : 0));
  return out;
}

/** What the form's version digests of the destinations: their stored accounts, by field. */
export function destinationsShown(stored: DestinationAccount[]): Record<string, string> {
  return Object.fromEntries(stored.map((d) => [destinationField(d.currency, d.accountIdentifier), d.accountId]));
}

/**
 * The destination accounts sent (field → AccountID, '' for the currency's). Each field must name a
 * destination listed (`listed`), of a currency offered, and each account be one `offered` has for
 * that currency (the same as the currency's own picker); any other is an error in `errors` and
 * nothing is saved.
 */
export function checkDestinations(
  sent: Record<string, unknown>,
  listed: Map<string, DestinationView[]>,
  offered: { currency: string; options: XeroBankAccount[] }[],
  errors: Record<string, Message | string>,
): DestinationAccount[] {
  const chosen: DestinationAccount[] = [];
  for (const [field, accountId] of Object.entries(sent)) {
    const d = readDestinationField(field);
    if (!d || typeof accountId !== 'string' || !listed.get(d.currency)?.some((x) => x.accountIdentifier === d.accountIdentifier)) {
      errors.form = message('errors:settlementDestinationUnknown');
      continue;
    }
    const row = offered.find((c) => c.currency === d.currency);
    // '' for a currency no longer offered asks for nothing (as its currency's picker: settlement.ts).
    if (!row) {
      if (accountId) errors.form = message('errors:settlementCurrency', { currency: d.currency });
    } else if (accountId && !row.options.some((o) => o.accountId === accountId))
      errors[field] = message('errors:settlementAccountChoose', { currency: d.currency });
    else if (accountId) chosen.push({ ...d, accountId });
  }
  return chosen;
}
