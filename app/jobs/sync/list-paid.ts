import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Job } from '../../store/jobs.js';
import type { ListingCursor } from '../../store/listing.js';
import type { XenditGateway } from '../../clients/xendit/types.js';
import { halvePaidWindow } from '../../clients/xendit/invoices.js';
import { ListPaidPayload } from '../kinds.js';
import { jobRow } from '../enqueue.js';
import { listingKeys, type Merchant } from '../../store/merchant-model.js';
import { skipListing } from './key-business.js';

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
 * invoice make one Xero sale). Every stored key's account is listed (listingKeys: a live sale
 * while test mode is in use, or the reverse), each with its own cursor and page budget; the job
 * reads the invoice where it is and judges test or live money by that key. Bounded per run; one
 * merchant's (or key's) failure does not stop the others.
 */
export async function listPaidInvoices(deps: ListPaidDeps, opts: ListPaidOptions): Promise<ListPaidSummary> {
  const summary: ListPaidSummary = { merchants: 0, pages: 0, queued: 0, seen: 0, failed: 0 };
  for (const merchantId of await deps.stores.listing.due(opts.merchantId)) {
    summary.merchants++;
    const merchant = await deps.stores.merchants.byId(merchantId);
    let failed = false;
    for (const { mode, key } of merchant ? listingKeys(merchant) : []) {
      try {
        // Another merchant's key holds this account (its invoices are that merchant's checkouts, not
        // sales of this one), or which business it is is not known yet (nothing paid yet either).
        if (await skipListing(deps, merchant!, mode, key)) continue;
        await listWithKey(deps, opts, merchant!, key, await deps.stores.listing.cursor(merchantId, mode), summary);
      } catch (err) {
        failed = true;
        deps.logger.warn(
          { merchantId, mode, err: err instanceof Error ? err.message : String(err) },
          'listing paid Xendit invoices failed for this merchant; next run tries again',
        );
      }
    }
    if (failed) summary.failed++;
  }
  if (summary.queued) deps.onJobEnqueued?.();
  return summary;
}

async function listWithKey(
  deps: ListPaidDeps,
  opts: ListPaidOptions,
  merchant: Merchant,
  xenditKey: string,
  cursor: ListingCursor,
  summary: ListPaidSummary,
): Promise<void> {
  const now = deps.clock();
  const paidAfter = cursor.paidAfter ?? new Date(now.getTime() - opts.lookbackMinutes * 60_000);
  let windowEnd = cursor.windowEnd;
  let lastInvoiceId = cursor.lastInvoiceId ?? undefined;
  if (!windowEnd) {
    windowEnd = new Date(now.getTime() - opts.lagSeconds * 1000);
    if (windowEnd <= paidAfter) return;
    await deps.stores.listing.openWindow(merchant.id, cursor.mode, paidAfter, windowEnd);
    lastInvoiceId = undefined;
  }
  for (let page = 0; page < opts.maxPages; page++) {
    const result = await deps.xendit.listPaidInvoicesPage(xenditKey, { paidAfter, paidBefore: windowEnd, limit: opts.pageSize, lastInvoiceId });
    summary.pages++;
    summary.seen += result.invoices.length;
    if (result.skipped.length)
      deps.logger.warn({ merchantId: merchant.id, skipped: result.skipped }, 'listing: Xendit invoices the gateway cannot read were left out');
    const jobs = [];
    for (const inv of result.invoices) {
      if (!(await deps.stores.checkouts.forXenditInvoice(merchant.id, inv.id, inv.externalId)))
        jobs.push(jobRow('record-backend-payment', { merchantId: merchant.id, xenditInvoiceId: inv.id }, deps.clock()));
    }
    const key = { merchantId: merchant.id, mode: cursor.mode, windowEnd };
    if (result.pageLength < opts.pageSize || !result.lastInvoiceId) {
      summary.queued += await deps.stores.listing.queuePage(key, jobs, 'done');
      return;
    }
    if (result.cursorIgnored) {
      // Xendit answered the window's first page again (the cursor's name, see the client): asking
      // on would re-read it for good. The window is narrowed to its first half and walked from its
      // first page; the rest comes in the next window, which starts where this one ends.
      const halves = halvePaidWindow({ paidAfter, paidBefore: windowEnd });
      if (!halves)
        throw new Error(
          `Xendit ignores the page cursor and ${opts.pageSize} or more invoices were paid within ${windowEnd.getTime() - paidAfter.getTime()} ms`,
        );
      windowEnd = halves[0].paidBefore;
      summary.queued += await deps.stores.listing.queuePage(key, jobs, { narrowed: windowEnd });
      lastInvoiceId = undefined;
      continue;
    }
    summary.queued += await deps.stores.listing.queuePage(key, jobs, { next: result.lastInvoiceId });
    lastInvoiceId = result.lastInvoiceId;
  }
}

/** The scheduled job: one listing run over every merchant with the backend flow on. */
export function listPaidInvoicesJob(deps: ListPaidDeps, defaults: Omit<ListPaidOptions, 'merchantId'>) {
  return async (job: Job): Promise<void> => {
    const p = ListPaidPayload.parse(job.payload);
    const summary = await listPaidInvoices(deps, { ...defaults, merchantId: p.merchantId });
    await deps.stores.jobs.pruneDone(job.kind, new Date(deps.clock().getTime() - 24 * 3600_000));
    deps.logger.info({ ...summary }, 'listing of paid Xendit invoices finished');
  };
}
