import { randomUUID } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import type { Db } from './db.js';
import { relaxedCommit } from './relaxed-commit.js';
import type { Clock } from '../clock.js';
import type { XeroBudget, XeroBudgetRefusal, XeroBudgetScope, XeroBudgetTicket, XeroCallOutcome, XeroCallPurpose } from '../clients/xero/types.js';

export interface XeroLimits {
  perMinute: number; // per organisation
  perDay: number; // per organisation, unless the merchant has its own xero_day_limit, or a lower one was learned from Xero
  appPerMinute: number; // per app, across organisations
  maxInFlight: number; // per organisation
  /** Share of the daily budget (0..1) only payment writes may spend. */
  reserveShare: number;
  /** A slot whose holder never released it (crash) is free again after this. */
  slotLeaseMs: number;
  /** Shares of the organisation's day and minute (0..1) the admin's pages may spend ('admin-read'). */
  adminShare: number;
  adminMinuteShare: number;
}

export const XERO_LIMITS: XeroLimits = {
  perMinute: 60,
  perDay: 5000,
  appPerMinute: 10_000,
  maxInFlight: 5,
  reserveShare: 0.1,
  slotLeaseMs: 60_000,
  adminShare: 0.25,
  adminMinuteShare: 0.5,
};

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/**
 * How far below the configured day limit Xero's answers must put an organisation's before it is
 * learned, and how far a learned one must be off to move (xero-day-learned.sql): Xero may count a
 * few calls ours does not, and ours counts those still in flight. 2 % of the configured limit, and
 * never less than twice the calls in flight.
 */
const DAY_LIMIT_SLACK_SHARE = 0.02;
const daySlack = (configured: number, L: XeroLimits) => Math.max(2 * L.maxInFlight, Math.ceil(configured * DAY_LIMIT_SLACK_SHARE));
const hourOf = (t: number) => new Date(Math.floor(t / HOUR) * HOUR);
const DEFAULT_BLOCK_SECONDS = 60;
/** An organisation with all its slots in flight is asked again this much later. */
const IN_FLIGHT_RETRY_MS = 1000;

/**
 * The counter keys, as PostgreSQL format() patterns (%s: the Xero client id, then the tenant id):
 * pay_click_admit (pay-clicks.sql) fills them in for the merchant it reads, this file for a scope.
 */
const KEY_FORMAT = { app: 'app:%s', org: 'org:%s:%s' } as const;
const fill = (format: string, ...values: string[]) => {
  let i = 0;
  return format.replace(/%s/g, () => values[i++]);
};
const orgKey = (s: XeroBudgetScope) => fill(KEY_FORMAT.org, s.clientId, s.tenantId);
const appKey = (s: XeroBudgetScope) => fill(KEY_FORMAT.app, s.clientId);
/**
 * The admin's own counter of an organisation's calls. Its pages read Xero on every load (the
 * dashboard's balances, the accounts and settings forms) out of the minute and day the customers'
 * clicks need: a staff user reloading them, or a tab refreshing itself, made every click 503.
 */
const shareKey = (s: XeroBudgetScope, purpose: XeroCallPurpose) => (purpose === 'admin-read' ? `admin:${s.clientId}:${s.tenantId}` : null);
/** The rule of XeroCallPurpose: only payment writes may spend the reserved share of the day. */
const maySpendReserve = (purpose: XeroCallPurpose) => purpose === 'payment-write';
const secondsUntil = (end: number, now: number) => Math.max(1, Math.ceil((end - now) / 1000));

/** What xero_budget_acquire (xero-budget.sql) decided. */
interface Decided {
  reason: XeroBudgetRefusal | null;
  until: Date | string | null;
  per_day: number;
  day_configured: number;
}

/**
 * An acquire for a statement that is sent anyway (pay_click_admit, pay-clicks.sql: the pay click's
 * admission), one round trip less on the path a customer waits on. The statement calls
 * xero_budget_acquire with these arguments for the organisation of the merchant it reads.
 */
