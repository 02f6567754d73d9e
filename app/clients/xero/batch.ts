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
 * The most characters one long query parameter (`where=…`, `IDs=…`) may take, escaped. Xero answers
 * 404 to a query string over 2 048 characters (IIS's maxQueryString: XeroAPI/Xero-Net#280,
 * XeroAPI/xero-node#404, XeroAPI/Xero-NetStandard#413 and #471; the simulator's MAX_QUERY_STRING),
 * which the gateway would read as nothing found. 48 are left for `&page=…&pageSize=1000`. Measured
 * with encodeURIComponent, which escapes every character xero-node's axios escapes (and more: a
 * space as %20, a comma as %2C), so what is sent is never longer.
 */
export const QUERY_PARAM_CHARS = 2000;

/** The escaped length of `name=value`, as queryChunks counts it. */
export function paramLength(name: string, value: string): number {
  return encodeURIComponent(name).length + 1 + encodeURIComponent(value).length;
}

/**
 * `values` joined by `separator` into as few `name=…` parameters as fit QUERY_PARAM_CHARS each, in
 * order. A value too long to fit even alone: undefined, which the caller must ask another way.
 */
export function queryChunks(name: string, values: string[], separator: string): string[] | undefined {
  const chunks: string[] = [];
  let current: string[] = [];
  for (const value of values) {
    if (paramLength(name, value) > QUERY_PARAM_CHARS) return undefined;
    if (current.length && paramLength(name, [...current, value].join(separator)) > QUERY_PARAM_CHARS) {
      chunks.push(current.join(separator));
      current = [];
    }
    current.push(value);
  }
  if (current.length) chunks.push(current.join(separator));
  return chunks;
}

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
 * `Reference=="a" OR Reference=="b"…`, as many `where`s as keep each call within Xero's query-string
 * limit (queryChunks). A reference no `where` can hold (whereEquals) or that could not fit one makes
 * it one read of every row instead, `undefined` (`lookup` in call.ts).
 */
export function referenceWheres(references: string[]): (string | undefined)[] {
  const clauses = [...new Set(references)].map((r) => whereEquals('Reference', r));
  if (clauses.some((c) => c === undefined)) return [undefined];
  return queryChunks('where', clauses as string[], ' OR ') ?? [undefined];
}
