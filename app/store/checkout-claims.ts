import { sql, type Transaction } from 'kysely';
import type { Db } from './db.js';
import type { Database } from './schema.js';
import { keyColumn, sealedAt } from './merchant-model.js';
import type { SecretBox } from '../security/secrets.js';
import { lateCreateWindow, LIVE, toCheckout, type Checkout, type NewCheckout } from './checkout-model.js';

/**
 * Making a checkout: a click claims the invoice's 'creating' row (one claim per invoice at a time),
 * opens it once Xendit made the invoice, or drops it when Xendit made nothing; a key change
 * supersedes every live one (supersedeLive).
 */
export function createCheckoutClaims(db: Db, box?: SecretBox) {
  /**
   * claim, for a click about to create the invoice with `key`: 'key-changed' when the merchant's
   * Xendit key in use is no longer that key. A key change supersedes every live checkout in its
   * own transaction (supersedeLive); a click that read the merchant before it and claims after it
   * would open a checkout in the retired account that nothing retires. The merchant row is read
   * FOR SHARE, so a key change still in flight is waited for, and one committed is seen.
   */
  const claimWithKey = async (c: NewCheckout, now: Date, key?: string): Promise<Checkout | null | 'key-changed'> =>
    db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${sql.lit(CLAIM_LOCK_CLASS)}::int4, hashtext(${`${c.merchantId}:${c.xeroInvoiceId}`}))`.execute(trx);
      if (key !== undefined && box) {
        const m = await trx
          .selectFrom('merchants')
          .select(['id', 'mode', 'xendit_secret_key_enc'])
          .where('id', '=', c.merchantId)
          .forShare()
          .executeTakeFirst();
        const inUse = m?.xendit_secret_key_enc ? box.open(m.xendit_secret_key_enc, sealedAt(keyColumn(m.mode), m.id)) : '';
        if (inUse !== key) return 'key-changed';
      }
      const other = await trx
        .selectFrom('checkouts')
        .select('id')
        .where('merchant_id', '=', c.merchantId)
        .where('xero_invoice_id', '=', c.xeroInvoiceId)
        .where('status', 'in', LIVE)
        .where('amount', '!=', c.amount)
        .executeTakeFirst();
      return other ? null : insertClaim(trx, c, now);
    });

  return {
    /**
     * Inserts a 'creating' row; null when the invoice already has a live checkout, of any amount.
     * The unique index checkouts_one_live is per amount (two claims of different amounts, from two
     * tabs or around an edit in Xero, would both succeed), and one per invoice could not be built
     * over rows made before this: so claims of one invoice take turns under a transaction lock, and
     * each sees the rows the one before it committed. Only a claim makes a row live.
     */
    async claim(c: NewCheckout, now: Date): Promise<Checkout | null> {
      const r = await claimWithKey(c, now);
      return r === 'key-changed' ? null : r;
    },

    claimWithKey,

    /**
     * A 'creating' row whose creator went quiet (crash, timeout) may be taken over, by one clicker
     * only. The row's updated_at is the claim's fence: returns the new fence, or null when someone
     * else holds the row.
     */
    async takeOver(id: string, staleBefore: Date, now: Date): Promise<Date | null> {
      const r = await db
        .updateTable('checkouts')
        .set({ updated_at: now })
        .where('id', '=', id)
        .where('status', '=', 'creating')
        .where('updated_at', '<', staleBefore)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n ? now : null;
    },

    /**
     * Opens the checkout if this caller still holds its claim (fence = the claim's updated_at); else null.
     * `expiresAt`: when Xendit said it expires, if sooner than the claim's estimate. `takenOver`: an
     * earlier click's create of it had no answer, and Xendit may still make that invoice late, a
     * twin of the one opened with: reconcile looks under its external id until that can no longer be
     * payable (lateCreateWindow), and expires what it finds besides its own.
     */
    async open(id: string, fence: Date, xenditInvoiceId: string, invoiceUrl: string, now: Date, expiresAt?: Date, takenOver = false): Promise<Checkout | null> {
      const r = await db
        .updateTable('checkouts')
        .set({
          status: 'open',
          xendit_invoice_id: xenditInvoiceId,
          invoice_url: invoiceUrl,
          updated_at: now,
          ...(expiresAt ? { expires_at: expiresAt } : {}),
          ...(takenOver ? { late_create_until: lateCreateWindow(now) } : {}),
        })
        .where('id', '=', id)
        .where('status', '=', 'creating')
        .where('updated_at', '=', fence)
        .returningAll()
        .executeTakeFirst();
      return r ? toCheckout(r) : null;
    },

    /** Xendit refused the create outright (it made nothing): remove the row (if still ours) so nothing is half-written. */
    async abandon(id: string, fence: Date): Promise<void> {
      await db.deleteFrom('checkouts').where('id', '=', id).where('status', '=', 'creating').where('updated_at', '=', fence).execute();
    },
  };
}

/**
 * Two-key advisory locks ((int4, int4)) never meet the one-key (bigint) migration lock of
 * sql-functions.ts; this class names the checkout claims among them.
 */
const CLAIM_LOCK_CLASS = 0x636b6f74; // 'ckot'

/** The 'creating' row; null when one of the same amount is live (checkouts_one_live). */
async function insertClaim(trx: Transaction<Database>, c: NewCheckout, now: Date): Promise<Checkout | null> {
  const r = await trx
    .insertInto('checkouts')
    .values({
      id: c.id,
      merchant_id: c.merchantId,
      xero_invoice_id: c.xeroInvoiceId,
      invoice_number: c.invoiceNumber,
      currency: c.currency,
      amount: c.amount,
      external_id: c.externalId,
      expires_at: c.expiresAt,
      customer_name: c.customer?.name || null,
      customer_email: c.customer?.email || null,
      xendit_mode: c.xenditMode ?? null,
      xendit_key_hint: c.xenditKeyHint ?? null,
      status: 'creating',
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  return r ? toCheckout(r) : null;
}

/**
 * The merchant's Xendit key goes out of use (in `trx`, which holds the merchant row): its live
 * checkouts are superseded at once, so no click reuses one (its invoice is in the old key's
 * account, which the new key cannot read or expire) nor waits for one being created with it, and
 * the next click makes a new one. Their ids, for the job that expires them with the old key.
 */
export async function supersedeLive(trx: Transaction<Database>, merchantId: string, now: Date): Promise<string[]> {
  const rows = await trx
    .updateTable('checkouts')
    .set({ status: 'superseded', updated_at: now })
    .where('merchant_id', '=', merchantId)
    .where('status', 'in', LIVE)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}
