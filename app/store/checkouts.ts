import { sql, type Selectable, type SelectQueryBuilder, type Transaction } from 'kysely';
import type { Db } from './db.js';
import type { CheckoutsTable, CheckoutStatus, Database } from './schema.js';
import { keyColumn, modeOfXenditKey, sealedAt, xenditKeyHint, type XenditMode } from './merchant-model.js';
import type { SecretBox } from '../security/secrets.js';
import { int8 } from './int8.js';
import type { Currency } from '../money.js';
import { insertJob, type NewJobRow } from './jobs.js';

export interface Checkout {
  id: string;
  merchantId: string;
  xeroInvoiceId: string;
  invoiceNumber: string;
  currency: Currency;
  amount: number; // minor units
  externalId: string;
  xenditInvoiceId: string | null;
  invoiceUrl: string | null;
  status: CheckoutStatus;
  expiresAt: Date;
  /** The mode of the Xendit key that made it; null: made before this was stored (migration 20261206T1600) and not known. */
  xenditMode: XenditMode | null;
  /** That key's last 4 characters (`…abcd`), to name the Xendit account it is in once the key is replaced; null: not known. */
  xenditKeyHint: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type NewCheckout = Pick<Checkout, 'id' | 'merchantId' | 'xeroInvoiceId' | 'invoiceNumber' | 'currency' | 'amount' | 'externalId' | 'expiresAt'> & {
  /** The Xero invoice's contact, shown as the customer in the admin's payments list. */
  customer?: { name: string; email?: string };
} & Partial<Pick<Checkout, 'xenditMode' | 'xenditKeyHint'>>;

/** What a checkout made with this Xendit key stores of it (never the key). */
export function madeWithKey(secretKey: string): Pick<Checkout, 'xenditMode' | 'xenditKeyHint'> {
  return { xenditMode: modeOfXenditKey(secretKey), xenditKeyHint: xenditKeyHint(secretKey) };
}

const LIVE: CheckoutStatus[] = ['creating', 'open'];
/** What a payment may still move to paid: a late PAID wins over an expiry we or Xendit made. */
const PAYABLE: CheckoutStatus[] = ['creating', 'open', 'expired', 'superseded'];

/** The Xendit invoice behind a checkout. */
export interface MadeAtXendit {
  xenditInvoiceId: string;
  invoiceUrl: string;
}

/** Stores the invoice on a checkout that has none yet; never replaces one it has. */
function madeAtXendit(made: MadeAtXendit | undefined) {
  if (!made) return {};
  return {
    xendit_invoice_id: sql<string>`coalesce(xendit_invoice_id, ${made.xenditInvoiceId})`,
    invoice_url: sql<string>`coalesce(invoice_url, ${made.invoiceUrl})`,
  };
}

/**
 * How long a click waits for a concurrent click creating the same checkout; a 'creating' row not
 * touched for this long has lost its creator (crash, timeout) and may be taken over or cleaned up.
 */
export const CREATION_WAIT_MS = 15_000;

export function toCheckout(r: Selectable<CheckoutsTable>): Checkout {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    xeroInvoiceId: r.xero_invoice_id,
    invoiceNumber: r.invoice_number,
    currency: r.currency as Currency,
    amount: int8(r.amount),
    externalId: r.external_id,
    xenditInvoiceId: r.xendit_invoice_id,
    invoiceUrl: r.invoice_url,
    status: r.status,
    expiresAt: r.expires_at,
    xenditMode: r.xendit_mode ?? null,
    xenditKeyHint: r.xendit_key_hint ?? null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** A checkouts row as json_build_object/row_to_json gives it (timestamps as text). */
export type CheckoutJson = Omit<Selectable<CheckoutsTable>, 'expires_at' | 'created_at' | 'updated_at'> &
  Record<'expires_at' | 'created_at' | 'updated_at', string>;

export function checkoutFromJson(r: CheckoutJson): Checkout {
  return toCheckout({ ...r, expires_at: new Date(r.expires_at), created_at: new Date(r.created_at), updated_at: new Date(r.updated_at) });
}

export function createCheckoutStore(db: Db, box?: SecretBox) {
  /**
   * Checkouts created before createdBefore (and since `since`), of one merchant if given, least
   * recently reconciled first: bounded batches rotate through all of them.
   */
  const inRotation = async (
    query: SelectQueryBuilder<Database, 'checkouts', Selectable<CheckoutsTable>>,
    q: { createdBefore: Date; since?: Date; merchantId?: string; limit: number },
  ): Promise<Checkout[]> => {
    let rows = query.where('created_at', '<', q.createdBefore);
    if (q.since) rows = rows.where('created_at', '>=', q.since);
    if (q.merchantId) rows = rows.where('merchant_id', '=', q.merchantId);
    return (
      await rows
        .orderBy(sql`coalesce(reconciled_at, created_at)`)
        .limit(q.limit)
        .execute()
    ).map(toCheckout);
  };

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
    /** The invoice's live checkouts, whatever their amount: one, unless rows from before claims were serialised (see claim). */
    async liveOfInvoice(merchantId: string, xeroInvoiceId: string): Promise<Checkout[]> {
      const rows = await db
        .selectFrom('checkouts')
        .selectAll()
        .where('merchant_id', '=', merchantId)
        .where('xero_invoice_id', '=', xeroInvoiceId)
        .where('status', 'in', LIVE)
        .orderBy('created_at')
        .execute();
      return rows.map(toCheckout);
    },

    async live(merchantId: string, xeroInvoiceId: string, amount: number): Promise<Checkout | null> {
      const r = await db
        .selectFrom('checkouts')
        .selectAll()
        .where('merchant_id', '=', merchantId)
        .where('xero_invoice_id', '=', xeroInvoiceId)
        .where('amount', '=', amount)
        .where('status', 'in', LIVE)
        .executeTakeFirst();
      return r ? toCheckout(r) : null;
    },

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
     * `expiresAt`: when Xendit said it expires, if sooner than the claim's estimate.
     */
    async open(id: string, fence: Date, xenditInvoiceId: string, invoiceUrl: string, now: Date, expiresAt?: Date): Promise<Checkout | null> {
      const r = await db
        .updateTable('checkouts')
        .set({ status: 'open', xendit_invoice_id: xenditInvoiceId, invoice_url: invoiceUrl, updated_at: now, ...(expiresAt ? { expires_at: expiresAt } : {}) })
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

    /** Moves a checkout on only from the states given, so a late EXPIRED never undoes a PAID. */
    async transition(id: string, from: CheckoutStatus[], to: CheckoutStatus, now: Date): Promise<boolean> {
      const r = await db.updateTable('checkouts').set({ status: to, updated_at: now }).where('id', '=', id).where('status', 'in', from).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    /** transition for many checkouts (a group of jobs) with the same from and to: which ids moved. */
    async transitionAll(ids: string[], from: CheckoutStatus[], to: CheckoutStatus, now: Date): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await db
        .updateTable('checkouts')
        .set({ status: to, updated_at: now })
        .where('id', 'in', ids)
        .where('status', 'in', from)
        .returning('id')
        .execute();
      return new Set(rows.map((r) => r.id));
    },

    /** forXenditInvoice for many invoices of one merchant (a group of jobs), in the order asked. */
    async forXenditInvoices(merchantId: string, invoices: { xenditInvoiceId: string; externalId: string }[]): Promise<(Checkout | null)[]> {
      if (invoices.length === 0) return [];
      const rows = (
        await db
          .selectFrom('checkouts')
          .selectAll()
          .where('merchant_id', '=', merchantId)
          .where((eb) =>
            eb.or([
              eb(
                'xendit_invoice_id',
                'in',
                invoices.map((i) => i.xenditInvoiceId),
              ),
              eb(
                'external_id',
                'in',
                invoices.map((i) => i.externalId),
              ),
            ]),
          )
          .execute()
      ).map(toCheckout);
      return invoices.map((i) => rows.find((r) => r.xenditInvoiceId === i.xenditInvoiceId || r.externalId === i.externalId) ?? null);
    },

    /** Whether one of the merchant's checkouts made this Xendit invoice. */
    async madeXenditInvoice(merchantId: string, xenditInvoiceId: string): Promise<boolean> {
      const r = await db
        .selectFrom('checkouts')
        .select('id')
        .where('merchant_id', '=', merchantId)
        .where('xendit_invoice_id', '=', xenditInvoiceId)
        .executeTakeFirst();
      return !!r;
    },

    async forXenditInvoice(merchantId: string, xenditInvoiceId: string, externalId: string): Promise<Checkout | null> {
      const r = await db
        .selectFrom('checkouts')
        .selectAll()
        .where('merchant_id', '=', merchantId)
        .where((eb) => eb.or([eb('xendit_invoice_id', '=', xenditInvoiceId), eb('external_id', '=', externalId)]))
        .executeTakeFirst();
      return r ? toCheckout(r) : null;
    },

    /**
     * 'creating' checkouts no click holds (not touched since updatedBefore), created before
     * createdBefore: a create whose answer was lost keeps its row, and Xendit may hold the invoice
     * under its external id. Least recently reconciled first, as toReconcile.
     */
    async staleCreating(q: { createdBefore: Date; updatedBefore: Date; since?: Date; merchantId?: string; limit: number }): Promise<Checkout[]> {
      if (q.limit <= 0) return [];
      return inRotation(db.selectFrom('checkouts').selectAll().where('status', '=', 'creating').where('updated_at', '<', q.updatedBefore), q);
    },

    /**
     * Checkouts still waiting for a payment (open, or superseded but maybe paid anyway), created
     * before createdBefore: least recently reconciled first, so bounded batches rotate through all.
     */
    async toReconcile(q: { createdBefore: Date; since?: Date; merchantId?: string; limit: number }): Promise<Checkout[]> {
      return inRotation(db.selectFrom('checkouts').selectAll().where('status', 'in', ['open', 'superseded']).where('xendit_invoice_id', 'is not', null), q);
    },

    /**
     * Expired checkouts reconcile has not confirmed since they were closed. An EXPIRED callback
     * closes a checkout on its word alone, and may come out of order for an invoice that was paid
     * meanwhile (its PAID callback lost): Xendit is asked once about each.
     */
    async expiriesToConfirm(q: { createdBefore: Date; since?: Date; merchantId?: string; limit: number }): Promise<Checkout[]> {
      if (q.limit <= 0) return [];
      let query = db
        .selectFrom('checkouts')
        .selectAll()
        .where('status', '=', 'expired')
        .where((eb) => eb.or([eb('reconciled_at', 'is', null), eb('reconciled_at', '<', eb.ref('updated_at'))]))
        .where('created_at', '<', q.createdBefore);
      if (q.since) query = query.where('created_at', '>=', q.since);
      if (q.merchantId) query = query.where('merchant_id', '=', q.merchantId);
      const rows = await query.orderBy('updated_at').limit(q.limit).execute();
      return rows.map(toCheckout);
    },

    /** The invoice Xendit made late for a checkout closed without one (reconcile): stored, never replacing one. */
    async keepMadeAtXendit(id: string, made: MadeAtXendit): Promise<void> {
      await db.updateTable('checkouts').set(madeAtXendit(made)).where('id', '=', id).execute();
    },

    async markReconciled(id: string, now: Date): Promise<void> {
      await db.updateTable('checkouts').set({ reconciled_at: now }).where('id', '=', id).execute();
    },

    /**
     * Xendit says paid but no callback told us: the same move a PAID callback makes (checkout paid,
     * and `job`, the recording job under the callback's dedupe key, queued in the same transaction),
     * so callback and reconciliation never double up. Returns true when this call queued the job.
     * `paidWith`: the invoice Xendit says was paid, stored on a checkout that has none yet.
     */
    async markPaid(c: Checkout, job: NewJobRow, now: Date, paidWith?: MadeAtXendit): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        await trx
          .updateTable('checkouts')
          .set({ status: 'paid', reconciled_at: now, updated_at: now, ...madeAtXendit(paidWith) })
          .where('id', '=', c.id)
          .where('status', 'in', PAYABLE)
          .execute();
        return insertJob(trx, job);
      });
    },

