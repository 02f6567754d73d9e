import type { Clock } from '../clock.js';
import type { PayClickAdmission, PayClickCounter, PayClickStore } from '../store/pay-clicks.js';
import type { SharedXeroBudget } from '../store/xero-budget.js';
import type { AskedLink } from './link-hint.js';
import { AmountError, isSupportedCurrency, toMinor } from '../money.js';
import { TooManyRequests } from '../errors.js';
import { merchantZone } from '../jobs/sync/org-date.js';
import { countedWindows, refuseOverLimit, type CountedWindow, type RateCounter, type RateRule } from '../security/rate-limit.js';

/**
 * What a click counts against. A ShortCode is printed on every pay link, so anyone can click it with
 * invented invoice numbers: those are counted apart from clicks on a real invoice's own link (its
 * number with its currency and amount as last read from Xero: `known`), so they cannot use up the
 * limit real customers' clicks count against, and the Xero calls they cause are capped at
 * `unknownDayShare` of the merchant's daily Xero budget. A real number with any other link counts
 * as an invented one: the counter a click meets, and so a 429, must not tell which numbers exist.
 */
export interface ClickCounters {
  /** Every click (the client's address). */
  always: RateCounter[];
  /**
   * A known link's own invoice: its number after keyPrefix. Counted before `known`, which a click
   * over it does not reach, so that whoever holds one link (their own invoice) cannot use up what
   * the merchant's other customers share.
   */
  perInvoice: { keyPrefix: string; rule: RateRule };
  /**
   * The client's own clicks at this merchant, on known links and on the others: counted before
   * `known` or `unknown`, which a click over them does not reach, with lower limits, so that one
   * client alone cannot fill what every customer of the merchant shares.
   */
  client: { known: RateCounter[]; unknown: RateCounter[] };
  known: RateCounter[];
  unknown: RateCounter[];
  /**
   * Day counters of the clicks let through to Xero, each limited to a share of the merchant's daily
   * Xero budget: unknown links' (unknownKey); a known link's invoice (invoicePrefix + its number),
   * counted first and, over it, not counted against all known links' together (knownKey). The
   * per-minute limits alone let someone with their own invoices' links spend the whole day: 4
   * links at 10 a minute drained 5 000 calls in under 2 hours, and every customer got 503.
   */
  day: {
    unknownKey: string;
    unknownShare: number;
    /** One client's unknown links' (its own key), at most clientUnknownMax and below the merchant's, counted first (pay-clicks.sql). */
    clientUnknownKey?: string;
    clientUnknownMax?: number;
    /** The same for the client's network, at most networkUnknownMax: one subscriber's many /64s cannot spend the day's either. */
    networkUnknownKey?: string;
    networkUnknownMax?: number;
    invoicePrefix: string;
    invoiceShare: number;
    knownKey: string;
    knownShare: number;
  };
}

const DAY_MS = 86_400_000;
/**
 * One known link's day share is at least this many Xero reads, whatever the merchant's budget: a
 * customer coming back to their invoice through the day (a failed payment, "Try again") needs a few,
 * and 1% of a small plan's 500 calls would be 5.
 */
const INVOICE_DAY_MIN = 10;
/** An open Xendit invoice this close to expiry is replaced rather than reused. */
export const EXPIRY_MARGIN_MS = 10 * 60_000;

/**
 * Lets a pay click in, or refuses it (TooManyRequests), in one database round trip: its rate-limit
 * counters, the merchant, whether Xero said moments ago it has none of these numbers and, with a
 * shared budget, the Xero budget for its invoice read (app/store/pay-clicks.ts). Without one (tests
 * with no limits), the Xero client asks its own.
 *
 * `reuseMs` (PAY_READ_REUSE_SECONDS): a plain click (`reuse`) on a known link whose invoice's only
 * open checkout was read from Xero that recently is given that checkout, without a Xero call or a
 * day counter. Why: a customer's reloads and double clicks, and whoever hammers their own link, cost
 * one Xero read per window instead of one each. The URL is unsigned and /pay still decides from
 * Xero's invoice: only a read sets the time (pay/service.ts), reused clicks never extend it, and a
 * checkout that a webhook, the scheduled comparison, a payment or Xendit closed is not open. So an
 * invoice voided, paid or changed in Xero is sent to its old checkout for at most `reuseMs` after
 * the change, less than the customer may already keep an open checkout page.
 */
