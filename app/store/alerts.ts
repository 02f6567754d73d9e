/** Alerts and their digests (the outbox). See migration 20261205T0640_alerts. */
import { sql } from 'kysely';
import type { Db } from './db.js';

export interface NewAlert {
  merchantId: string | null;
  kind: string;
  /** encodeMessage(...): rendered in the recipient's mail, never stored as words. */
  message: string;
  /** The user whose own action raised it. */
  exceptUserId?: string | null;
  /** While an alert with this key waits to be mailed, another one is absorbed by it. */
  dedupeKey?: string | null;
  /** With a dedupeKey: raised only if no alert ever had that key (one thing to mend, told once). */
  once?: boolean;
}

export interface StoredAlert {
  id: number;
  merchantId: string | null;
  kind: string;
  message: string;
  exceptUserId: string | null;
  createdAt: Date;
}

/** Who may receive alerts: enabled users who did not opt out. Operators hear about every merchant. */
export interface AlertPerson {
  id: string;
  email: string;
  role: 'operator' | 'merchant';
  merchantId: string | null;
}

export interface NewMail {
  recipient: string;
  subject: string;
  body: string;
}

export interface OutgoingMail extends NewMail {
  id: number;
  attempts: number;
  createdAt: Date;
  sentAt: Date | null;
  lastError: string | null;
}

/** An alert with a dedupe key is not raised again for this long. */
const QUIET_MS = 6 * 3600_000;

/** At most this many alerts per digest run; the rest wait for the next. */
const DIGEST_MAX = 1000;

interface AlertRow {
  id: number | string | bigint;
  merchant_id: string | null;
  kind: string;
  message: string;
  except_user_id: string | null;
  created_at: Date;
}

const toAlert = (r: AlertRow): StoredAlert => ({
  id: Number(r.id),
  merchantId: r.merchant_id,
  kind: r.kind,
  message: r.message,
  exceptUserId: r.except_user_id,
  createdAt: r.created_at,
});