export interface BudgetInStatement {
  /** xero_budget_acquire's arguments as json, with the key formats (app_key_format, org_key_format) in place of the organisation's keys. */
  args: Record<string, string | number | boolean>;
  /** The ticket from xero_budget_acquire's answer (json) for that organisation. */
  ticket(decided: unknown, scope: XeroBudgetScope): XeroBudgetTicket;
}

export interface SharedXeroBudget extends XeroBudget {
  inStatement(purpose: XeroCallPurpose): BudgetInStatement;
}

/**
 * Xero's limits counted in the database, so any number of web and worker processes stay inside
 * them together. Each acquire is one call of xero_budget_acquire (xero-budget.sql), which locks the
 * app and organisation rows (always in that order) for one short transaction: count, check, add,
 * take a slot. Each release is one statement too.
 */
export function createXeroBudget(db: Db, clock: Clock, limits: Partial<XeroLimits> = {}): SharedXeroBudget {
  const L = { ...XERO_LIMITS, ...limits };
  const release = releaser(db);

  function prepare(purpose: XeroCallPurpose) {
    const now = clock();
    const t = now.getTime();
    const windows = { minute: new Date(Math.floor(t / MINUTE) * MINUTE), day: new Date(Math.floor(t / DAY) * DAY), hour: hourOf(t) };
    const slotId = randomUUID();
    // Timestamps as text, converted once (pg would convert a Date at every occurrence).
    const args = {
      app_key_format: KEY_FORMAT.app,
      org_key_format: KEY_FORMAT.org,
      may_spend_reserve: maySpendReserve(purpose),
      now: now.toISOString(),
      minute: windows.minute.toISOString(),
      minute_end: new Date(windows.minute.getTime() + MINUTE).toISOString(),
      day: windows.day.toISOString(),
      day_end: new Date(windows.day.getTime() + DAY).toISOString(),
      per_minute: L.perMinute,
      per_day: L.perDay,
      app_per_minute: L.appPerMinute,
      max_in_flight: L.maxInFlight,
      reserve_share: L.reserveShare,
      slot: slotId,
      lease_until: new Date(t + L.slotLeaseMs).toISOString(),
      in_flight_until: new Date(t + IN_FLIGHT_RETRY_MS).toISOString(),
      hour: windows.hour.toISOString(),
    };
    const ticket = (decided: Decided, scope: XeroBudgetScope): XeroBudgetTicket => {
      if (decided.reason) return { ok: false, reason: decided.reason, retryAfterSeconds: secondsUntil(new Date(decided.until!).getTime(), t) };
      const ctx = { ...windows, dayConfigured: Number(decided.day_configured), limits: L };
      return {
        ok: true,
        release: (outcome) => release({ scope, slotId, outcome, ctx: { ...ctx, now: clock() } }),
        refund: () => refundSlot(db, scope, slotId, windows, shareKey(scope, purpose)),
      };
    };
    return { args, ticket };
  }

  return {
    async acquire(scope, purpose) {
      const { args: a, ticket } = prepare(purpose);
      const { rows } = await sql<Decided>`
        select reason, until, per_day, day_configured, ${relaxedCommit} from xero_budget_acquire(
          ${appKey(scope)}, ${orgKey(scope)}, ${scope.clientId}, ${scope.tenantId}, ${a.may_spend_reserve},
          ${a.now}, ${a.minute}, ${a.minute_end}, ${a.day}, ${a.day_end},
          ${a.per_minute}, ${a.per_day}, ${a.app_per_minute}, ${a.max_in_flight}, ${a.reserve_share}::float8,
          ${a.slot}::uuid, ${a.lease_until}, ${a.in_flight_until}, ${shareKey(scope, purpose)}, ${L.adminMinuteShare}::float8, ${L.adminShare}::float8,
          ${a.hour})`.execute(db);
      return ticket(rows[0], scope);
    },

    inStatement(purpose) {
      const { args, ticket } = prepare(purpose);
      return { args, ticket: (decided, scope) => ticket(decided as Decided, scope) };
    },
  };
}

