import { sql } from 'kysely';
import type { Db } from './db.js';
import type { CheckoutStatus } from './schema.js';
import { insertJob, type NewJobRow } from './jobs.js';
import { lateCreateWindow, LIVE, madeAtXendit, PAYABLE, type Checkout, type MadeAtXendit } from './checkout-model.js';

/** A checkout's status moves after it was made: paid, expired, superseded, reconciled. */
export function createCheckoutTransitions(db: Db) {
  return {
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

    /** The invoice Xendit made late for a checkout closed without one (reconcile): stored, never replacing one. */
    async keepMadeAtXendit(id: string, made: MadeAtXendit): Promise<void> {
      await db.updateTable('checkouts').set(madeAtXendit(made)).where('id', '=', id).execute();
    },

    /**
     * A pay click asked Xero at `readAt` and found this checkout's amount due: its repeat clicks may
     * be sent here without asking again for a moment (pay-clicks.sql). Only while it is open for
     * that amount, and never moved back.
     */
    async noteXeroRead(id: string, amount: number, readAt: Date): Promise<void> {
      await db
        .updateTable('checkouts')
        .set({ xero_read_at: sql<Date>`greatest(xero_read_at, ${readAt}::timestamptz)` })
        .where('id', '=', id)
        .where('status', '=', 'open')
        .where('amount', '=', amount)
        .execute();
    },

    /** Reconcile asked Xendit about it and got an answer: to the back of reconcile's line. */
    async markReconciled(id: string, now: Date): Promise<void> {
      await db.updateTable('checkouts').set({ reconciled_at: now, unreachable_since: null }).where('id', '=', id).execute();
    },

    /** Its turn in reconcile passed without an answer (Xendit failed, or its merchant's calls did): to the back of the line, as it was otherwise. */
    async passOver(id: string, now: Date): Promise<void> {
      await db.updateTable('checkouts').set({ reconciled_at: now }).where('id', '=', id).execute();
    },

    /** markReconciled, when no stored key reaches it: a superseded one is then asked with back-off (toReconcile). */
    async markUnreachable(id: string, now: Date): Promise<void> {
      await db
        .updateTable('checkouts')
        .set((eb) => ({ reconciled_at: now, unreachable_since: eb.fn.coalesce('unreachable_since', eb.val(now)) }))
        .where('id', '=', id)
        .execute();
    },

    /**
     * Xendit says paid but no callback told us: the same move a PAID callback makes (checkout paid,
     * and `job`, the recording job under the callback's dedupe key, queued in the same transaction),
     * so callback and reconciliation never double up. Returns true when this call queued the job.
     * `paidWith`: the invoice Xendit says was paid, stored on a checkout that has none yet. `also`:
     * more jobs queued in the same transaction (the expiry of twins still payable), queued whether or
     * not the row moved.
     */
    async markPaid(c: Checkout, job: NewJobRow, now: Date, paidWith?: MadeAtXendit, also: NewJobRow[] = []): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        await trx
          .updateTable('checkouts')
          .set({
            status: 'paid',
            reconciled_at: now,
            updated_at: now,
            ...madeAtXendit(paidWith),
            // Found paid while still being created (reconcile): another create of it that got no
            // answer may still be made late, so it is asked about while Xendit could (lateCreatesToAsk).
            ...(c.status === 'creating' ? { late_create_until: lateCreateWindow(now) } : {}),
          })
          .where('id', '=', c.id)
          .where('status', 'in', PAYABLE)
          .execute();
        for (const other of also) await insertJob(trx, other);
        return insertJob(trx, job);
      });
    },

    /**
     * A twin of an open checkout's own invoice was paid and its own is confirmed expired (pay
     * create-at-xendit.ts): the checkout is paid with the twin, which becomes its own (so the twin's
     * payment is the checkout's, and the expired one a twin), and `job` is queued in the same
     * transaction, as markPaid. Only while its own invoice is still the one confirmed expired.
     */
    async markPaidByTwin(c: Checkout, twin: MadeAtXendit, job: NewJobRow, now: Date): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        await trx
          .updateTable('checkouts')
          .set({ status: 'paid', reconciled_at: now, updated_at: now, xendit_invoice_id: twin.xenditInvoiceId, invoice_url: twin.invoiceUrl })
          .where('id', '=', c.id)
          .where('status', '=', 'open')
          .where('xendit_invoice_id', '=', c.xenditInvoiceId)
          .execute();
        return insertJob(trx, job);
      });
    },

    /**
     * A twin of the checkout's own invoice was paid (record-payment), and no payment of its own
     * invoice is known: the twin becomes its own, as markPaidByTwin, so that the pay path finds this
     * checkout's payment once it is recorded (not "on its way" for good) and the rest of the Xero
     * invoice can be charged. Only while its own invoice is still `c`'s; one paid itself keeps it
     * (the twin's payment is then a second one, an over-payment).
     */
    async adoptPaidTwin(c: Checkout & { xenditInvoiceId: string }, twin: MadeAtXendit, now: Date): Promise<boolean> {
      const r = await db
        .updateTable('checkouts')
        .set({ status: 'paid', updated_at: now, xendit_invoice_id: twin.xenditInvoiceId, invoice_url: twin.invoiceUrl })
        .where('id', '=', c.id)
        .where('xendit_invoice_id', '=', c.xenditInvoiceId)
        .where('status', 'in', [...PAYABLE, 'paid'])
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('payments')
                .select('payments.id')
                .where('payments.merchant_id', '=', c.merchantId)
                .where('payments.xendit_invoice_id', '=', c.xenditInvoiceId),
            ),
          ),
        )
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
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
     * find the row its payment's callback is routed by), and left for reconcile to ask about until
     * Xendit can no longer make it payable (lateCreateWindow).
     */
    async dropRetired(id: string, now: Date): Promise<void> {
      await db
        .updateTable('checkouts')
        .set({ status: 'expired', reconciled_at: null, updated_at: now, late_create_until: lateCreateWindow(now) })
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
  };
}
