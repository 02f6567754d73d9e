import { sql, type Selectable, type SelectQueryBuilder } from 'kysely';
import type { Db } from './db.js';
import type { CheckoutsTable, Database } from './schema.js';
import type { SecretBox } from '../security/secrets.js';
import { LIVE, toCheckout, type Checkout } from './checkout-model.js';
import { createCheckoutClaims } from './checkout-claims.js';
import { createCheckoutTransitions } from './checkout-transitions.js';

// What the rest of the app names from here: the row and its mapping live in checkout-model.ts, making
// one in checkout-claims.ts, moving its status in checkout-transitions.ts; the reads are here.
export { CREATION_WAIT_MS, madeWithKey, type Checkout } from './checkout-model.js';

/** The shortest time between two asks about a late create (lateCreatesToAsk): reconcile's default interval. */
const LATE_ASK_MIN_GAP_MS = 10 * 60_000;

/** Asks about a superseded checkout no stored key reaches: after a day, then the gap doubles, to at most a week (toReconcile). */
const UNREACHABLE_FIRST_GAP = sql`interval '1 day'`;
const UNREACHABLE_MAX_GAP = sql`interval '7 days'`;

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
   * At most `limit` of the rows, each merchant's and key mode's in turn, by `order` within each.
   * Reconcile leaves an expired checkout unconfirmed when Xendit does not answer about it, and
   * passes over the merchant's others in that run: a merchant whose calls keep failing (its key
   * revoked) would otherwise hold the same places at the head of the line every run, and no other
   * merchant's would ever be asked.
   */
  const inTurns = async (
    query: SelectQueryBuilder<Database, 'checkouts', Selectable<CheckoutsTable>>,
    order: 'updated_at' | 'asked',
    limit: number,
  ): Promise<Checkout[]> => {
    // 'asked': when reconcile last asked about it, else when it last changed.
    const by = order === 'asked' ? sql`coalesce(reconciled_at, updated_at)` : sql.ref(order);
    const turn = sql<number>`row_number() over (partition by merchant_id, xendit_mode order by ${by}, id)`;
    const rows = await db
      .selectFrom(query.select([turn.as('turn'), by.as('turn_order')]).as('c'))
      .selectAll()
      .orderBy('turn')
      .orderBy('turn_order')
      .limit(limit)
      .execute();
    return rows.map(toCheckout);
  };

  return {
    ...createCheckoutClaims(db, box),
    ...createCheckoutTransitions(db),

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
     * A superseded one no stored key reaches (markUnreachable) stays so until a key that reaches it
     * is stored again: asked a day after, then with the gap doubling up to a week, not in every
     * rotation (each ask of it would take the place of one that can be answered).
     */
    async toReconcile(q: { now: Date; createdBefore: Date; since?: Date; merchantId?: string; limit: number }): Promise<Checkout[]> {
      if (q.limit <= 0) return [];
      const due = sql<boolean>`reconciled_at + least(greatest(reconciled_at - unreachable_since, ${UNREACHABLE_FIRST_GAP}), ${UNREACHABLE_MAX_GAP}) <= ${q.now}`;
      return inRotation(
        db
          .selectFrom('checkouts')
          .selectAll()
          .where('status', 'in', ['open', 'superseded'])
          .where('xendit_invoice_id', 'is not', null)
          .where((eb) => eb.or([eb('status', '=', 'open'), eb('unreachable_since', 'is', null), due])),
        q,
      );
    },

    /**
     * Expired checkouts reconcile has not confirmed since they were closed. An EXPIRED callback
     * closes a checkout on its word alone, and may come out of order for an invoice that was paid
     * meanwhile (its PAID callback lost): Xendit is asked once about each (one closed while a create
     * had no answer is then asked about again: lateCreatesToAsk). Oldest close first, in turns (inTurns).
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
      return inTurns(query, 'updated_at', q.limit);
    },

    /**
     * Expired or paid checkouts whose window for a create Xendit processes late is still open
     * (late_create_until, lateCreateWindow in checkout-model.ts): an expired one closed while a
     * create of it had no answer, confirmed once since; a paid one whatever made its window (a
     * twin Xendit makes late, after the customer paid, is payable too, and only this finds it), at
     * once when not asked since it was paid. Then asked about again once as long since the last ask
     * as that ask was since the close or payment (at least LATE_ASK_MIN_GAP), so each is asked a few
     * times in all, most often early, when a late create is likeliest; least recently asked first
     * (never asked: by when it was paid), in turns (inTurns), at most `limit`.
     */
    async lateCreatesToAsk(q: { now: Date; createdBefore: Date; since?: Date; merchantId?: string; limit: number }): Promise<Checkout[]> {
      if (q.limit <= 0) return [];
      const backOff = sql<boolean>`reconciled_at + greatest(reconciled_at - updated_at, make_interval(secs => ${LATE_ASK_MIN_GAP_MS / 1000})) <= ${q.now}`;
      let query = db
        .selectFrom('checkouts')
        .selectAll()
        .where('late_create_until', '>', q.now)
        .where('status', 'in', ['expired', 'paid'])
        .where((eb) =>
          eb.or([
            eb.and([eb('status', '=', 'paid'), eb.or([eb('reconciled_at', 'is', null), eb('reconciled_at', '<', eb.ref('updated_at'))])]),
            eb.and([eb('reconciled_at', '>=', eb.ref('updated_at')), backOff]),
          ]),
        )
        .where('created_at', '<', q.createdBefore);
      if (q.since) query = query.where('created_at', '>=', q.since);
      if (q.merchantId) query = query.where('merchant_id', '=', q.merchantId);
      return inTurns(query, 'asked', q.limit);
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
