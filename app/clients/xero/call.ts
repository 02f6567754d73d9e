/**
 * One Xero API call, as every resource file makes it: routed to the configured URLs, with a
 * valid token, inside the rate budget, timed for /metrics, retried once where that is safe.
 */
import type { Logger } from 'pino';
import type { AccountingApi } from 'xero-node';
import type { CallObserver } from '../types.js';
import type { BudgetUse } from './budget.js';
import { UpstreamError } from '../types.js';
import { XeroScopeMissing, toUpstreamError, unexpected } from './errors.js';
import { scopeFor } from './scopes.js';
import { routedTo, type Route } from './routing.js';
import type { Sessions } from './tokens.js';
import type { XeroBudgetTicket, XeroCallPurpose, XeroCredentials } from './types.js';

const CONNECTION_RESET = /ECONNRESET|socket hang up/i;

interface CallHow {
  /** Spend the budget as this purpose rather than the gateway's (payment writes). */
  purpose?: XeroCallPurpose;
  /** A write is never repeated here (reads are, once, after a connection reset). */
  write?: boolean;
  /** A budget ticket already taken for this call. */
  prepaid?: XeroBudgetTicket;
}

type XeroCall = <T>(creds: XeroCredentials, op: string, fn: (api: AccountingApi) => Promise<T>, how?: CallHow) => Promise<T>;

/** What the resource files (invoices.ts, payments.ts, …) are given. */
export interface XeroCalls {
  call: XeroCall;
  refund: BudgetUse['refund'];
}

export function createCaller(opts: {
  route: Route;
  sessions: Sessions;
  budget: BudgetUse;
  now: () => Date;
  logger?: Logger;
  observer?: CallObserver;
}): (purpose: XeroCallPurpose) => XeroCall {
  const { route, sessions, budget, now } = opts;
  const log = opts.logger;

  /** Times the HTTP call itself: waiting for the budget or a token is not Xero's latency. */
  async function observed<T>(op: string, call: () => Promise<T>): Promise<T> {
    if (!opts.observer) return call();
    const started = performance.now();
    try {
      const result = await call();
      opts.observer.observe(op, (performance.now() - started) / 1000);
      return result;
    } catch (err) {
      opts.observer.observe(op, (performance.now() - started) / 1000, toUpstreamError(err, 'api', now)?.kind ?? 'unexpected');
      throw err;
    }
  }

  function callAs<T>(
    creds: XeroCredentials,
    op: string,
    purpose: XeroCallPurpose,
    fn: (api: AccountingApi) => Promise<T>,
    how: { readOnly: boolean; prepaid?: XeroBudgetTicket },
  ): Promise<T> {
    let prepaid = how.prepaid;
    return routedTo(route, async () => {
      const session = sessions.sessionFor(creds);
      let rejected: string | undefined;
      let tokenRetried = false;
      let tookStored = false;
      for (let attempt = 1; ; attempt++) {
        let fresh: boolean;
        try {
          fresh = (await sessions.ensureToken(session, creds, rejected)) || tookStored;
        } catch (err) {
          budget.refund(prepaid);
          throw err;
        }
        try {
          const ticket = prepaid;
          prepaid = undefined; // one call's worth: a retry asks the budget again
          const result = await budget.budgeted(creds, purpose, () => observed(op, () => fn(session.sdk.accountingApi)), ticket);
          session.refused.delete(op);
          return result;
        } catch (err) {
          const upstream = toUpstreamError(err, 'api', now);
          if (!upstream) throw err;
          if (upstream.status === 401) {
            const token = session.accessToken;
            // Remembered by operation, not by token: a refresh for one refused operation gives every
            // other a new token, and keying by token would have each refresh again in turn.
            const refusedAt = session.refused.get(op);
            const refusedBefore = refusedAt !== undefined && now().getTime() - refusedAt < REFUSED_MEMORY_MS;
            if (!fresh && !tokenRetried) {
              tokenRetried = true;
              // A cached token may have been revoked or expired early: get a new one and retry once.
              if (!refusedBefore) {
                session.refreshAt = undefined;
                rejected = token;
                continue;
              }
              // This token was refused this call after a refresh already: refreshing again will not
              // help, a set stored by a reconnect may.
              if (await sessions.takeStored(session, creds)) {
                tookStored = true;
                continue;
              }
            }
            // A token just issued or refreshed, refused: a scope the connection lacks, whatever Xero's body says.
            // The first refusal's time is kept, so a misread 401 is tried with a new token again within REFUSED_MEMORY_MS.
            if (!refusedBefore) session.refused.set(op, now().getTime());
            const missing = new XeroScopeMissing(scopeFor(op), upstream.message);
            log?.warn({ op, scope: missing.scope, detail: upstream.message }, 'xero refused a fresh token: scope not granted');
            throw missing;
          }
          // A pooled keep-alive socket the server just closed fails with a reset; a read is safe to
          // repeat once (a timeout is not repeated: the customer is waiting). Writes are never
          // repeated here: the worker looks the payment up by Reference before trying again.
          if (how.readOnly && attempt === 1 && upstream.status === undefined && CONNECTION_RESET.test(upstream.message)) continue;
          log?.warn({ op, kind: upstream.kind, status: upstream.status }, 'xero call failed');
          throw upstream;
        }
      }
    });
  }

  return (gatewayPurpose) =>
    (creds, op, fn, how = {}) =>
      callAs(creds, op, how.purpose ?? gatewayPurpose, fn, { readOnly: !how.write, prepaid: how.prepaid });
}

