/**
 * The `where` filters and paging of GET lists, as far as the gateway uses them.
 */
import type { Request, Response } from 'express';
import { queryParseError, validationError } from './errors.js';

export interface Clause {
  path: string[];
  op: '==' | '!=';
  value: string;
}

/**
 * A list Xero pages (developer.xero.com/documentation/api/requests-and-responses "Paging": Invoices,
 * Contacts, CreditNotes, BankTransactions, ManualJournals, Payments, PurchaseOrders, Prepayments,
 * Overpayments): its rows' id field, the last key of its default order.
 */
export interface Paged {
  id: string;
}

/**
 * The rows that match `where`. With `paged` and ?page=N, 100 rows per page (pageSize up to 1000) in
 * Xero's default order, UpdatedDateUTC then the id (developer.xero.com Payments "order"; the gateway's
 * allPages relies on it), or as `order` asks, with the `pagination` object Xero sends with a page
 * (xero_accounting.yaml Pagination, in the examples of every paged GET). Without `page`, or on a list
 * Xero does not page (Accounts, TaxRates, Currencies, BankTransfers: `page` is not among their
 * parameters), everything.
 */
export function filtered(
  res: Response,
  req: Request,
  rows: Record<string, unknown>[],
  wrap: (rows: unknown[]) => Record<string, unknown>,
  paged?: Paged,
): void {
  const where = typeof req.query.where === 'string' ? req.query.where : '';
  const anyOf = parseWhere(where);
  if (!anyOf && brokenString(where)) return queryParseError(res);
  if (!anyOf) return validationError(res, [`The where clause is not supported by the simulator: ${where}`]);
  const matching = rows.filter((row) => anyOf.length === 0 || anyOf.some((clauses) => clauses.every((c) => matchesClause(row, c))));
  const page = Number(req.query.page);
  if (!paged || !Number.isInteger(page) || page < 1) return void res.json(wrap(matching));
  const cap = Number(res.locals.pageBy) || 1000; // the test API's pageBy, put there by routes.ts
  const size = Math.min(Math.max(Number(req.query.pageSize) || 100, 1), cap);
  const order = [...parseOrder(req.query.order), { path: ['UpdatedDateUTC'], desc: false }, { path: [paged.id], desc: false }];
  const sorted = [...matching].sort((a, b) => {
    for (const o of order) {
      const c = compareValues(valueAt(a, o.path), valueAt(b, o.path));
      if (c) return o.desc ? -c : c;
    }
    return 0;
  });
  const pagination = { page, pageSize: size, pageCount: Math.ceil(sorted.length / size), itemCount: sorted.length };
  res.json({ pagination, ...wrap(sorted.slice((page - 1) * size, page * size)) });
}

/** `order=Field [ASC|DESC], …` (xero_accounting.yaml `order`: "Order by an any element"); a part it cannot read is left out. */
function parseOrder(order: unknown): { path: string[]; desc: boolean }[] {
  if (typeof order !== 'string') return [];
  return order
    .split(',')
    .map((part) => /^\s*([A-Za-z][\w.]*)(?:\s+(ASC|DESC))?\s*$/i.exec(part))
    .filter((m) => m !== null)
    .map((m) => ({ path: m[1].split('.'), desc: m[2]?.toUpperCase() === 'DESC' }));
}

function valueAt(row: Record<string, unknown>, path: string[]): unknown {
  let v: unknown = row;
  for (const key of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

/** Dates as Xero writes them (/Date(ms+0000)/) by their time, numbers as numbers, the rest as text. */
function compareValues(a: unknown, b: unknown): number {
  const key = (v: unknown) => {
    const ms = typeof v === 'string' ? /^\/Date\((-?\d+)/.exec(v) : null;
    return ms ? Number(ms[1]) : typeof v === 'number' ? v : v === undefined || v === null ? '' : String(v).toLowerCase();
  };
  const x = key(a);
  const y = key(b);
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  return String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
}

/**
 * Supports `A.B=="text"`, `A==guid("...")`, `A==true`, `A!=...`, joined by AND / && and OR / ||
 * (AND binding tighter, as in Xero's C#-like `where`). Returns the OR of AND groups; [] for none.
 * A string ends at the next double quote: Xero takes no escaped quote inside one (queryParseError).
 * A backslash is kept as it is; whether Xero un-escapes `\\` is not documented.
 */
export function parseWhere(where: string): Clause[][] | undefined {
  if (!where.trim()) return [];
  const groups: Clause[][] = [[]];
  const re = /^\s*([A-Za-z][\w.]*)\s*(==|!=)\s*(?:"([^"]*)"|guid\("([^"]*)"\)|([\w.-]+))\s*(?:(AND|&&|OR|\|\|)\s*|$)/i;
  let rest = where;
  while (rest.trim()) {
    const m = re.exec(rest);
    if (!m) return undefined;
    const value = m[3] ?? m[4] ?? m[5];
    groups[groups.length - 1].push({ path: m[1].split('.'), op: m[2] as Clause['op'], value });
    rest = rest.slice(m[0].length);
    if (m[6] && /^(OR|\|\|)$/i.test(m[6])) groups.push([]);
  }
  return groups.some((g) => g.length === 0) ? undefined : groups;
}

/**
 * A quote inside a value, however escaped, as Xero's parser meets it: a string left open, or one
 * followed by more than a `)`, AND / OR or the end (`Name=="a\"b"` is `"a\"` then `b"`).
 */
function brokenString(where: string): boolean {
  const strings = /"[^"]*("?)/g;
  for (let m = strings.exec(where); m; m = strings.exec(where)) {
    if (!m[1]) return true;
    if (!/^\s*(?:$|\)|AND\b|OR\b|&&|\|\|)/i.test(where.slice(strings.lastIndex))) return true;
  }
  return false;
}

// Xero compares strings case-insensitively in `where`.
export function matchesClause(row: Record<string, unknown>, c: Clause): boolean {
  const v = valueAt(row, c.path);
  const equal = v !== undefined && v !== null && String(v).toLowerCase() === c.value.toLowerCase();
  return c.op === '==' ? equal : !equal;
}
