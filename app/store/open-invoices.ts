/** The merchant's open invoice numbers as last read from Xero (see migration 20261205T0720). */
import type { Db } from './db.js';

/** An open invoice as a listing gives it; the amounts are decimal strings, absent when not given. */
export interface OpenInvoice {
  invoiceNumber: string;
  currencyCode?: string;
  amountDue?: string;
  total?: string;
}

/**
 * A pass over the open invoices left part way (jobs/sync/open-invoices.ts): when it began, the page
 * its last run ended on, and the last rows that run read (id, UpdatedDateUTC), last one last.
 */
export interface OpenInvoicePass {
  startedAt: Date;
  page: number;
  lastRead: { id: string; at: Date }[];
  /** When the last complete pass began (null: none yet). */
  previousStartedAt?: Date | null;
}

export function createOpenInvoiceStore(db: Db) {
  return {
    /**
     * Invoices seen in this run (`runAt`), or read at a pay click whose link matched: a complete run
     * also forgets those it did not see (paid, voided). The amounts are what the invoice's own pay
     * link carries ([CURRENCY], [AMOUNTDUE]); absent from a read that did not give them.
     */
    async saw(merchantId: string, invoices: OpenInvoice[], runAt: Date): Promise<void> {
      const unique = new Map(
        invoices
          .map((i) => ({ ...i, invoiceNumber: i.invoiceNumber.trim() }))
          .filter((i) => i.invoiceNumber)
          .map((i) => [i.invoiceNumber, i]),
      );
      if (unique.size === 0) return;
      await db
        .insertInto('open_invoice_numbers')
        .values(
          [...unique.values()].map((i) => ({
            merchant_id: merchantId,
            invoice_number: i.invoiceNumber,
            seen_at: runAt,
            currency: i.currencyCode?.toUpperCase() ?? null,
            amount_due: i.amountDue ?? null,
            total: i.total ?? null,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['merchant_id', 'invoice_number']).doUpdateSet((eb) => ({
            seen_at: eb.ref('excluded.seen_at'),
            currency: eb.ref('excluded.currency'),
            amount_due: eb.ref('excluded.amount_due'),
            total: eb.ref('excluded.total'),
          })),
        )
        .execute();
    },

    async forgetUnseen(merchantId: string, runAt: Date): Promise<number> {
      const r = await db.deleteFrom('open_invoice_numbers').where('merchant_id', '=', merchantId).where('seen_at', '<', runAt).executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    async passOf(merchantId: string): Promise<OpenInvoicePass | null> {
      const r = await db.selectFrom('open_invoice_passes').selectAll().where('merchant_id', '=', merchantId).executeTakeFirst();
      if (!r) return null;
      return {
        startedAt: r.started_at,
        page: r.page,
        lastRead: r.last_read.map((x) => ({ id: x.id, at: new Date(x.at) })),
        previousStartedAt: r.previous_started_at,
      };
    },

    async keepPass(merchantId: string, pass: OpenInvoicePass): Promise<void> {
      const row = {
        started_at: pass.startedAt,
        page: pass.page,
        last_read: JSON.stringify(pass.lastRead.map((x) => ({ id: x.id, at: x.at.toISOString() }))),
      };
      await db
        .insertInto('open_invoice_passes')
        .values({ merchant_id: merchantId, ...row })
        .onConflict((oc) => oc.column('merchant_id').doUpdateSet(row))
        .execute();
    },

    /**
     * A complete pass that began at `startedAt`: the numbers not seen since the pass before it began
     * are forgotten (none after a first pass), and the next run starts a pass.
     */
    async endPass(merchantId: string, startedAt: Date): Promise<number> {
      const kept = await this.passOf(merchantId);
      const forgotten = kept?.previousStartedAt ? await this.forgetUnseen(merchantId, kept.previousStartedAt) : 0;
      const row = { started_at: startedAt, page: 1, last_read: JSON.stringify([]), previous_started_at: startedAt };
      await db
        .insertInto('open_invoice_passes')
        .values({ merchant_id: merchantId, ...row })
        .onConflict((oc) => oc.column('merchant_id').doUpdateSet(row))
        .execute();
      return forgotten;
    },

    async numbers(merchantId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('open_invoice_numbers')
        .select('invoice_number')
        .where('merchant_id', '=', merchantId)
        .orderBy('invoice_number')
        .execute();
      return rows.map((r) => r.invoice_number);
    },
  };
}