    /**
     * Paid, as Xendit says (record-payment). A checkout kept 'creating' after a create whose answer
     * was lost has no Xendit invoice yet: the one paid is stored on it, so the pay path sees that
     * this invoice's payment is on its way and charges nobody again.
     */
    async markPaidWith(id: string, paidWith: MadeAtXendit, now: Date): Promise<boolean> {
      const r = await db
        .updateTable('checkouts')
        .set({ status: 'paid', updated_at: now, ...madeAtXendit(paidWith) })
        .where('id', '=', id)
        .where('status', 'in', PAYABLE)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    async byId(id: string): Promise<Checkout | null> {
      const r = await db.selectFrom('checkouts').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? toCheckout(r) : null;
    },

    /** byId for many checkouts (a group of jobs), in the order asked. */
    async byIds(ids: string[]): Promise<(Checkout | null)[]> {
      if (ids.length === 0) return [];
      const rows = await db.selectFrom('checkouts').selectAll().where('id', 'in', ids).execute();
      const byId = new Map(rows.map((r) => [r.id, toCheckout(r)]));
      return ids.map((id) => byId.get(id) ?? null);
    },

    /**
     * A checkout superseded when its Xendit key went out of use, now confirmed expired in that key's
     * account (or found there as `made`, from its external id): closed, and reconciled, as reconcile
     * would have after asking Xendit (which the key now in use cannot).
     */
    async closeRetired(id: string, now: Date, made?: MadeAtXendit): Promise<boolean> {
      const r = await db
        .updateTable('checkouts')
        .set({ status: 'expired', reconciled_at: now, updated_at: now, ...madeAtXendit(made) })
        .where('id', '=', id)
        .where('status', '=', 'superseded')
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    /**
     * A checkout superseded while 'creating' for which the old key's account holds nothing yet:
     * closed, not deleted, as invoice-watch closeCreating (a create Xendit processes late must still
     * find the row its payment's callback is routed by), and left for reconcile to ask about once.
     */
    async dropRetired(id: string, now: Date): Promise<void> {
      await db
        .updateTable('checkouts')
        .set({ status: 'expired', reconciled_at: null, updated_at: now })
        .where('id', '=', id)
        .where('status', '=', 'superseded')
        .where('xendit_invoice_id', 'is', null)
        .execute();
    },

    /**
     * A live checkout no stored Xendit key reaches (jobs/sync/checkout-key.ts): superseded with why,
     * so no click reuses it. False when it was no longer live.
     */
    async supersedeUnreachable(id: string, reason: string, now: Date): Promise<boolean> {
      const r = await db
        .updateTable('checkouts')
        .set({ status: 'superseded', closed_reason: reason, updated_at: now })
        .where('id', '=', id)
        .where('status', 'in', LIVE)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    /** Why a superseded checkout may still be payable in its old key's account (a message, encoded). */
    async noteRetireUnconfirmed(id: string, reason: string): Promise<void> {
      await db.updateTable('checkouts').set({ closed_reason: reason }).where('id', '=', id).where('status', '=', 'superseded').execute();
    },

    async forInvoice(merchantId: string, xeroInvoiceId: string): Promise<Checkout[]> {
      const rows = await db
        .selectFrom('checkouts')
        .selectAll()
        .where('merchant_id', '=', merchantId)
        .where('xero_invoice_id', '=', xeroInvoiceId)
        .orderBy('created_at')
        .execute();
      return rows.map(toCheckout);
    },
  };
}

export type CheckoutStore = ReturnType<typeof createCheckoutStore>;

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
