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

export function filtered(res: Response, req: Request, rows: Record<string, unknown>[], wrap: (rows: unknown[]) => unknown): void {
  const where = typeof req.query.where === 'string' ? req.query.where : '';
  const anyOf = parseWhere(where);
  if (!anyOf && brokenString(where)) return queryParseError(res);
  if (!anyOf) return validationError(res, [`The where clause is not supported by the simulator: ${where}`]);
  const matching = rows.filter((row) => anyOf.length === 0 || anyOf.some((clauses) => clauses.every((c) => matchesClause(row, c))));
  // Like Xero: with ?page=N, 100 rows per page (pageSize up to 1000); without it, everything.
  const page = Number(req.query.page);
  if (!Number.isInteger(page) || page < 1) return void res.json(wrap(matching));
  const size = Math.min(Math.max(Number(req.query.pageSize) || 100, 1), 1000);
  res.json(wrap(matching.slice((page - 1) * size, page * size)));
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
  let v: unknown = row;
  for (const key of c.path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  const equal = v !== undefined && v !== null && String(v).toLowerCase() === c.value.toLowerCase();
  return c.op === '==' ? equal : !equal;
}