export function createPayAdmission(deps: { store: PayClickStore; clock: Clock; budget?: SharedXeroBudget; perDay: number; reuseMs?: number }) {
  const admit = async function admit(
    shortCode: string,
    numbers: string[],
    link: AskedLink,
    counters: ClickCounters,
    guessedInvoiceId?: string,
    reuse = false,
  ): Promise<PayClickAdmission> {
    const now = deps.clock().getTime();
    const always = countedWindows(counters.always, now);
    // One per reading of the number; the statement counts only the one(s) the link is known by.
    const perInvoice = numbers.flatMap((number) =>
      countedWindows([{ key: counters.perInvoice.keyPrefix + number, rule: counters.perInvoice.rule }], now).map((w) => ({ ...w, number })),
    );
    const clientKnown = countedWindows(counters.client.known, now);
    const clientUnknown = countedWindows(counters.client.unknown, now);
    const known = countedWindows(counters.known, now);
    const unknown = countedWindows(counters.unknown, now);
    const dayStart = new Date(Math.floor(now / DAY_MS) * DAY_MS);
    // Reused only for a checkout of the link's own amount: a link showing another amount (the invoice
    // changed since that checkout's read, and Xero shows it so) is decided from a fresh read.
    const reusable = reuse ? minorAmounts(link) : [];
    const rows = (ws: CountedWindow[]): PayClickCounter[] => ws.map((w) => ({ key: w.key, windowStart: w.windowStart, limit: w.rule.limit }));
    const admitted = await deps.store.admit({
      shortCode,
      counters: rows(always),
      groups: {
        numbers,
        link: link.key,
        own: { ...(link.currency ? { currency: link.currency } : {}), amounts: link.amounts, ...(link.retry ? { retry: link.retry } : {}) },
        perInvoice: perInvoice.map((w) => ({ ...rows([w])[0], number: w.number })),
        client: { known: rows(clientKnown), unknown: rows(clientUnknown) },
        known: rows(known),
        unknown: rows(unknown),
        day: { ...counters.day, invoiceMin: INVOICE_DAY_MIN, windowStart: dayStart, perDay: deps.perDay },
        ...(reuse && deps.reuseMs && reusable.length
          ? { reuse: { since: new Date(now - deps.reuseMs), expiresAfter: new Date(now + EXPIRY_MARGIN_MS), amounts: reusable } }
          : {}),
        now: new Date(now),
      },
      budget: deps.budget?.inStatement('pay-click'),
      guessedInvoiceId,
    });
    // Over a day's share: the "too many attempts" page until midnight UTC, as for a minute's limit.
    const day: CountedWindow[] = [...admitted.limits].map(([key, limit]) => ({
      key,
      rule: { limit, windowSeconds: DAY_MS / 1000 },
      windowStart: dayStart,
      windowMs: DAY_MS,
    }));
    try {
      refuseOverLimit([...always, ...perInvoice, ...clientKnown, ...clientUnknown, ...known, ...unknown, ...day], admitted.hits, now);
    } catch (err) {
      // The statement takes no budget for a click over its limit; should the two ever disagree, give it back.
      if (admitted.xeroTicket?.ok) await admitted.xeroTicket.refund();
      // The page says when to come back (a day's share: at midnight UTC) in the business's local time.
      if (err instanceof TooManyRequests && admitted.merchant) err.shownIn(merchantZone(admitted.merchant));
      throw err;
    }
    return admitted;
  };
  /** Repeat clicks may be sent to a checkout a read was noted on: the service notes its reads only then. */
  return Object.assign(admit, { reusesReads: Boolean(deps.reuseMs) });
}

export type PayAdmission = ReturnType<typeof createPayAdmission>;

/** The link's amount readings in its currency's minor units, as checkouts hold them; none for a currency Xendit does not charge in. */
function minorAmounts(link: AskedLink): number[] {
  const currency = link.currency;
  if (!currency || !isSupportedCurrency(currency)) return [];
  return link.amounts.flatMap((a) => {
    try {
      return [toMinor(a, currency)];
    } catch (err) {
      if (err instanceof AmountError) return [];
      throw err;
    }
  });
}
