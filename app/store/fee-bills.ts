/** Xendit's monthly fee invoices and their bills in Xero (migration 20261205T1600). */
import type { Selectable, Updateable } from 'kysely';
import type { Db } from './db.js';
import { insertJob, requeueJobs, fencedUpdate, type Claim, type NewJobRow } from './jobs.js';
import { insertAudit, type AuditEntry } from './audit.js';
import { int8 } from './int8.js';
import type { FeeBillState, FeeBillingChangesTable, FeeBillsTable, XenditFeeBilling } from './schema.js';
import type { Currency } from '../money.js';

export interface FeeBill {
  id: string;
  merchantId: string;
  period: string; // YYYY-MM
  currency: Currency;
  fees: number; // minor units
  vat: number; // minor units
  transactions: number;
  xenditInvoiceNumber: string | null;
  state: FeeBillState;
  xeroInvoiceId: string | null;
  /** Set while the bill may have reached Xero without an answer. */
  attemptAt: Date | null;
  lastError: string | null;
  createdAt: Date;
}

const toBill = (r: Selectable<FeeBillsTable>): FeeBill => ({
  id: r.id,
  merchantId: r.merchant_id,
  period: r.period,
  currency: r.currency as Currency,
  fees: int8(r.fees),
  vat: int8(r.vat),
  transactions: r.transactions,
  xenditInvoiceNumber: r.xendit_invoice_number,
  state: r.state,
  xeroInvoiceId: r.xero_invoice_id,
  attemptAt: r.attempt_at,
  lastError: r.last_error,
  createdAt: r.created_at,
});

/**
 * A bill nothing of which can be in Xero: Xero refused it or it was kept out (test mode), with no
 * Xero id and no attempt mark (a send whose answer was lost keeps the mark, and may have made it).
 */
export function replaceable(b: Pick<FeeBill, 'state' | 'xeroInvoiceId' | 'attemptAt'>): boolean {
  return (b.state === 'needs_review' || b.state === 'handled' || b.state === 'test_mode') && b.xeroInvoiceId === null && b.attemptAt === null;
}

/**
 * The setting at `at`: the latest change made by then, or before the first change the setting it
 * replaced, or with no change kept the current one.
 */
function settingAt(changes: Selectable<FeeBillingChangesTable>[], current: XenditFeeBilling, at: Date): XenditFeeBilling {
  const before = changes.filter((c) => c.changed_at <= at).at(-1);
  return before ? before.billing_after : (changes[0]?.billing_before ?? current);
}

export type NewFeeBill = Pick<FeeBill, 'id' | 'merchantId' | 'period' | 'currency' | 'fees' | 'vat' | 'transactions' | 'xenditInvoiceNumber'> & {
  createdBy: string | null;
};
type NextTotals = Pick<FeeBill, 'fees' | 'vat' | 'transactions' | 'xenditInvoiceNumber'> & { createdBy: string | null };

/** One month of an upload: a bill to make, or new totals for one that never reached Xero (replaceable). */
export type FeeBillClaim =
  | { kind: 'new'; bill: NewFeeBill; job: (billId: string) => NewJobRow; audit: AuditEntry }
  | { kind: 'replace'; bill: FeeBill; next: NextTotals; job: NewJobRow; audit: AuditEntry };

const monthOf = (c: FeeBillClaim) => `${c.bill.period} ${c.bill.currency}`;

/** Thrown inside bookAll's transaction to roll back every month claimed before. */
class Refused extends Error {
  constructor(
    readonly refused: 'differs' | 'busy',
    readonly month: string,
  ) {
    super(`fee bill ${month}: ${refused}`);
  }
}

