import { sql } from 'kysely';
import type { Db } from './db.js';
import type { SecretBox } from '../security/secrets.js';
import type { XeroBudgetTicket } from '../clients/xero/types.js';
import { merchantFromJson, type Merchant, type MerchantJson } from './merchants.js';
import { checkoutFromJson, type Checkout, type CheckoutJson } from './checkouts.js';
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

interface Row {
  o_merchant: MerchantJson | null;
  o_counted: Record<string, number> | null;
  o_budget: unknown;
  o_checkouts: CheckoutJson[] | null;
}

/**
 * Everything a pay click needs before it calls Xero, in one round trip (the path every customer
 * waits on): pay_click_admit (pay-clicks.sql) counts the click against its rate-limit windows, reads
 * the active merchant with its clearing accounts and, when both allow it, takes the Xero budget for
 * the invoice read; with a guessed Xero invoice id, it reads that invoice's checkouts too.
 */
export function createPayClickStore(db: Db, box: SecretBox) {
  const toMerchant = merchantFromJson(box);
  return {
    async admit(q: { shortCode: string; counters: PayClickCounter[]; budget?: BudgetInStatement; guessedInvoiceId?: string }): Promise<PayClickAdmission> {
      const hits = q.counters.map((c) => ({ key: c.key, window_start: c.windowStart.toISOString(), limit: c.limit }));
      const budget = q.budget ? JSON.stringify(q.budget.args) : null;
      const { rows } = await sql<Row>`select * from pay_click_admit(${q.shortCode}, ${JSON.stringify(hits)}, ${budget}, ${q.guessedInvoiceId ?? null})`.execute(
        db,
      );
      const r = rows[0];
      const merchant = r.o_merchant ? toMerchant(r.o_merchant) : null;
      return {
        hits: new Map(Object.entries(r.o_counted ?? {}).map(([k, n]) => [k, Number(n)])),
        merchant,
        ...(merchant && r.o_budget != null && q.budget
          ? { xeroTicket: q.budget.ticket(r.o_budget, { clientId: merchant.xero.clientId, tenantId: merchant.xero.tenantId }) }
          : {}),
        ...(merchant && r.o_checkouts ? { checkouts: r.o_checkouts.map(checkoutFromJson) } : {}),
      };
    },
  };
}

export type PayClickStore = ReturnType<typeof createPayClickStore>;
