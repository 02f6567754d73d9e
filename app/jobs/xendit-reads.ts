/**
 * A group's Xendit reads made as listings. Xendit has no read of many invoices or transactions by
 * id, so a backlog (after an outage: hundreds of paid invoices of one merchant) cost one invoice read
 * and one transaction read per payment, most of the drain's time. When enough of a group's jobs
 * read at once, their paid invoices are found in one listing of the merchant's paid invoices
 * (GET /v2/invoices, statuses PAID and SETTLED, paid_at window) and their fees in one listing of
 * its payment transactions (GET /transactions, types PAYMENT, created window). What a listing does
 * not settle as surely as the single read would is read alone, as before, so the answer never
 * depends on whether the window or Xendit's paging behaves as assumed.
 *
 * What was listed is kept for KEEP_MS so the merchant's next groups need no listing: a paid invoice
 * stays paid (SETTLED reads the same to the gateway), and a fee is fixed when the payment is made.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Currency } from '../money.js';
import { feeTaxFromListing, listPaymentWindow } from '../clients/xendit/transactions.js';
import type { FeeTaxLookup, FeeTaxQuery, XenditGateway, XenditInvoice, XenditPaymentTransaction } from '../clients/xendit/types.js';

/** Fewer reads than this at once go one by one: a listing would read more than it saves. */
export const LISTING_MIN = 5;
/** Xendit's largest page of invoices. */
const INVOICE_PAGE = 100;
/** Pages one listing reads at most (1 000 invoices, 1 000 transactions); what it did not reach is read alone. */
const INVOICE_PAGES = 10;
const TRANSACTION_PAGES = 20;
/**
 * A job recording a payment is queued when Xendit's callback arrives or a listing finds the
 * payment, so the payment was made before: usually seconds, hours after an outage (Xendit retries
 * callbacks). Later than the job by up to SKEW_MS allows for the two clocks.
 */
const LOOKBACK_MS = 60 * 60_000;
const SKEW_MS = 15 * 60_000;
/** A payment's transaction is created when it is paid; within this of the invoice's paid_at. */
const TRANSACTION_SPREAD_MS = 15 * 60_000;
const KEEP_MS = 2 * 60_000;
/** Xendit's clock and ours may differ by this much: a payment this close to a listing may not be in it. */
const LISTED_AFTER_MS = 5_000;
const MAX_KEPT = 50_000;
/** Single reads of one gathering at once (as UPSTREAM_PER_GROUP). */
const SINGLE_READS = 5;

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface InvoiceRead {
  id: string;
  /** When the job that reads it was queued: the payment was made before. Unknown, the invoice is read alone. */
  queuedAt?: Date;
}

export interface FeeRead extends FeeTaxQuery {
  paidAt?: Date;
}

export type XenditReads = ReturnType<typeof createXenditReads>;

