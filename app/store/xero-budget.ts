import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './db.js';
import type { Clock } from '../clock.js';
import type { XeroBudget, XeroBudgetRefusal, XeroBudgetScope, XeroBudgetTicket, XeroCallOutcome } from '../clients/types.js';

export interface XeroLimits {
  perMinute: number; // per organisation
  perDay: number; // per organisation, unless the merchant has its own xero_day_limit
  appPerMinute: number; // per app, across organisations
  maxInFlight: number; // per organisation
  /** Share of the daily budget (0..1) only payment writes may spend. */
  reserveShare: number;
  /** A slot whose holder never released it (crash) is free again after this. */
  slotLeaseMs: number;
}

export const XERO_LIMITS: XeroLimits = { perMinute: 60, perDay: 5000, appPerMinute: 10_000, maxInFlight: 5, reserveShare: 0.1, slotLeaseMs: 60_000 };

const MINUTE = 60_000;
const DAY = 86_400_000;
const DEFAULT_BLOCK_SECONDS = 60;

const orgKey = (s: XeroBudgetScope) => `org:${s.clientId}:${s.tenantId}`;
const appKey = (s: XeroBudgetScope) => `app:${s.clientId}`;
const secondsUntil = (end: number, now: number) => Math.max(1, Math.ceil((end - now) / 1000));

/**
 * Xero's limits counted in the database, so any number of web and worker processes stay inside
 * them together. Each acquire locks the app and organisation rows (always in that order) for one
 * short transaction: count, check, add, take a slot.
 */
export function createXeroBudget(db: Db, clock: Clock, limits: Partial<XeroLimits> = {}): XeroBudget {
  const L = { ...XERO_LIMITS, ...limits };

  return {
    async acquire(scope, purpose) {
      const now = clock();
      const t = now.getTime();
      const minute = new Date(Math.floor(t / MINUTE) * MINUTE);
      const day = new Date(Math.floor(t / DAY) * DAY);
      const keys = [appKey(scope), orgKey(scope)]; // 'app:' < 'org:': the lock order below
      const slotId = randomUUID();

      const decided = await db.transaction().execute(async (trx) => {
        const lock = () =>
          trx
            .selectFrom('xero_calls')
            .selectAll()
            .select((eb) =>
              eb
                .selectFrom('merchants')
                .select((m) => m.fn.min('xero_day_limit').as('l'))
                .where('xero_client_id', '=', scope.clientId)
                .where('xero_tenant_id', '=', scope.tenantId)
                .as('merchant_day_limit'),
            )
            .where('key', 'in', keys)
            .orderBy('key')
            .forUpdate()
            .execute();
        let rows = await lock();
        if (rows.length < keys.length) {
          await trx
            .insertInto('xero_calls')
            .values(keys.map((key) => ({ key, minute_start: minute, day_start: day })))
            .onConflict((oc) => oc.column('key').doNothing())
            .execute();
          rows = await lock();
        }
        const app = rows.find((r) => r.key === keys[0])!;
        const org = rows.find((r) => r.key === keys[1])!;
        const refuse = (reason: XeroBudgetRefusal, until: number) => ({ refusal: { reason, retryAfterSeconds: secondsUntil(until, t) } });

        for (const r of [app, org]) {
          if (r.blocked_until && new Date(r.blocked_until).getTime() > t) return refuse('blocked', new Date(r.blocked_until).getTime());
        }
        const minuteUsed = new Date(org.minute_start).getTime() >= minute.getTime() ? org.minute_used : 0;
        const dayUsed = new Date(org.day_start).getTime() >= day.getTime() ? org.day_used : 0;
        const appUsed = new Date(app.minute_start).getTime() >= minute.getTime() ? app.minute_used : 0;
        const own = org.merchant_day_limit === null ? 0 : Number(org.merchant_day_limit);
        const perDay = own > 0 ? own : L.perDay;
        const dayLeft = perDay - dayUsed;
        const nextMinute = minute.getTime() + MINUTE;
        const nextDay = day.getTime() + DAY;
        if (dayLeft <= 0) return refuse('day', nextDay);
        if (purpose !== 'payment-write' && dayLeft <= Math.ceil(perDay * L.reserveShare)) return refuse('reserve', nextDay);
        if (minuteUsed >= L.perMinute) return refuse('minute', nextMinute);
        if (appUsed >= L.appPerMinute) return refuse('app_minute', nextMinute);

        const inFlight = await trx
          .selectFrom('xero_slots')
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .where('key', '=', org.key)
          .where('lease_until', '>', now)
          .executeTakeFirstOrThrow();
        if (Number(inFlight.n) >= L.maxInFlight) return refuse('in_flight', t + 1000);

        await trx.updateTable('xero_calls').set({ minute_start: minute, minute_used: minuteUsed + 1, day_start: day, day_used: dayUsed + 1 }).where('key', '=', org.key).execute();
        await trx.updateTable('xero_calls').set({ minute_start: minute, minute_used: appUsed + 1 }).where('key', '=', app.key).execute();
        await trx.insertInto('xero_slots').values({ id: slotId, key: org.key, lease_until: new Date(t + L.slotLeaseMs) }).execute();
        return { perDay };
      });
      if ('refusal' in decided) return { ok: false, ...decided.refusal } satisfies XeroBudgetTicket;

      const release = async (outcome: XeroCallOutcome) => {
        // Our slot, and any whose holder died (lease passed).
        await db
          .deleteFrom('xero_slots')
          .where((eb) => eb.or([eb('id', '=', slotId), eb.and([eb('key', '=', orgKey(scope)), eb('lease_until', '<=', clock())])]))
          .execute();
        await correct(db, scope, outcome, { minute, day, perDay: decided.perDay, limits: L, now: clock() });
      };
      return { ok: true, release };
    },
  };
}

/**
 * Xero's remaining counts only ever raise ours (calls by other processes may still be in flight),
 * and only within the window the call was counted in.
 */
async function correct(
  db: Db,
  scope: XeroBudgetScope,
  o: XeroCallOutcome,
  ctx: { minute: Date; day: Date; perDay: number; limits: XeroLimits; now: Date },
): Promise<void> {
  if (o.minRemaining !== undefined) {
    const used = ctx.limits.perMinute - o.minRemaining;
    await db.updateTable('xero_calls').set({ minute_used: sql`greatest(minute_used, ${used})` }).where('key', '=', orgKey(scope)).where('minute_start', '=', ctx.minute).execute();
  }
  if (o.dayRemaining !== undefined) {
    const used = ctx.perDay - o.dayRemaining;
    await db.updateTable('xero_calls').set({ day_used: sql`greatest(day_used, ${used})` }).where('key', '=', orgKey(scope)).where('day_start', '=', ctx.day).execute();
  }
  if (o.appMinRemaining !== undefined) {
    const used = ctx.limits.appPerMinute - o.appMinRemaining;
    await db.updateTable('xero_calls').set({ minute_used: sql`greatest(minute_used, ${used})` }).where('key', '=', appKey(scope)).where('minute_start', '=', ctx.minute).execute();
  }
  if (o.blockedForSeconds !== undefined) {
    const until = new Date(ctx.now.getTime() + (o.blockedForSeconds || DEFAULT_BLOCK_SECONDS) * 1000);
    await db
      .updateTable('xero_calls')
      .set({ blocked_until: sql`greatest(coalesce(blocked_until, ${until}), ${until})` })
      .where('key', '=', o.appWide ? appKey(scope) : orgKey(scope))
      .execute();
  }
}
