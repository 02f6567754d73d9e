/**
 * Many items in one Xero call. PUT /Payments and PUT /BankTransactions take arrays; with
 * summarizeErrors=false Xero answers 200 with each item either created or echoed with its
 * ValidationErrors (xero-node AccountingApi.createPayments / createBankTransactions). Lookups by
 * Reference join the references with OR in one `where`.
 */
import { UpstreamError } from '../types.js';
import { whereEquals } from './call.js';
import { validationMessages } from './errors.js';
import type { XeroItemResult } from './types.js';

/**
 * References per lookup: Xero limits a query string's length (the `IDs` parameter stops near 52
 * ids, XeroAPI/Xero-OpenAPI#534), so a `where` of many references is split.
 */
export const REFERENCES_PER_LOOKUP = 20;

interface Answered {
  reference?: string;
  statusAttributeString?: string;
  validationErrors?: { message?: string }[];
}

/**
 * One result per item sent. Each item carries a Reference of its own, which Xero echoes on created
 * and refused items alike: matched by it, or by position when Xero left it out. An item without
 * an answer makes the whole call's outcome unknown (thrown), so every item is looked up again.
 */
export function itemResults<R extends Answered, T>(sent: { reference: string }[], rows: R[] | undefined, map: (row: R) => T): XeroItemResult<T>[] {
  const answered = rows ?? [];
  const used = new Set<number>();
  return sent.map((item, i) => {
    let at = answered.findIndex((r, j) => !used.has(j) && r.reference === item.reference);
    if (at < 0 && answered[i] && !used.has(i) && !answered[i].reference) at = i;
    if (at < 0) throw new UpstreamError('xero', 'unavailable', `Xero's answer to a batch left out the item with Reference ${item.reference}`);
    used.add(at);
    const row = answered[at];
    const own = row.validationErrors?.some((e) => e.message) ?? false;
    if (own || String(row.statusAttributeString ?? '').toUpperCase() === 'ERROR') {
      // Its own messages and those Xero files under its Contact (validationMessages).
      return { ok: false as const, message: validationMessages(row).join('; ') || 'Xero refused this item without a message' };
    }
    return { ok: true as const, value: map(row) };
  });
}

/**
 * `Reference=="a" OR Reference=="b"…` for each chunk of references. A reference no `where` can hold
 * (whereEquals) makes it one read of every row instead, `undefined` (`lookup` in call.ts).
 */
export function referenceWheres(references: string[]): (string | undefined)[] {
  const clauses = [...new Set(references)].map((r) => whereEquals('Reference', r));
  if (clauses.some((c) => c === undefined)) return [undefined];
  const wheres: string[] = [];
  for (let i = 0; i < clauses.length; i += REFERENCES_PER_LOOKUP) wheres.push(clauses.slice(i, i + REFERENCES_PER_LOOKUP).join(' OR '));
  return wheres;
}
