import { sql } from 'kysely';
import type { Db } from './db.js';
import type { FeeEntryKind } from './schema.js';
import type { NewJobRow } from './jobs.js';
import { claimColumns, rowStillClaimed, fencedUpdate, type Claim } from './claim-fence.js';

/** A fee's entry in Xero as an attempt sent it: its kind, and the clearing account it was made against. */
export interface FeeEntry {
  kind: FeeEntryKind;
  accountId: string;
}

/** Xendit's fee on a payment and its entry in Xero (post-fee): the payments row's fee columns. */
export function createPaymentFees(db: Db) {
  return {
    /** noteFeeAttempt for many payments, each fenced on its own `claim`: whether each landed, in order. */
    async noteFeeAttempts(rows: { id: string; entry: FeeEntry; at: Date | null; claim?: Claim }[]): Promise<boolean[]> {
      if (rows.length === 0) return [];
      const values = sql.join(
        rows.map((r) => sql`(${r.id}::uuid, ${r.entry.kind}::text, ${r.entry.accountId}::text, ${r.at}::timestamptz, ${claimColumns(r.claim)})`),
      );
      const { rows: landed } = await sql<{ id: string }>`update payments set fee_entry_kind = v.kind, fee_entry_account = v.account, fee_attempt_at = v.at
                from (values ${values}) as v(id, kind, account, at, job, claim_no)
                where payments.id = v.id and ${rowStillClaimed(sql.ref('v.job'), sql.ref('v.claim_no'))} returning payments.id`.execute(db);
      const ids = new Set(landed.map((r) => r.id));
      return rows.map((r) => ids.has(r.id));
    },

    /** markFeePosted for many payments. */
    async markFeesPosted(rows: { id: string; xeroFeeTxnId: string; now: Date }[]): Promise<void> {
      if (rows.length === 0) return;
      const values = sql.join(rows.map((r) => sql`(${r.id}::uuid, ${r.xeroFeeTxnId}::text, ${r.now}::timestamptz)`));
      await sql`update payments set fee_state = 'posted', xero_fee_txn_id = v.txn, fee_error = null, fee_attempt_at = null, updated_at = v.now
                from (values ${values}) as v(id, txn, now) where payments.id = v.id`.execute(db);
    },

    /** setFeeFromTransaction for many payments. */
    async setFeesFromTransactions(rows: { id: string; fee: number; tax: number; withheld?: number; now: Date }[]): Promise<void> {
      if (rows.length === 0) return;
      const values = sql.join(rows.map((r) => sql`(${r.id}::uuid, ${r.fee}::bigint, ${r.tax}::bigint, ${r.withheld ?? null}::bigint, ${r.now}::timestamptz)`));
      await sql`update payments set fee = v.fee, fee_tax = v.tax, fee_withheld = v.withheld, fee_raw = null, updated_at = v.now
                from (values ${values}) as v(id, fee, tax, withheld, now) where payments.id = v.id`.execute(db);
    },

    /** The fee's attempt mark, with how that attempt sends it (kept from then on: where the next attempt looks); with `claim`, as noteXeroAttempt. */
    async noteFeeAttempt(id: string, entry: FeeEntry, at: Date | null, claim?: Claim): Promise<boolean> {
      return fencedUpdate(
        db.updateTable('payments').set({ fee_entry_kind: entry.kind, fee_entry_account: entry.accountId, fee_attempt_at: at }).where('id', '=', id),
        claim,
      );
    },

    async markFeePosted(id: string, xeroFeeTxnId: string, now: Date): Promise<void> {
      await db
        .updateTable('payments')
        .set({ fee_state: 'posted', xero_fee_txn_id: xeroFeeTxnId, fee_error: null, fee_attempt_at: null, updated_at: now })
        .where('id', '=', id)
        .execute();
    },

    async setFeeTax(id: string, feeTax: number, now: Date): Promise<void> {
      await db.updateTable('payments').set({ fee_tax: feeTax, updated_at: now }).where('id', '=', id).execute();
    },

    /** Xendit's fee, its VAT and any tax it withheld as its Transactions API reports them (fee_tax set = read; post-fee reuses them). */
    async setFeeFromTransaction(id: string, f: { fee: number; tax: number; withheld?: number }, now: Date): Promise<void> {
      await db
        .updateTable('payments')
        .set({ fee: f.fee, fee_tax: f.tax, fee_withheld: f.withheld ?? null, fee_raw: null, updated_at: now })
        .where('id', '=', id)
        .execute();
    },

    async markFeeNotNeeded(id: string, now: Date): Promise<void> {
      await db.updateTable('payments').set({ fee_state: 'not_needed', fee_error: null, updated_at: now }).where('id', '=', id).execute();
    },

    async markFeeNeedsReview(id: string, reason: string, now: Date): Promise<void> {
      await db.updateTable('payments').set({ fee_state: 'needs_review', fee_error: reason, updated_at: now }).where('id', '=', id).execute();
    },

    async noteFeeError(id: string, error: string, now: Date): Promise<void> {
      await db.updateTable('payments').set({ fee_error: error, updated_at: now }).where('id', '=', id).execute();
    },

    /** Xendit's fee as it sent it, when it does not fit the currency (kept for the person who posts it by hand). */
    async noteFeeRaw(id: string, raw: string, now: Date): Promise<void> {
      await db.updateTable('payments').set({ fee: null, fee_raw: raw, updated_at: now }).where('id', '=', id).execute();
    },

    /**
     * The merchant's payments paid since `since` whose fee was found not needed without their
     * transaction ever being read (fee_tax null): recorded while nothing was to be posted for them,
     * so tax Xendit withheld from them may be unbooked (jobs/sync/withholding-catch-up.ts).
     */
    async feesNeverRead(merchantId: string, since: Date): Promise<{ id: string; paidAt: Date }[]> {
      const rows = await db
        .selectFrom('payments')
        .select(['id', 'paid_at'])
        .where('merchant_id', '=', merchantId)
        .where('fee_state', '=', 'not_needed')
        .where('fee_tax', 'is', null)
        .where('paid_at', '>=', since)
        .orderBy('paid_at')
        .execute();
      return rows.map((r) => ({ id: r.id, paidAt: r.paid_at }));
    },
  };
}

/** Rows per insert: well under PostgreSQL's 65 535 bind parameters (a job row has nine). */
const CHUNK = 1000;

/**
 * Takes a transaction: fee jobs queued again for payments whose fee was not needed (the
 * withholding tax account set since). A payment goes back to pending only when its job was
 * queued (its dedupe key free: the job never ran for it), so each is queued once, ever; and is
 * marked as possibly in Xero (fee_attempt_at), so post-fee looks its Reference up before it
 * creates anything: a person may have booked the tax by hand meanwhile.
 */
export async function requeueFees(trx: Db, rows: { paymentId: string; job: NewJobRow }[], now: Date): Promise<number> {
  let queued = 0;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const inserted = await trx
      .insertInto('jobs')
      .values(chunk.map((r) => r.job))
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .returning('dedupe_key')
      .execute();
    const keys = new Set(inserted.map((r) => r.dedupe_key));
    const ids = chunk.filter((r) => keys.has(r.job.dedupe_key)).map((r) => r.paymentId);
    if (!ids.length) continue;
    const r = await trx
      .updateTable('payments')
      .set({ fee_state: 'pending', fee_error: null, fee_attempt_at: now, updated_at: now })
      .where('id', 'in', ids)
      .where('fee_state', '=', 'not_needed')
      .executeTakeFirst();
    queued += Number(r.numUpdatedRows);
  }
  return queued;
}