/**
 * How long an operation refused for a fresh token is taken as lacking its scope without asking for
 * another token (a reconnect's stored set is still taken at once); after it, one refresh tries again.
 */
const REFUSED_MEMORY_MS = 10 * 60_000;

/** Xero pages lists by 100 unless asked for more; a short page is the last. Bounded so a misbehaving server cannot loop us. */
const XERO_PAGE_SIZE = 100;
/** Readings of a listing whose rows keep moving before it is given up as unavailable for now. */
const READINGS = 3;
/** One page of a listing: its rows, and the listing's whole count when Xero sends it (xero_accounting.yaml Pagination.itemCount). */
export interface Page<T> {
  rows: T[];
  itemCount?: number;
}

/** A page of a xero-node list answer, e.g. `pageOf(r.body.manualJournals, r.body.pagination)`. */
export function pageOf<T>(rows: T[] | undefined, pagination?: { itemCount?: number }): Page<T> {
  return { rows: rows ?? [], itemCount: pagination?.itemCount };
}

/**
 * Every page of a listing. Xero pages in its default order (UpdatedDateUTC, then the id: developer.
 * xero.com Payments "order"), so a row read and then updated before the later pages are read moves
 * to the end: it is read twice, and every row after it shifts back one place, so the row that was
 * first on the next page is never read. A row already read that leaves a filtered listing (a journal
 * voided while `Status=="POSTED"` ones are read) shifts the rows after it back the same way with no
 * row read twice: only the count Xero sends with each page (`pagination.itemCount`) shows it, by
 * changing between pages or by the rows read not being that many. On either sign the listing is
 * read again from page 1; a reading with neither is what is returned (a row updated before it was
 * read only moves further on). That is no snapshot: each row is as it was when read, so one may
 * have stopped matching since (callers keep filtering), and a row leaving while another joins
 * between the same two pages keeps the count, as does any row leaving where Xero sends no count:
 * those go unseen. After READINGS readings that each met a sign, a retryable error: the caller
 * tries again later rather than act on a list that may miss a row.
 *
 * `keep`: only the rows it takes are returned and held; a long listing read for a few of its rows
 * (a clearing account's payments out of an organisation's) is not held whole.
 *
 * `pageSize` (up to 1000: xero_accounting.yaml parameters/pageSize) is what the caller asked each
 * page for. A page of exactly 100 is taken as full either way, so a server that ignores pageSize
 * and pages by 100 is read to its end too; one that honours it ends on a page short of it.
 */