/**
 * Gives back a call that was never made (the click was refused after its budget was taken): frees
 * the slot and takes the call off this minute's and day's counts, and off the organisation's own
 * calls of its hour. Only once: a slot already freed (by its lease) leaves the counts as they are.
 */
async function refundSlot(
  db: Db,
  scope: XeroBudgetScope,
  slotId: string,
  windows: { minute: Date; day: Date; hour: Date },
  share: string | null,
): Promise<void> {
  const keys = [appKey(scope), orgKey(scope), ...(share ? [share] : [])];
  await sql`
    with freed as (delete from xero_slots where id = ${slotId}::uuid returning id)
    update xero_calls set
      minute_used = case when minute_start = ${windows.minute} then greatest(minute_used - 1, 0) else minute_used end,
      day_used = case when key <> ${appKey(scope)} and day_start = ${windows.day} then greatest(day_used - 1, 0) else day_used end,
      own_hours = case when key = ${orgKey(scope)} then array(
        select case when i = 1 + floor(extract(epoch from own_hour - ${windows.hour.toISOString()}::timestamptz) / 3600) then greatest(n - 1, 0) else n end
        from unnest(own_hours) with ordinality u(n, i) order by i) else own_hours end
    where key in (${sql.join(keys)}) and exists (select 1 from freed)
    returning ${relaxedCommit}`.execute(db);
}

/**
 * The organisation row's day terms from Xero's X-DayLimit-Remaining (`remaining`, null when the
 * answer had none), for the releases' statements (the row as `c`): the limit learned from it
 * (xero-day-learned.sql), and our day count raised to Xero's figure, its limit less what it says is
 * left. When the learned limit changes, the count is Xero's figure against the new limit, lower too:
 * raised against the configured one (5 000 where Xero allows 1 000) it held every read back all day.
 * `configured` and `slack` as in xero_day_learned; expressions over the row, so a statement that
 * waited for another's lock reads the row that one left.
 */
function dayTerms(remaining: RawBuilder<unknown>, configured: RawBuilder<unknown>, slack: RawBuilder<unknown>, day: string, nowHour: string) {
  const learned = sql`xero_day_learned(c.own_hours, c.own_hour, c.own_from, ${nowHour}::timestamptz, ${remaining}, ${configured}, c.day_learned, ${slack})`;
  const limit = (l: RawBuilder<unknown>) => sql`least(${configured}, coalesce(${l}, ${configured}))`;
  const usedNow = sql`${limit(sql`c.day_learned`)} - ${remaining}`;
  const usedNew = sql`${limit(learned)} - ${remaining}`;
  return {
    learned,
    used: sql`case when c.day_start = ${day} and ${remaining} is not null then
      case when ${learned} is distinct from c.day_learned then greatest(${usedNew}, 0) else greatest(c.day_used, ${usedNow}) end
      else c.day_used end`,
    changes: sql`(c.day_start = ${day} and c.day_used < ${usedNow}) or ${learned} is distinct from c.day_learned`,
  };
}

/** The windows the call was counted in, the day limit configured for its organisation, and when it ended. */
interface ReleaseCtx {
  minute: Date;
  day: Date;
  dayConfigured: number;
  limits: XeroLimits;
  now: Date;
}

interface Release {
  scope: XeroBudgetScope;
  slotId: string;
  outcome: XeroCallOutcome;
  ctx: ReleaseCtx;
}

/**
 * Releases as they come, one statement at a time: the first is sent at once, those that come while
 * a statement is in flight go together in the next (releaseSlots), so a busy process (ten pay
 * clicks at once) makes fewer round trips and adds no wait to a quiet one. Each caller still learns
 * when its own slot is free.
 */
