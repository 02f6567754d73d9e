/**
 * Reads each active merchant's open sales invoices from Xero (up to MAX_PAGES pages of PAGE_SIZE per
 * run: one Xero call per 1 000 open invoices), so that a customer's first click on a real invoice's
 * own link (its number, currency and amount) is counted apart from other links at /pay (pay-clicks.sql).
 *
 * A listing longer than a run reads is read over several runs, one pass: each run goes on where the
 * last stopped (open_invoice_passes), and the run that reads the last page forgets the numbers not
 * seen since the pass before began (paid, voided). Xero pages in its order, UpdatedDateUTC then the id
 * (call.ts allPages): a row that changes moves to the end, and one that leaves (paid) moves every
 * row after it back a place, so between two runs the rows not yet read may have moved onto pages
 * already read. So a run first finds the place again (holdsPlace), stepping back a page at a time
 * until it does, and only then goes on; within a run, a count Xero sends lower than the page
 * before's is the same sign. Within a run, rows can also move unseen (one invoice paid while
 * another is made: the count stays), so a pass forgets only the numbers the pass before it did not
 * see either (store endPass): a number is dropped a pass after it stopped being open, never because
 * one pass missed it. Without the ids and dates to find the place by, each run starts a new pass.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { OpenInvoicePass } from '../../store/open-invoices.js';
import { awaitingXero } from '../../store/merchant-model.js';
import type { OpenInvoiceListed, XeroGateway } from '../../clients/xero/types.js';

const PAGE_SIZE = 1000;
const MAX_PAGES = 5;
/** The last rows read a pass keeps to find its place by: some of them still there, unchanged, at the next run. */
const REMEMBERED = 20;

type Placed = OpenInvoiceListed & { invoiceId: string; updatedAt: Date };
const placeable = (i: OpenInvoiceListed): i is Placed => i.invoiceId !== undefined && i.updatedAt !== undefined;

/**
 * Whether no row after the place the pass reached (the rows it read last, last one last) lies on a
 * page before this one: page 1; a row read last is on it unchanged (same UpdatedDateUTC: a changed
 * one moved to the end); or its first row was updated before the last row read.
 */
function holdsPlace(page: number, rows: OpenInvoiceListed[], lastRead: OpenInvoicePass['lastRead']): boolean {
  if (page === 1) return true;
  const last = lastRead.at(-1);
  if (!last) return false;
  if (rows.some((r) => placeable(r) && lastRead.some((l) => l.id === r.invoiceId && l.at.getTime() === r.updatedAt.getTime()))) return true;
  const first = rows[0];
  return first !== undefined && placeable(first) && first.updatedAt.getTime() < last.at.getTime();
}

export function syncOpenInvoicesJob(deps: { stores: Stores; xero: XeroGateway; clock: Clock; logger: Logger }) {
  return async (): Promise<void> => {
    for (const merchant of await deps.stores.merchants.list()) {
      if (merchant.status !== 'active' || awaitingXero(merchant) || merchant.xeroDisconnected !== null) continue;
      const runAt = deps.clock();
      try {
        const kept = await deps.stores.openInvoices.passOf(merchant.id);
        // A pass with no place to find (Xero gave no ids or dates) starts again.
        const pass: OpenInvoicePass = kept?.lastRead.length ? kept : { startedAt: runAt, page: 1, lastRead: [] };
        let placed = pass.page === 1 && !pass.lastRead.length;
        let count: number | undefined;
        let complete = false;
        try {
          for (let reads = 0; reads < MAX_PAGES; reads++) {
            const { invoices, more, itemCount } = await deps.xero.listOpenInvoiceNumbers(merchant.xero, pass.page, PAGE_SIZE);
            await deps.stores.openInvoices.saw(merchant.id, invoices, runAt); // open now, wherever the pass stands
            if (count !== undefined && itemCount !== undefined && itemCount < count) placed = false;
            count = itemCount;
            if (!placed && !holdsPlace(pass.page, invoices, pass.lastRead)) {
              pass.page--;
              continue;
            }
            placed = true;
            if (!more) {
              complete = true;
              break;
            }
            pass.lastRead = [...pass.lastRead, ...invoices.filter(placeable).map((i) => ({ id: i.invoiceId, at: i.updatedAt }))].slice(-REMEMBERED);
            pass.page++;
          }
        } finally {
          // The next run reads first the page the place is on.
          if (!complete) await deps.stores.openInvoices.keepPass(merchant.id, { ...pass, page: placed ? Math.max(1, pass.page - 1) : pass.page });
        }
        if (complete) await deps.stores.openInvoices.endPass(merchant.id, pass.startedAt);
      } catch (err) {
        // One merchant's Xero trouble must not stop the others; the next run goes on from where this one stopped.
        deps.logger.warn({ err: String(err), merchantId: merchant.id }, 'could not read open invoice numbers from Xero');
      }
    }
  };
}
