import { sql } from 'kysely';
import type { Db } from './db.js';
import type { SecretBox } from '../security/secrets.js';
import type { XeroBudgetTicket } from '../clients/xero/types.js';
import { merchantFromJson, type Merchant, type MerchantJson } from './merchants.js';
import { checkoutFromJson, type Checkout, type CheckoutJson } from './checkout-model.js';
import type { BudgetInStatement } from './xero-budget.js';

export interface PayClickCounter {
  key: string;
  windowStart: Date;
  limit: number;
}

/** Counters a click counts against only when its link is a known invoice's own, or only when not. */
export interface PayClickGroups {
  numbers: string[];
  /** The link's hints as asked (linkKey): what a remembered miss is remembered with. */
  link: string;
  /** What makes the link an invoice's own (pay-clicks.sql): counted against `known` only then. */
  own: { currency?: string; amounts: string[]; retry?: string };
  /** One per number: only the one(s) the link is known by are counted, before `known`, which a click over them does not reach. */
  perInvoice: (PayClickCounter & { number: string })[];
  /** The client's own at this merchant (unknown: its network's too): counted with `perInvoice` (known) or alone, before `known` or `unknown`, which a click over them does not reach. */
  client: { known: PayClickCounter[]; unknown: PayClickCounter[] };
  known: PayClickCounter[];
  unknown: PayClickCounter[];
  /**
   * Day counters of the clicks let through to Xero, each limited to a share of the merchant's daily
   * Xero budget (its own, or perDay): invented numbers' (unknownKey), one known link's invoice
   * (invoicePrefix + number, first) and all known links' together (knownKey).
   */
  day: {
    windowStart: Date;
    perDay: number;
    unknownKey: string;
    unknownShare: number;
    /**
     * The client's own unknown links' (PAY_UNKNOWN_PER_CLIENT_DAY), counted with its per-window counters,
     * before anything the merchant's customers share; its limit is clientUnknownMax, kept below the merchant's.
     */
    clientUnknownKey?: string;
    clientUnknownMax?: number;
    /** The same for the client's network (PAY_UNKNOWN_PER_NETWORK_DAY), counted with it; at most networkUnknownMax. */
    networkUnknownKey?: string;
    networkUnknownMax?: number;
    invoicePrefix: string;
    invoiceShare: number;
    /** One known link's day limit is never below this, whatever the share of a small budget. */
    invoiceMin: number;
    knownKey: string;
    knownShare: number;
  };
  /**
   * A known plain click may be sent to its invoice's only open checkout of one of `amounts` (the
   * link's, in minor units) read from Xero since `since` and payable past `expiresAfter`.
   */
  reuse?: { since: Date; expiresAfter: Date; amounts: number[] };
  now: Date;
}

export interface PayClickAdmission {
  /** Each counter's total in its window, this click included. */
  hits: Map<string, number>;
  /** Limits decided in the statement (the day counters', shares of the merchant's daily Xero budget). */
  limits: Map<string, number>;
  /** Moments ago, with this link, Xero had none of these numbers or the link did not match: answer so, without asking again. */
  rememberedMiss: boolean;
  /** The link is an open invoice's own as last read (or a "try again" of its checkout): counted apart from other links. */
  knownLink: boolean;
  merchant: Merchant | null;
  /** Xero's budget for the click's one Xero call, asked only when the merchant is found and no counter is over its limit. */
  xeroTicket?: XeroBudgetTicket;
  /** The merchant's checkouts of the guessed Xero invoice (oldest first), when a guess was given. */
  checkouts?: Checkout[];
  /** Xero was asked about this checkout's invoice moments ago (groups.reuse): the click goes there without asking again, and took no budget. */
  reuse?: Checkout;
}

interface Row {
  o_merchant: MerchantJson | null;
  o_counted: Record<string, number> | null;
  o_budget: unknown;
  o_checkouts: CheckoutJson[] | null;
  o_miss: boolean | null;
  o_limits: Record<string, number> | null;
  o_known: boolean | null;
  o_reuse: CheckoutJson | null;
}