function releaser(db: Db) {
  let pending: (Release & { done: (err?: unknown) => void })[] = [];
  let sending = false;
  async function pump(): Promise<void> {
    sending = true;
    while (pending.length) {
      const batch = pending;
      pending = [];
      try {
        await releaseSlots(db, batch);
        for (const r of batch) r.done();
      } catch (err) {
        for (const r of batch) r.done(err);
      }
    }
    sending = false;
  }
  return (r: Release) =>
    new Promise<void>((resolve, reject) => {
      pending.push({ ...r, done: (err) => (err === undefined ? resolve() : reject(err)) });
      if (!sending) void pump();
    });
}

/** One release alone (releaseSlot); several, one statement per minute and day window they were counted in. */
async function releaseSlots(db: Db, batch: Release[]): Promise<void> {
  if (batch.length === 1) return releaseSlot(db, batch[0].scope, batch[0].slotId, batch[0].outcome, batch[0].ctx);
  const windows = new Map<string, Release[]>();
  for (const r of batch) {
    const k = `${r.ctx.minute.toISOString()} ${r.ctx.day.toISOString()}`;
    windows.set(k, [...(windows.get(k) ?? []), r]);
  }
  for (const same of windows.values()) await releaseManySlots(db, same);
}

/**
 * releaseSlot for several slots counted in one minute and day window, in one statement: every slot
 * freed, and each organisation's (and app's) counters raised to the highest figure Xero gave among
 * its answers, as releasing them one after another would leave them.
 */
async function releaseManySlots(db: Db, batch: Release[]): Promise<void> {
  const { minute, day } = batch[0].ctx;
  const now = new Date(Math.max(...batch.map((r) => r.ctx.now.getTime())));
  const rows = batch.map((r) => {
    const o = r.outcome;
    const L = r.ctx.limits;
    const blockedUntil = o.blockedForSeconds === undefined ? null : new Date(r.ctx.now.getTime() + (o.blockedForSeconds || DEFAULT_BLOCK_SECONDS) * 1000);
    return sql`(${r.slotId}::uuid, ${orgKey(r.scope)}, ${appKey(r.scope)},
      ${o.minRemaining === undefined ? null : L.perMinute - o.minRemaining}::int,
      ${o.dayRemaining ?? null}::int, ${r.ctx.dayConfigured}::int, ${daySlack(r.ctx.dayConfigured, L)}::int,
      ${o.appMinRemaining === undefined ? null : L.appPerMinute - o.appMinRemaining}::int,
      ${o.appWide ? null : blockedUntil?.toISOString()}::timestamptz, ${o.appWide ? blockedUntil?.toISOString() : null}::timestamptz)`;
  });
  const [m, d, n] = [minute.toISOString(), day.toISOString(), now.toISOString()];
  const days = dayTerms(sql`o.day_left`, sql`o.configured`, sql`o.slack`, d, hourOf(now.getTime()).toISOString());
  await sql`
    with v(slot, org_key, app_key, org_minute, day_left, configured, slack, app_minute, org_blocked, app_blocked) as (values ${sql.join(rows)}),
    freed as (
      delete from xero_slots s using v where s.id = v.slot or (s.key = v.org_key and s.lease_until <= ${n})
    ), o as (
      select org_key as key, max(org_minute) as used_minute, min(day_left) as day_left, max(configured) as configured, max(slack) as slack,
        max(org_blocked) as blocked from v group by org_key
    ), org as (
      update xero_calls c set
        minute_used = case when c.minute_start = ${m} and o.used_minute is not null then greatest(c.minute_used, o.used_minute) else c.minute_used end,
        day_used = ${days.used},
        day_learned = ${days.learned},
        blocked_until = case when o.blocked is not null then greatest(coalesce(c.blocked_until, o.blocked), o.blocked) else c.blocked_until end
      from o where c.key = o.key and (
        (c.minute_start = ${m} and c.minute_used < o.used_minute) or
        ${days.changes} or
        coalesce(c.blocked_until, '-infinity') < o.blocked)
    ), a as (
      select app_key as key, max(app_minute) as used_minute, max(app_blocked) as blocked from v group by app_key
    ), app as (
      update xero_calls c set
        minute_used = case when c.minute_start = ${m} and a.used_minute is not null then greatest(c.minute_used, a.used_minute) else c.minute_used end,
        blocked_until = case when a.blocked is not null then greatest(coalesce(c.blocked_until, a.blocked), a.blocked) else c.blocked_until end
      from a where c.key = a.key and (
        (c.minute_start = ${m} and c.minute_used < a.used_minute) or
        coalesce(c.blocked_until, '-infinity') < a.blocked)
    )
    select ${relaxedCommit}`.execute(db);
}