export function createAlertStore(db: Db) {
  return {
    /**
     * False when an alert with the same dedupe key was raised within QUIET_MS (mailed or not): a
     * failure that persists (a refused key met by every retry) is told once, not every digest.
     */
    async raise(a: NewAlert, now: Date): Promise<boolean> {
      const r = await sql`
        insert into alerts (merchant_id, kind, message, except_user_id, dedupe_key, created_at)
        select ${a.merchantId}::uuid, ${a.kind}, ${a.message}, ${a.exceptUserId ?? null}::uuid, ${a.dedupeKey ?? null}, ${now}::timestamptz
        where not exists (select 1 from alerts where dedupe_key = ${a.dedupeKey ?? null} and (${a.once === true} or created_at > ${new Date(now.getTime() - QUIET_MS)}))
        on conflict (dedupe_key) where mailed_at is null and dedupe_key is not null do nothing`.execute(db);
      return Number(r.numAffectedRows ?? 0) > 0;
    },

    /** The latest alert of this kind per merchant raised since `since` ('all' merchants, or these), the newest `limit` of them, newest first. */
    async recent(kind: string, merchantIds: string[] | 'all', since: Date, limit: number): Promise<StoredAlert[]> {
      if (merchantIds !== 'all' && !merchantIds.length) return [];
      let latest = db
        .selectFrom('alerts')
        .select(['id', 'merchant_id', 'kind', 'message', 'except_user_id', 'created_at'])
        .distinctOn('merchant_id')
        .where('kind', '=', kind)
        .where('created_at', '>', since)
        .where('merchant_id', 'is not', null)
        .orderBy('merchant_id')
        .orderBy('created_at', 'desc');
      if (merchantIds !== 'all') latest = latest.where('merchant_id', 'in', merchantIds);
      const rows = await db.selectFrom(latest.as('a')).selectAll().orderBy('created_at', 'desc').limit(limit).execute();
      return rows.map(toAlert);
    },

    /**
     * Turns the alerts not yet mailed into mails, in one transaction: `plan` (pure) decides who gets
     * what; the mails are stored and the alerts marked mailed together, so an alert is in exactly one
     * digest. Rows are locked (SKIP LOCKED): two workers never digest the same alert.
     */
    async digest(now: Date, plan: (alerts: StoredAlert[], people: AlertPerson[]) => NewMail[]): Promise<number> {
      return db.transaction().execute(async (trx) => {
        const rows = await trx
          .selectFrom('alerts')
          .selectAll()
          .where('mailed_at', 'is', null)
          .orderBy('id')
          .limit(DIGEST_MAX)
          .forUpdate()
          .skipLocked()
          .execute();
        if (rows.length === 0) return 0;
        const merchants = [...new Set(rows.map((r) => r.merchant_id).filter((m): m is string => m !== null))];
        const people = await trx
          .selectFrom('users')
          .select(['id', 'email', 'role', 'merchant_id'])
          .where('disabled_at', 'is', null)
          .where('alerts_opt_out', '=', false)
          .where((eb) => eb.or([eb('role', '=', 'operator'), ...(merchants.length ? [eb('merchant_id', 'in', merchants)] : [])]))
          .execute();
        const alerts = rows.map(toAlert);
        const mails = plan(
          alerts,
          people.map((p) => ({ id: p.id, email: p.email, role: p.role, merchantId: p.merchant_id })),
        );
        if (mails.length)
          await trx
            .insertInto('alert_mails')
            .values(mails.map((m) => ({ ...m, created_at: now })))
            .execute();
        await trx
          .updateTable('alerts')
          .set({ mailed_at: now })
          .where(
            'id',
            'in',
            alerts.map((a) => a.id),
          )
          .execute();
        return mails.length;
      });
    },

    /** The next unsent mail, leased to this sender for `leaseMs` (a crashed sender's lease lapses). */
    async claimMail(now: Date, leaseMs: number): Promise<OutgoingMail | null> {
      const r = await sql<MailRow>`
        update alert_mails set locked_until = ${new Date(now.getTime() + leaseMs)}, attempts = attempts + 1
        where id = (
          select id from alert_mails
          where sent_at is null and (locked_until is null or locked_until < ${now})
          order by id limit 1 for update skip locked)
        returning id, recipient, subject, body, attempts, created_at, sent_at, last_error`.execute(db);
      const row = r.rows[0];
      return row ? toMail(row) : null;
    },

    async markSent(id: number, now: Date): Promise<void> {
      await db.updateTable('alert_mails').set({ sent_at: now, locked_until: null, last_error: null }).where('id', '=', id).execute();
    },

    /** The SMTP server refused or was unreachable: the mail waits for the next run. */
    async noteFailure(id: number, error: string): Promise<void> {
      await db
        .updateTable('alert_mails')
        .set({ locked_until: null, last_error: error.slice(0, 500) })
        .where('id', '=', id)
        .execute();
    },

    /** The newest mails first (the outbox, for operators and the demo). */
    async outbox(limit: number): Promise<OutgoingMail[]> {
      const rows = await db.selectFrom('alert_mails').selectAll().orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toMail);
    },

    async setOptOut(userId: string, optOut: boolean): Promise<void> {
      await db.updateTable('users').set({ alerts_opt_out: optOut }).where('id', '=', userId).execute();
    },

    async optedOut(userId: string): Promise<boolean> {
      const r = await db.selectFrom('users').select('alerts_opt_out').where('id', '=', userId).executeTakeFirst();
      return r?.alerts_opt_out ?? false;
    },
  };
}

/** An alert_mails row as SQL returns it (bigserial ids may come back as strings). */
interface MailRow {
  id: string | number;
  recipient: string;
  subject: string;
  body: string;
  attempts: number;
  created_at: Date;
  sent_at: Date | null;
  last_error: string | null;
}

function toMail(r: MailRow): OutgoingMail {
  return {
    id: Number(r.id),
    recipient: r.recipient,
    subject: r.subject,
    body: r.body,
    attempts: r.attempts,
    createdAt: r.created_at,
    sentAt: r.sent_at,
    lastError: r.last_error,
  };
}

export type AlertStore = ReturnType<typeof createAlertStore>;
