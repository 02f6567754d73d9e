/**
 * Open checkouts follow their Xero invoice: which ones a Xero webhook event concerns, which ones
 * the scheduled comparison looks at next, and closing one (with why) once Xendit expired it.
 */
import { sql } from 'kysely';
import type { Db } from './db.js';
import { insertJob, type NewJobRow } from './jobs.js';
import { lateCreateWindow, toCheckout, type Checkout, type MadeAtXendit } from './checkout-model.js';

const LIVE = ['creating', 'open'] as const;

export interface WatchedInvoice {
  merchantId: string;
  xeroInvoiceId: string;
}

export function createInvoiceWatchStore(db: Db) {
  return {
    /**
     * Of these (Xero organisation, invoice) pairs, those with a live checkout here, as merchant and
     * invoice: one statement, so a webhook about invoices we never opened a checkout for costs one read.
     */
    async liveAmong(events: { tenantId: string; invoiceId: string }[]): Promise<WatchedInvoice[]> {
      if (events.length === 0) return [];
      const pairs = events.map((e) => sql`(${e.tenantId}::text, ${e.invoiceId.toLowerCase()}::text)`);
      const rows = await sql<{ merchant_id: string; xero_invoice_id: string }>`
        select distinct c.merchant_id, c.xero_invoice_id
        from checkouts c join merchants m on m.id = c.merchant_id
        where c.status in ('creating', 'open')
          and (m.xero_tenant_id, lower(c.xero_invoice_id)) in (${sql.join(pairs)})`.execute(db);
      return rows.rows.map((r) => ({ merchantId: r.merchant_id, xeroInvoiceId: r.xero_invoice_id }));
    },

    /** Of these Xero organisations, the merchants (of any of them) with live checkouts here: one statement. */
    async merchantsWithOpenIn(tenantIds: string[]): Promise<string[]> {
      if (tenantIds.length === 0) return [];
      const rows = await db
        .selectFrom('checkouts as c')
        .innerJoin('merchants as m', 'm.id', 'c.merchant_id')
        .select('c.merchant_id')
        .distinct()
        .where('c.status', 'in', LIVE)
        .where('m.xero_tenant_id', 'in', tenantIds)
        .execute();
      return rows.map((r) => r.merchant_id);
    },

    /** Queues the jobs in one transaction: the webhook is answered only once all of them are stored. */
    async queue(jobs: NewJobRow[]): Promise<number> {
      if (jobs.length === 0) return 0;
      return db.transaction().execute(async (trx) => {
        let queued = 0;
        for (const job of jobs) if (await insertJob(trx, job)) queued++;
        return queued;
      });
    },

    /**
     * Queues a check of the invoice unless one is already queued or running for it (from a webhook
     * or an earlier run): each attempt of a check reads the invoice from Xero, so a run that queued
     * a fresh check beside a still-retrying one would spend the organisation's budget once per run.
     * One statement, so the check and the insert see the same jobs.
     */
    async queueCheck(job: NewJobRow, merchantId: string, xeroInvoiceId: string): Promise<boolean> {
      const r = await sql`
        insert into jobs (kind, merchant_id, payload, dedupe_key, state, max_attempts, run_at, created_at, updated_at)
        select ${job.kind}, ${job.merchant_id}, ${job.payload}::jsonb, ${job.dedupe_key}, ${job.state}, ${job.max_attempts},
               ${job.run_at}, ${job.created_at}, ${job.updated_at}
        where not exists (
          select 1 from jobs
          where kind = ${job.kind} and merchant_id = ${merchantId} and state in ('queued', 'running')
            and lower(payload->>'xeroInvoiceId') = ${xeroInvoiceId.toLowerCase()})
        on conflict (dedupe_key) do nothing`.execute(db);
      return (r.numAffectedRows ?? 0n) > 0n;
    },

    /**
     * Merchants with live checkouts: open at Xendit, or still 'creating' (a create whose answer was
     * lost keeps its row, and Xendit may hold a payable invoice under its external id).
     */
    async merchantsWithOpen(): Promise<string[]> {
      const rows = await db.selectFrom('checkouts').select('merchant_id').distinct().where('status', 'in', LIVE).execute();
      return rows.map((r) => r.merchant_id);
    },

    /** The merchant's live checkouts compared least recently (never first), at most `limit`. */
    async dueForCheck(merchantId: string, limit: number): Promise<Checkout[]> {
      const rows = await db
        .selectFrom('checkouts')
        .selectAll()
        .where('merchant_id', '=', merchantId)
        .where('status', 'in', LIVE)
        .orderBy(sql`xero_checked_at nulls first`)
        .orderBy('created_at')
        .limit(limit)
        .execute();
      return rows.map(toCheckout);
    },

    async noteChecked(ids: string[], now: Date): Promise<void> {
      if (ids.length) await db.updateTable('checkouts').set({ xero_checked_at: now }).where('id', 'in', ids).execute();
    },

    /**
     * Why it is about to be expired at Xendit, stored before Xendit is asked: Xendit's EXPIRED
     * callback (verify-checkout) may close it first, or the worker die before close, and why must
     * not be lost either way. Shown only once the checkout is expired. updated_at is left alone: it
     * is the fence of the pay path's writes to a live checkout.
     */
    async noteClosing(id: string, reason: string): Promise<void> {
      await db.updateTable('checkouts').set({ closed_reason: reason }).where('id', '=', id).where('status', 'in', LIVE).execute();
    },

    /** Of these checkouts, the live ones with a reason noted for a close (id → reason). */
    async notedReasons(ids: string[]): Promise<Map<string, string>> {
      if (!ids.length) return new Map();
      const rows = await db
        .selectFrom('checkouts')
        .select(['id', 'closed_reason'])
        .where('id', 'in', ids)
        .where('status', 'in', LIVE)
        .where('closed_reason', 'is not', null)
        .execute();
      return new Map(rows.map((r) => [r.id, r.closed_reason!]));
    },

    /**
     * A 'creating' checkout whose creator died, held by this caller (fence = its updated_at after
     * takeOver, or as read when no click touched it since), closed: expired with why (null: its Xero
     * invoice did not change) and the Xendit invoice the dead click had made (already expired there).
     * When Xendit shows none yet the row is kept, expired without an invoice and unconfirmed: a create
     * that timed out on our side may still be processed by Xendit later, and its invoice can be paid
     * (Xendit e-mails it). The row is what routes that payment's callback and what reconcile asks
     * about (expiriesToConfirm, then lateCreatesToAsk) until Xendit can no longer make it payable
     * (lateCreateWindow); deleted, the payment would be acknowledged and lost. The window is set when
     * Xendit shows an invoice too: a take-over's create, also unanswered, may still make a second one.
     */
    async closeCreating(id: string, fence: Date, made: MadeAtXendit | null, reason: string | null, now: Date): Promise<boolean> {
      const r = await db
        .updateTable('checkouts')
        .set({
          status: 'expired',
          xendit_invoice_id: made?.xenditInvoiceId ?? null,
          invoice_url: made?.invoiceUrl ?? null,
          closed_reason: reason,
          updated_at: now,
          late_create_until: lateCreateWindow(now),
          ...(made ? {} : { reconciled_at: null }),
        })
        .where('id', '=', id)
        .where('status', '=', 'creating')
        .where('updated_at', '=', fence)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    /**
     * The invoice no longer calls for closing (a close given up: Xendit refused, then the invoice
     * was put right): a reason noted for it is dropped, so a later natural expiry shows none.
     */
    async dropClosing(ids: string[]): Promise<void> {
      if (!ids.length) return;
      await db
        .updateTable('checkouts')
        .set({ closed_reason: null })
        .where('id', 'in', ids)
        .where('status', 'in', LIVE)
        .where('closed_reason', 'is not', null)
        .execute();
    },

    /** Xendit expired it: closed, with why. Only a live checkout moves (a PAID that raced us stays paid). */
    async close(id: string, reason: string, now: Date): Promise<boolean> {
      const r = await db
        .updateTable('checkouts')
        .set({ status: 'expired', closed_reason: reason, updated_at: now })
        .where('id', '=', id)
        .where('status', 'in', LIVE)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    /** The invoice's checkouts closed because it changed in Xero, oldest first (a payment's page shows them). */
    async closedForInvoice(merchantId: string, xeroInvoiceId: string): Promise<(Checkout & { closedReason: string })[]> {
      const rows = await db
        .selectFrom('checkouts')
        .selectAll()
        .where('merchant_id', '=', merchantId)
        .where('xero_invoice_id', '=', xeroInvoiceId)
        .where('status', '=', 'expired')
        .where('closed_reason', 'is not', null)
        .orderBy('updated_at')
        .execute();
      return rows.map((r) => ({ ...toCheckout(r), closedReason: r.closed_reason! }));
    },

    /** Checkouts closed because their Xero invoice changed, newest first (the admin shows them). */
    async recentlyClosed(merchantIds: string[] | 'all', limit: number): Promise<(Checkout & { closedReason: string })[]> {
      if (merchantIds !== 'all' && merchantIds.length === 0) return [];
      // A reason on a checkout that is not expired was noted for a close that did not happen (paid first).
      let q = db.selectFrom('checkouts').selectAll().where('closed_reason', 'is not', null).where('status', '=', 'expired');
      if (merchantIds !== 'all') q = q.where('merchant_id', 'in', merchantIds);
      const rows = await q.orderBy('updated_at', 'desc').limit(limit).execute();
      return rows.map((r) => ({ ...toCheckout(r), closedReason: r.closed_reason! }));
    },
  };
}

export type InvoiceWatchStore = ReturnType<typeof createInvoiceWatchStore>;