/**
 * Frees our slot (and any whose holder died: lease passed) and corrects the counters from Xero's
 * answer, in one statement. Xero's remaining counts only ever raise ours (calls by other processes
 * may still be in flight), and only within the window the call was counted in, unless the day limit
 * learned from them changes (dayTerms). A counter row is written (and locked) only when Xero's
 * figure changes it: usually it does not, and every call of that organisation queues on the row's lock.
 */
async function releaseSlot(db: Db, scope: XeroBudgetScope, slotId: string, o: XeroCallOutcome, ctx: ReleaseCtx): Promise<void> {
  const orgMinute = o.minRemaining === undefined ? null : ctx.limits.perMinute - o.minRemaining;
  const appMinute = o.appMinRemaining === undefined ? null : ctx.limits.appPerMinute - o.appMinRemaining;
  const blockedUntil = o.blockedForSeconds === undefined ? null : new Date(ctx.now.getTime() + (o.blockedForSeconds || DEFAULT_BLOCK_SECONDS) * 1000);
  const orgBlocked = o.appWide ? null : blockedUntil;
  const appBlocked = o.appWide ? blockedUntil : null;
  // As text, converted once (pg turns each Date parameter into text again at every occurrence).
  const [minute, day, now] = [ctx.minute.toISOString(), ctx.day.toISOString(), ctx.now.toISOString()];
  const days = dayTerms(
    sql`${o.dayRemaining ?? null}::int`,
    sql`${ctx.dayConfigured}::int`,
    sql`${daySlack(ctx.dayConfigured, ctx.limits)}::int`,
    day,
    hourOf(ctx.now.getTime()).toISOString(),
  );
  await sql`
    with freed as (
      delete from xero_slots where id = ${slotId}::uuid or (key = ${orgKey(scope)} and lease_until <= ${now})
    ), org as (
      update xero_calls c set
        minute_used = case when c.minute_start = ${minute} and ${orgMinute}::int is not null then greatest(c.minute_used, ${orgMinute}::int) else c.minute_used end,
        day_used = ${days.used},
        day_learned = ${days.learned},
        blocked_until = case when ${orgBlocked}::timestamptz is not null then greatest(coalesce(c.blocked_until, ${orgBlocked}::timestamptz), ${orgBlocked}::timestamptz) else c.blocked_until end
      where c.key = ${orgKey(scope)} and (
        (c.minute_start = ${minute} and c.minute_used < ${orgMinute}::int) or
        ${days.changes} or
        coalesce(c.blocked_until, '-infinity') < ${orgBlocked}::timestamptz)
    ), app as (
      update xero_calls set
        minute_used = case when minute_start = ${minute} and ${appMinute}::int is not null then greatest(minute_used, ${appMinute}::int) else minute_used end,
        blocked_until = case when ${appBlocked}::timestamptz is not null then greatest(coalesce(blocked_until, ${appBlocked}::timestamptz), ${appBlocked}::timestamptz) else blocked_until end
      where key = ${appKey(scope)} and (
        (minute_start = ${minute} and minute_used < ${appMinute}::int) or
        coalesce(blocked_until, '-infinity') < ${appBlocked}::timestamptz)
    )
    select ${relaxedCommit}`.execute(db);
}