export function createXenditReads(
  xendit: Pick<XenditGateway, 'getInvoice' | 'getFeeTax' | 'listPaidInvoicesPage' | 'listPaymentTransactions'>,
  clock: Clock,
  logger?: Pick<Logger, 'warn'>,
) {
  const paid = new Map<string, { invoice: XenditInvoice; until: number }>();
  const segments = new Map<string, Segment>();
  const listing = new Map<string, Promise<void>>();

  function keep(tag: string, invoice: XenditInvoice): void {
    if (paid.size >= MAX_KEPT) paid.clear();
    paid.set(`${tag}:${invoice.id}`, { invoice, until: clock().getTime() + KEEP_MS });
  }

  /** Xendit's invoices (null: no such invoice), in the order asked. */
  async function getInvoices(secretKey: string, reads: InvoiceRead[]): Promise<Settled<XenditInvoice | null>[]> {
    const tag = keyTag(secretKey);
    // Another group of the merchant listing now may bring these too: its listing is waited for.
    await listing.get(`invoices ${tag}`);
    const found = new Map<string, XenditInvoice>();
    const keptFor = (id: string) => {
      const hit = paid.get(`${tag}:${id}`);
      return hit && hit.until > clock().getTime() ? hit.invoice : undefined;
    };
    for (const r of reads) {
      const hit = keptFor(r.id);
      if (hit) found.set(r.id, hit);
    }
    const missing = reads.filter((r): r is InvoiceRead & { queuedAt: Date } => !found.has(r.id) && r.queuedAt instanceof Date);
    if (new Set(missing.map((r) => r.id)).size >= LISTING_MIN) {
      const times = missing.map((r) => r.queuedAt.getTime());
      const window = { paidAfter: new Date(Math.min(...times) - LOOKBACK_MS), paidBefore: new Date(Math.max(...times) + SKEW_MS) };
      await once(`invoices ${tag}`, () => listInvoices(secretKey, tag, window, new Set(missing.map((r) => r.id))));
      for (const r of missing) {
        const hit = keptFor(r.id);
        if (hit) found.set(r.id, hit);
      }
    }
    return oneByOne(reads, (r) => (found.has(r.id) ? Promise.resolve(found.get(r.id)!) : xendit.getInvoice(secretKey, r.id)));
  }

  /** Keeps the paid invoices of the window, page after page until every wanted one was seen. */
  async function listInvoices(secretKey: string, tag: string, window: { paidAfter: Date; paidBefore: Date }, wanted: Set<string>): Promise<void> {
    const listed = new Set<string>();
    let lastInvoiceId: string | undefined;
    for (let page = 0; page < INVOICE_PAGES && wanted.size > 0; page++) {
      const p = await xendit.listPaidInvoicesPage(secretKey, { ...window, limit: INVOICE_PAGE, lastInvoiceId });
      let fresh = 0;
      for (const invoice of p.invoices) {
        // Only what Xendit says is paid is kept, whatever else a listing may bring.
        if (listed.has(invoice.id) || (invoice.status !== 'PAID' && invoice.status !== 'SETTLED')) continue;
        listed.add(invoice.id);
        fresh++;
        keep(tag, invoice);
        wanted.delete(invoice.id);
      }
      // A short page is the last; a page of nothing new means the cursor was not honoured.
      if (p.pageLength < INVOICE_PAGE || fresh === 0 || !p.lastInvoiceId) return;
      lastInvoiceId = p.lastInvoiceId;
    }
  }

  /** Xendit's fee and VAT of each paid invoice, in the order asked. */
  async function getFeeTaxes(secretKey: string, reads: FeeRead[]): Promise<Settled<FeeTaxLookup>[]> {
    const hinted = reads.filter((r): r is FeeRead & { paidAt: Date } => r.paidAt instanceof Date);
    const found = new Map<FeeRead, FeeTaxLookup>();
    // Transactions are listed one currency at a time (an account with several may not be listed without one).
    for (const currency of new Set(hinted.map((r) => r.currency))) {
      const group = hinted.filter((r) => r.currency === currency);
      if (group.length >= LISTING_MIN) await feesFromListing(secretKey, currency, group, found);
    }
    return oneByOne(reads, (r) => (found.has(r) ? Promise.resolve(found.get(r)!) : xendit.getFeeTax(secretKey, r)));
  }

  /** The fees of one currency's reads that a listing of its payment transactions settles, into `found`. */
  async function feesFromListing(
    secretKey: string,
    currency: Currency,
    hinted: (FeeRead & { paidAt: Date })[],
    found: Map<FeeRead, FeeTaxLookup>,
  ): Promise<void> {
    const tag = `${keyTag(secretKey)} ${currency}`;
    const times = hinted.map((r) => r.paidAt.getTime());
    const from = Math.min(...times) - TRANSACTION_SPREAD_MS;
    const to = Math.max(...times) + TRANSACTION_SPREAD_MS;
    await listing.get(`transactions ${tag}`);
    const latest = Math.max(...times);
    const covers = (s: Segment | undefined): s is Segment => !!s && s.until > clock().getTime() && s.from <= from && s.to >= to;
    // Kept from an earlier group only for payments made before it was listed: it cannot hold a
    // payment made since, which a lookup of the invoice now would see.
    const kept = segments.get(tag);
    if (!(covers(kept) && latest < kept.listedAt - LISTED_AFTER_MS)) {
      // Listed wider than this group needs, so the merchant's next groups (paid just after) fit in it.
      await once(`transactions ${tag}`, async () => {
        const segment = await listTransactions(secretKey, currency, from - TRANSACTION_SPREAD_MS, to + TRANSACTION_SPREAD_MS);
        if (segments.size >= 1000) segments.clear();
        segments.set(tag, segment);
      });
    }
    const segment = segments.get(tag);
    for (const r of hinted) {
      const lookup = covers(segment) && r.paidAt.getTime() < segment.listedAt ? feeTaxFromListing(segment.rows, r, segment.complete) : null;
      if (lookup) found.set(r, lookup);
    }
  }

  /** One listing of a kind per merchant at a time; a failed one leaves the reads to be made alone. */
  async function once(name: string, list: () => Promise<void>): Promise<void> {
    const p = list()
      .catch((err: unknown) =>
        logger?.warn({ listing: name.split(' ')[0], err: err instanceof Error ? err.message : String(err) }, 'Xendit listing failed: reads made one by one'),
      )
      .finally(() => listing.delete(name));
    listing.set(name, p);
    await p;
  }

  async function listTransactions(secretKey: string, currency: Currency, from: number, to: number): Promise<Segment> {
    const listedAt = clock().getTime();
    const { rows, complete } = await listPaymentWindow(xendit, secretKey, { currency, from, to }, TRANSACTION_PAGES);
    return { from, to, rows, complete, listedAt, until: listedAt + KEEP_MS };
  }

  return { getInvoices, getFeeTaxes };
}

/** A merchant's payment transactions of one currency created in [from, to]; `complete` when every one was read. */
interface Segment {
  from: number;
  to: number;
  rows: XenditPaymentTransaction[];
  complete: boolean;
  /** When it was listed (our clock). */
  listedAt: number;
  until: number;
}

/** What is kept is filed under the key's digest, never the key. */
export function keyTag(secretKey: string): string {
  return createHash('sha256').update(secretKey).digest('hex').slice(0, 16);
}

/** Each read settled on its own, SINGLE_READS at a time. */
async function oneByOne<I, R>(items: I[], read: (item: I) => Promise<R>): Promise<Settled<R>[]> {
  const out: Settled<R>[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = { ok: true, value: await read(items[i]) };
      } catch (error) {
        out[i] = { ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SINGLE_READS, items.length) }, lane));
  return out;
}
