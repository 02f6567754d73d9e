import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Job } from '../../store/jobs.js';
import type { ListingCursor } from '../../store/listing.js';
import type { XenditGateway } from '../../clients/types.js';

export const LIST_PAID_JOB = 'list-paid-invoices';

export interface ListPaidDeps {
  stores: Stores;
  xendit: XenditGateway;
  clock: Clock;
  logger: Logger;
  /** Backend-flow jobs were queued: an in-process worker may start at once. */
  onJobEnqueued?: () => void;
}

export interface ListPaidOptions {
  /** Invoices per Xendit page (Xendit allows up to 100). */
  pageSize: number;
  /** Pages per merchant per run: a long backlog is walked over several runs. */
  maxPages: number;
  /** Where a merchant's first run starts, back from now. */
  lookbackMinutes: number;
  /** Invoices paid in the last seconds are left to the next run (Xendit's list may lag its callbacks). */
  lagSeconds: number;
  merchantId?: string;
}

export interface ListPaidSummary {
  merchants: number;
  pages: number;
  /** Paid invoices the gateway did not create, queued for the backend flow (new jobs only). */
  queued: number;
  /** Paid invoices seen in the pages (ours included). */
  seen: number;
  /** Merchants whose Xendit calls failed this run; their cursor stays where it was. */
  failed: number;
}

/**
 * Backend flow without callbacks: for each merchant with the backend flow on, list the invoices
 * Xendit has paid since the merchant's cursor and queue the unknown ones for the same
 * record-backend-payment job a callback queues (same dedupe key: a callback and the listing of one
 * invoice make one Xero sale). Bounded per run; one merchant's failure does not stop the others.
 */
export async function listPaidInvoices(deps: ListPaidDeps, opts: ListPaidOptions): Promise<ListPaidSummary> {
  const summary: ListPaidSummary = { merchants: 0, pages: 0, queued: 0, seen: 0, failed: 0 };
  for (const cursor of await deps.stores.listing.due(opts.merchantId)) {
    summary.merchants++;
    try {
      await listMerchant(deps, opts, cursor, summary);
    } catch (err) {
      summary.failed++;
      deps.logger.warn(
        { merchantId: cursor.merchantId, err: err instanceof Error ? err.message : String(err) },
        'listing paid Xendit invoices failed for this merchant; next run tries again',
      );
    }
  }
  if (summary.queued) deps.onJobEnqueued?.();
  return summary;
}

async function listMerchant(deps: ListPaidDeps, opts: ListPaidOptions, cursor: ListingCursor, summary: ListPaidSummary): Promise<void> {
  const merchant = await deps.stores.merchants.byId(cursor.merchantId);
  if (!merchant?.xenditSecretKey) return;
  const now = deps.clock();
  const paidAfter = cursor.paidAfter ?? new Date(now.getTime() - opts.lookbackMinutes * 60_000);
  let windowEnd = cursor.windowEnd;
  let lastInvoiceId = cursor.lastInvoiceId ?? undefined;
  if (!windowEnd) {
    windowEnd = new Date(now.getTime() - opts.lagSeconds * 1000);
    if (windowEnd <= paidAfter) return;
    await deps.stores.listing.openWindow(merchant.id, paidAfter, windowEnd);
    lastInvoiceId = undefined;
  }
  for (let page = 0; page < opts.maxPages; page++) {
    const result = await deps.xendit.listPaidInvoicesPage(merchant.xenditSecretKey, { paidAfter, paidBefore: windowEnd, limit: opts.pageSize, lastInvoiceId });
    summary.pages++;
    summary.seen += result.invoices.length;
    if (result.skipped.length)
      deps.logger.warn({ merchantId: merchant.id, skipped: result.skipped }, 'listing: Xendit invoices the gateway cannot read were left out');
    const unknown: string[] = [];
    for (const inv of result.invoices) {
      if (!(await deps.stores.checkouts.forXenditInvoice(merchant.id, inv.id, inv.externalId))) unknown.push(inv.id);
    }
    const done = result.pageLength < opts.pageSize || !result.lastInvoiceId;
    summary.queued += await deps.stores.listing.queuePage({ merchantId: merchant.id, windowEnd }, unknown, result.lastInvoiceId ?? null, done, deps.clock());
    if (done) return;
    lastInvoiceId = result.lastInvoiceId;
  }
}

const Payload = z.object({ merchantId: z.string().optional() });

/** The scheduled job: one listing run over every merchant with the backend flow on. */
export function listPaidInvoicesJob(deps: ListPaidDeps, defaults: Omit<ListPaidOptions, 'merchantId'>) {
  return async (job: Job): Promise<void> => {
    const p = Payload.parse(job.payload);
    const summary = await listPaidInvoices(deps, { ...defaults, merchantId: p.merchantId });
    await deps.stores.jobs.pruneDone(LIST_PAID_JOB, new Date(deps.clock().getTime() - 24 * 3600_000));
    deps.logger.info({ ...summary }, 'listing of paid Xendit invoices finished');
  };
}

/** Queues this interval's listing run; the interval's start is the dedupe key, so many workers queue it once. */
export async function scheduleListing(deps: Pick<ListPaidDeps, 'stores' | 'clock'>, intervalMinutes: number): Promise<boolean> {
  const now = deps.clock();
  const slotMs = intervalMinutes * 60_000;
  const slot = new Date(Math.floor(now.getTime() / slotMs) * slotMs);
  return deps.stores.jobs.enqueue({ kind: LIST_PAID_JOB, payload: {}, dedupeKey: `${LIST_PAID_JOB}:${slot.toISOString()}`, maxAttempts: 3 }, now);
}