export async function allPages<T>(
  fetchPage: (page: number) => Promise<T[] | Page<T>>,
  idOf: (row: T) => string | undefined,
  { pageSize = XERO_PAGE_SIZE, maxPages = 1000, keep }: { pageSize?: number; maxPages?: number; keep?: (row: T) => boolean } = {},
): Promise<T[]> {
  for (let reading = 1; reading <= READINGS; reading++) {
    // Rows `keep` turns away are gone with their page: only their ids stay, to tell a moved row.
    const kept = new Map<string, T>();
    const seen = new Set<string>();
    const counts = new Set<number>();
    let unnamed = 0;
    let moved = false;
    for (let page = 1; ; page++) {
      if (page > maxPages) throw unexpected(`more than ${maxPages} pages`);
      const got = await fetchPage(page);
      const { rows, itemCount }: Page<T> = Array.isArray(got) ? { rows: got } : got;
      if (itemCount !== undefined) counts.add(itemCount);
      for (const row of rows) {
        const id = idOf(row) ?? `\u0000${unnamed++}`;
        if (seen.has(id)) moved = true;
        seen.add(id);
        if (!keep || keep(row)) kept.set(id, row);
      }
      if (rows.length < pageSize && rows.length !== XERO_PAGE_SIZE) break;
    }
    const recounted = counts.size > 1 || (counts.size === 1 && !counts.has(seen.size));
    if (!moved && !recounted) return [...kept.values()];
  }
  throw new UpstreamError('xero', 'unavailable', `a listing's rows kept moving or leaving between its pages in ${READINGS} readings`);
}

/**
 * Whether a listing read page by page by its caller has a page after `page`: as Xero's `pagination`
 * says (pageCount, else itemCount over its pageSize: xero_accounting.yaml Pagination), else as
 * allPages judges, a page short of both `asked` and 100 being the last. pageSize is a request: a
 * server answering 100 where 1 000 were asked would otherwise have its first page taken for the last.
 */
export function hasMorePages(page: number, rows: number, asked: number, pagination?: { pageSize?: number; pageCount?: number; itemCount?: number }): boolean {
  if (rows === 0) return false;
  const { pageCount, itemCount, pageSize } = pagination ?? {};
  if (typeof pageCount === 'number' && Number.isInteger(pageCount)) return page < pageCount;
  if (typeof itemCount === 'number' && typeof pageSize === 'number' && pageSize > 0) return page * pageSize < itemCount;
  return rows >= asked || rows === XERO_PAGE_SIZE;
}

/** The page size asked for listings that may run long (a clearing account's every entry). */
export const LONG_LIST_PAGE_SIZE = 1000;

/**
 * A double quote or a backslash never goes inside a `where` string. Xero refuses a `where` whose
 * string holds a double quote however it is escaped (400 QueryParseException "Syntax error":
 * XeroAPI/Xero-Java#347, waynerobinson/xeroizer#160), and whether it reads `\\` as one backslash
 * is not documented.
 */
const NOT_IN_WHERE = /["\\]/;

/**
 * `Field=="value"`, or undefined when the value cannot be put in a `where` (NOT_IN_WHERE): the
 * caller then reads without it (`lookup`, or a parameter that needs no quoting) and keeps the exact
 * matches itself, which every caller does anyway since Xero compares strings case-insensitively.
 */
export function whereEquals(field: string, value: string): string | undefined {
  return NOT_IN_WHERE.test(value) ? undefined : `${field}=="${value}"`;
}

/** `Field==guid("id")` for an id Xero gave us; one that could break the `where` is refused, never sent. */
export function whereGuid(field: string, id: string): string {
  if (NOT_IN_WHERE.test(id)) throw new UpstreamError('xero', 'rejected', `${field} ${JSON.stringify(id)} is not a Xero id`, 400);
  return `${field}==guid("${id}")`;
}

/**
 * The rows a lookup by one value reads: by `where`, or when whereEquals could not make one, every
 * row; page by page either way, so a lookup that finds many rows still reads them all. Never
 * unpaged: past Xero's high volume threshold an unpaged read is refused with a 400 whatever its
 * filter ("you must use paging": XeroAPI/xero-php-oauth2-app#31; developer.xero.com/documentation/
 * api/accounting/payments "High volume threshold limit"), and a list read without `page` leaves out
 * line items (xero_accounting.yaml getInvoices, getManualJournals `page`). The caller keeps the exact matches.
 */
export async function lookup<T>(
  where: string | undefined,
  read: (where: string | undefined, page: number) => Promise<Page<T>>,
  idOf: (row: T) => string | undefined,
): Promise<T[]> {
  return allPages((page) => read(where, page), idOf);
}

/**
 * A `searchTerm` (GET /Contacts, GET /Invoices: a case-insensitive text search, xero_accounting.yaml)
 * for a value a `where` cannot hold: its longest stretch without a quote or backslash, as how the
 * search treats those characters is not documented either. undefined when there is none.
 */
export function searchTermFor(value: string): string | undefined {
  const longest = value
    .split(/["\\]+/)
    .map((s) => s.trim())
    .reduce((a, b) => (b.length > a.length ? b : a), '');
  return longest || undefined;
}
