import { sql, type Selectable } from 'kysely';
import type { Db } from './db.js';
import type { MerchantsTable } from './schema.js';
import type { SecretBox } from '../security/secrets.js';
import type { XeroBudgetTicket } from '../clients/types.js';
import { merchantFromRow, type Merchant } from './merchants.js';
import { countHits } from './rate-limits.js';
import { checkoutFromJson, type Checkout, type CheckoutJson } from './checkouts.js';
import { relaxedCommit } from './relaxed-commit.js';
import type { BudgetInStatement } from './xero-budget.js';

export interface PayClickCounter {
  key: string;
  windowStart: Date;
  limit: number;
}

export interface PayClickAdmission {
  /** Each counter's total in its window, this click included. */
  hits: Map<string, number>;
  merchant: Merchant | null;
  /** Xero's budget for the click's one Xero call, asked only when the merchant is found and no counter is over its limit. */
  xeroTicket?: XeroBudgetTicket;
  /** The merchant's checkouts of the guessed Xero invoice (oldest first), when a guess was given. */
  checkouts?: Checkout[];
}

type Row = Omit<Selectable<MerchantsTable>, 'id'> & {
  /** null: no active merchant with this ShortCode (every merchants column is null then). */
  id: string | null;
  clearing: { merchant_id: string; currency: string; account_id: string }[] | null;
  counted: Record<string, number> | null;
  budget: unknown;
  checkouts: CheckoutJson[] | null;
};

/**
 * Everything a pay click needs before it calls Xero, in one statement (the path every customer
 * waits on): count the click against its rate-limit windows, read the active merchant with its
 * clearing accounts and, when both allow it, take the Xero budget for the invoice read; with a
 * guessed Xero invoice id, read its checkouts too. One
 * transaction, committed without waiting for the WAL flush (only counters are written).
 */
export function createPayClickStore(db: Db, box: SecretBox) {
  const toMerchant = merchantFromRow(box);
  return {
    async admit(q: { shortCode: string; counters: PayClickCounter[]; budget?: BudgetInStatement; guessedInvoiceId?: string }): Promise<PayClickAdmission> {
      const none = sql`select null::text as key, 0 as hits where false`;
      const hit = q.counters.length ? countHits(db, q.counters).returning(['key', 'hits']) : none;
      const limits = q.counters.length ? sql`values ${sql.join(q.counters.map((c) => sql`(${c.key}, ${c.limit}::int)`))}` : none;
      // CASE evaluates its subquery only when the branch is taken: a refused or unknown click takes no budget.
      const budget = q.budget
        ? sql`case when m.id is not null and not exists (select 1 from hit join lim using (key) where hit.hits > lim.hits) then ${q.budget.sql('m')} end`
        : sql`null::json`;
      const checkouts =
        q.guessedInvoiceId === undefined
          ? sql`null::json`
          : sql`(select coalesce(json_agg(c order by c.created_at), '[]'::json) from checkouts c where c.merchant_id = m.id and c.xero_invoice_id = ${q.guessedInvoiceId})`;
      const { rows } = await sql<Row>`
        with hit as (${hit}), lim (key, hits) as (${limits}), m as (
          select merchants.*, (
            select coalesce(json_agg(json_build_object('merchant_id', c.merchant_id, 'currency', c.currency, 'account_id', c.account_id)), '[]'::json)
            from clearing_accounts c where c.merchant_id = merchants.id) as clearing
          from merchants where short_code = ${q.shortCode} and status = 'active'
        )
        select m.*, (select json_object_agg(hit.key, hit.hits) from hit) as counted, ${budget} as budget, ${checkouts} as checkouts, ${relaxedCommit} as relaxed
        from (select 1) as one left join m on true`.execute(db);
      const { clearing, counted, budget: decided, checkouts: found, ...row } = rows[0];
      const merchant = row.id === null ? null : toMerchant({ ...row, id: row.id }, clearing ?? []);
      return {
        hits: new Map(Object.entries(counted ?? {}).map(([k, n]) => [k, Number(n)])),
        merchant,
        ...(merchant && decided != null && q.budget ? { xeroTicket: q.budget.ticket(decided, { clientId: merchant.xero.clientId, tenantId: merchant.xero.tenantId }) } : {}),
        ...(merchant && found ? { checkouts: found.map(checkoutFromJson) } : {}),
      };
    },
  };
}

export type PayClickStore = ReturnType<typeof createPayClickStore>;