async function getOrCreateIn(trx: Db, b: NewFeeBill, job: (billId: string) => NewJobRow, now: Date): Promise<{ bill: FeeBill; made: boolean }> {
  const made = await trx
    .insertInto('fee_bills')
    .values({
      id: b.id,
      merchant_id: b.merchantId,
      period: b.period,
      currency: b.currency,
      fees: b.fees,
      vat: b.vat,
      transactions: b.transactions,
      xendit_invoice_number: b.xenditInvoiceNumber,
      created_by: b.createdBy,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['merchant_id', 'period', 'currency']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (made) {
    await insertJob(trx, job(made.id));
    return { bill: toBill(made), made: true };
  }
  const row = await trx
    .selectFrom('fee_bills')
    .selectAll()
    .where('merchant_id', '=', b.merchantId)
    .where('period', '=', b.period)
    .where('currency', '=', b.currency)
    .executeTakeFirstOrThrow();
  return { bill: toBill(row), made: false };
}

/**
 * New totals for a bill that never reached Xero (replaceable), its job queued again, with the audit
 * entry. The job's row is locked first: one running may have read the old totals and be about to
 * send them ('busy'); one queued reads the new ones. 'changed': the bill is no longer the one judged
 * replaceable (sent, or replaced, meanwhile).
 */
async function replaceIn(trx: Db, bill: FeeBill, next: NextTotals, job: NewJobRow, audit: AuditEntry, now: Date): Promise<'replaced' | 'busy' | 'changed'> {
  const current = job.dedupe_key
    ? await trx.selectFrom('jobs').select('state').where('dedupe_key', '=', job.dedupe_key).forUpdate().executeTakeFirst()
    : undefined;
  if (current?.state === 'running') return 'busy';
  const updated = await trx
    .updateTable('fee_bills')
    .set({
      fees: next.fees,
      vat: next.vat,
      transactions: next.transactions,
      xendit_invoice_number: next.xenditInvoiceNumber,
      created_by: next.createdBy,
      state: 'pending',
      last_error: null,
      updated_at: now,
    })
    .where('id', '=', bill.id)
    .where('state', 'in', ['needs_review', 'handled', 'test_mode'])
    .where('xero_invoice_id', 'is', null)
    .where('attempt_at', 'is', null)
    .where('fees', '=', bill.fees)
    .where('vat', '=', bill.vat)
    .executeTakeFirst();
  if (updated.numUpdatedRows === 0n) return 'changed';
  if (!current) await insertJob(trx, job);
  // A job marked as handled by hand (admin/review) too: replacing the bill is a person asking for it
  // to be booked, and the bill is pending again, which only its job moves on.
  else if (current.state !== 'queued')
    await requeueJobs(trx, { dedupeKeys: [job.dedupe_key!] }, ['done', 'needs_review', 'handled'], now, { clearError: true });
  await insertAudit(trx, audit, now);
  return 'replaced';
}

export function createFeeBillStore(db: Db) {
  /** With `claim`, only while it holds its job (claim-fence.ts); whether it was written. */
  const update = async (id: string, set: Updateable<FeeBillsTable>, now: Date, claim?: Claim) => {
    return fencedUpdate(
      db
        .updateTable('fee_bills')
        .set({ ...set, updated_at: now })
        .where('id', '=', id),
      claim,
    );
  };
  const billingChanges = (merchantId: string) =>
    db.selectFrom('fee_billing_changes').selectAll().where('merchant_id', '=', merchantId).orderBy('changed_at').orderBy('id').execute();
  return {
    /**
     * The bill of that month and currency: made now with its job in one transaction (a bill is never
     * left without the job that books it), or the one already there (`made` false).
     */
    getOrCreate: (b: NewFeeBill, job: (billId: string) => NewJobRow, now: Date): Promise<{ bill: FeeBill; made: boolean }> =>
      db.transaction().execute((trx) => getOrCreateIn(trx, b, job, now)),

    /**
     * An upload's months, all or none: every new bill made and every replaced one changed, with their
     * jobs and audit entries, in one transaction, so no job (and so nothing in Xero) exists before
     * every month is claimed. A month found booked meanwhile with other totals ('differs'), or whose
     * job is running ('busy'), rolls back every other; one booked meanwhile with the same totals is
     * the same upload sent twice and left as it is. Months are claimed in one order (period, then
     * currency), so two uploads sharing months wait on each other instead of deadlocking.
     */
    async bookAll(claims: FeeBillClaim[], now: Date): Promise<{ made: FeeBill[] } | { refused: 'differs' | 'busy'; month: string }> {
      const sorted = [...claims].sort((a, b) => monthOf(a).localeCompare(monthOf(b)));
      try {
        return await db.transaction().execute(async (trx) => {
          const made: FeeBill[] = [];
          for (const c of sorted) {
            const month = monthOf(c);
            if (c.kind === 'new') {
              const { bill, made: isNew } = await getOrCreateIn(trx, c.bill, c.job, now);
              if (isNew) {
                await insertAudit(trx, c.audit, now);
                made.push(bill);
              } else if (bill.fees !== c.bill.fees || bill.vat !== c.bill.vat) throw new Refused('differs', month);
              continue;
            }
            const outcome = await replaceIn(trx, c.bill, c.next, c.job, c.audit, now);
            if (outcome === 'busy') throw new Refused('busy', month);
            if (outcome === 'changed') throw new Refused('differs', month);
            made.push({ ...c.bill, ...c.next, state: 'pending', lastError: null });
          }
          return { made };
        });
      } catch (err) {
        if (err instanceof Refused) return { refused: err.refused, month: err.month };
        throw err;
      }
    },

    /**
     * The fee billing settings in force at any time in [from, to): the one at `from` (the latest change
     * before it, or the first change's earlier setting, or with no change the current one) and every
     * one changed to within the span.
     */
    async billingDuring(merchantId: string, current: XenditFeeBilling, from: Date, to: Date): Promise<Set<XenditFeeBilling>> {
      const changes = await billingChanges(merchantId);
      return new Set([settingAt(changes, current, from), ...changes.filter((c) => c.changed_at > from && c.changed_at < to).map((c) => c.billing_after)]);
    },

    /**
     * The fee billing in force at any instant, read once (a report asks it for every payment): as
     * billingDuring judges the start of a span.
     */
    async billingAt(merchant: { id: string; xenditFeeBilling: XenditFeeBilling }): Promise<(at: Date) => XenditFeeBilling> {
      const changes = await billingChanges(merchant.id);
      return (at) => settingAt(changes, merchant.xenditFeeBilling, at);
    },

    /**
     * Whether the merchant's fees were billed monthly at any time in the billing month `period`
     * (YYYY-MM), a day wider on each side for the organisation's local dates.
     */
    async billedMonthlyIn(merchant: { id: string; xenditFeeBilling: XenditFeeBilling }, period: string): Promise<boolean> {
      const [year, month] = period.split('-').map(Number);
      const from = new Date(Date.UTC(year, month - 1, 1) - 86_400_000);
      const to = new Date(Date.UTC(year, month, 1) + 86_400_000);
      return (await this.billingDuring(merchant.id, merchant.xenditFeeBilling, from, to)).has('invoiced');
    },

    async byId(id: string): Promise<FeeBill | null> {
      const row = await db.selectFrom('fee_bills').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toBill(row) : null;
    },

    /** Those of these bills that are the merchant's, by id. */
    async byIds(merchantId: string, ids: string[]): Promise<Map<string, FeeBill>> {
      if (!ids.length) return new Map();
      const rows = await db.selectFrom('fee_bills').selectAll().where('merchant_id', '=', merchantId).where('id', 'in', ids).execute();
      return new Map(rows.map((r) => [r.id, toBill(r)]));
    },

    async forMerchant(merchantId: string): Promise<FeeBill[]> {
      const rows = await db.selectFrom('fee_bills').selectAll().where('merchant_id', '=', merchantId).orderBy('period', 'desc').orderBy('currency').execute();
      return rows.map(toBill);
    },

    /** Committed before the bill is sent; null once Xero answered that it did not take it. `claim`: as send-once.ts says. */
    noteAttempt: (id: string, at: Date | null, now: Date, claim?: Claim) => update(id, { attempt_at: at }, now, claim),
    recorded: (id: string, xeroInvoiceId: string, now: Date) =>
      update(id, { state: 'recorded', xero_invoice_id: xeroInvoiceId, attempt_at: null, last_error: null }, now),
    needsReview: (id: string, reason: string, now: Date) => update(id, { state: 'needs_review', last_error: reason.slice(0, 1000) }, now),
    testMode: (id: string, now: Date) => update(id, { state: 'test_mode' }, now),
    noteError: (id: string, error: string, now: Date) => update(id, { last_error: error.slice(0, 1000) }, now),
  };
}

export type FeeBillStore = ReturnType<typeof createFeeBillStore>;