/**
 * Everything a pay click needs before it calls Xero, in one round trip (the path every customer
 * waits on): pay_click_admit (pay-clicks.sql) counts the click against its rate-limit windows, reads
 * the active merchant with its clearing accounts and, when both allow it, takes the Xero budget for
 * the invoice read; with a guessed Xero invoice id, it reads that invoice's checkouts too. A repeat
 * click Xero was asked about moments ago gets its checkout instead of the budget (groups.reuse).
 */
export function createPayClickStore(db: Db, box: SecretBox) {
  const toMerchant = merchantFromJson(box);
  return {
    async admit(q: {
      shortCode: string;
      counters: PayClickCounter[];
      /** Without groups (a merchant lookup): no invoice number, only `counters`. */
      groups?: PayClickGroups;
      budget?: BudgetInStatement;
      guessedInvoiceId?: string;
    }): Promise<PayClickAdmission> {
      const json = (cs: (PayClickCounter & { number?: string })[]) =>
        JSON.stringify(cs.map((c) => ({ key: c.key, window_start: c.windowStart.toISOString(), limit: c.limit, number: c.number })));
      const budget = q.budget ? JSON.stringify(q.budget.args) : null;
      const g = q.groups;
      const d = g?.day;
      const { rows } = await sql<Row>`select * from pay_click_admit(${q.shortCode}, ${json(q.counters)}, ${budget}, ${q.guessedInvoiceId ?? null},
        ${g?.numbers ?? []}::text[], ${json(g?.perInvoice ?? [])}, ${json(g?.client.known ?? [])}, ${json(g?.client.unknown ?? [])}, ${json(g?.known ?? [])}, ${json(g?.unknown ?? [])}, ${d?.windowStart ?? null}, ${d?.perDay ?? 0},
        ${d?.unknownKey ?? null}, ${d?.unknownShare ?? 1}::float8, ${d?.knownKey ?? null}, ${d?.knownShare ?? 1}::float8,
        ${d?.invoicePrefix ?? null}, ${d?.invoiceShare ?? 1}::float8, ${d?.invoiceMin ?? 1}, ${d?.clientUnknownKey ?? null}, ${d?.clientUnknownMax ?? 0},
        ${d?.networkUnknownKey ?? null}, ${d?.networkUnknownMax ?? 0}, ${g?.reuse?.since ?? null}::timestamptz, ${g?.reuse?.expiresAfter ?? null}::timestamptz, ${g?.reuse?.amounts ?? []}::int8[],
        ${g?.now ?? new Date()}, ${g?.link ?? ''}, ${g?.own.currency ?? null}, ${g?.own.amounts ?? []}::numeric[], ${g?.own.retry ?? null}::uuid)`.execute(db);
      const r = rows[0];
      const merchant = r.o_merchant ? toMerchant(r.o_merchant) : null;
      return {
        hits: new Map(Object.entries(r.o_counted ?? {}).map(([k, n]) => [k, Number(n)])),
        limits: new Map(Object.entries(r.o_limits ?? {}).map(([k, n]) => [k, Number(n)])),
        rememberedMiss: r.o_miss === true,
        knownLink: r.o_known === true,
        merchant,
        ...(merchant && r.o_budget != null && q.budget
          ? { xeroTicket: q.budget.ticket(r.o_budget, { clientId: merchant.xero.clientId, tenantId: merchant.xero.tenantId }) }
          : {}),
        ...(merchant && r.o_checkouts ? { checkouts: r.o_checkouts.map(checkoutFromJson) } : {}),
        ...(merchant && r.o_reuse ? { reuse: checkoutFromJson(r.o_reuse) } : {}),
      };
    },

    /** Xero has none of these numbers, or the link does not match: its next clicks with this link are answered without asking Xero until `until`. */
    async rememberMiss(merchantId: string, numbers: string[], link: string, until: Date): Promise<void> {
      await db
        .insertInto('pay_misses')
        .values(numbers.map((n) => ({ merchant_id: merchantId, invoice_number: n, link, until })))
        .onConflict((oc) => oc.columns(['merchant_id', 'invoice_number', 'link']).doUpdateSet({ until }))
        .execute();
    },
  };
}

export type PayClickStore = ReturnType<typeof createPayClickStore>;
