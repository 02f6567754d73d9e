import type { Clock } from '../clock.js';
import type { PayClickAdmission, PayClickCounter, PayClickStore } from '../store/pay-clicks.js';
import type { SharedXeroBudget } from '../store/xero-budget.js';
import type { AskedLink } from './link-hint.js';
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
  known: RateCounter[];
  unknown: RateCounter[];
  /** The day counter of unknown numbers; its limit is this share of the merchant's daily Xero budget. */
  unknownDay: { key: string; share: number };
}

const DAY_MS = 86_400_000;

/**
 * Lets a pay click in, or refuses it (TooManyRequests), in one database round trip: its rate-limit
 * counters, the merchant, whether Xero said moments ago it has none of these numbers and, with a
 * shared budget, the Xero budget for its invoice read (app/store/pay-clicks.ts). Without one (tests
 * with no limits), the Xero client asks its own.
 */
export function createPayAdmission(deps: { store: PayClickStore; clock: Clock; budget?: SharedXeroBudget; perDay: number }) {
  return async function admit(
    shortCode: string,
    numbers: string[],
    link: AskedLink,
    counters: ClickCounters,
    guessedInvoiceId?: string,
  ): Promise<PayClickAdmission> {
    const now = deps.clock().getTime();
    const always = countedWindows(counters.always, now);
    // One per reading of the number; the statement counts only the one(s) the link is known by.
    const perInvoice = numbers.flatMap((number) =>
      countedWindows([{ key: counters.perInvoice.keyPrefix + number, rule: counters.perInvoice.rule }], now).map((w) => ({ ...w, number })),
    );
    const known = countedWindows(counters.known, now);
    const unknown = countedWindows(counters.unknown, now);
    const dayStart = new Date(Math.floor(now / DAY_MS) * DAY_MS);
    const rows = (ws: CountedWindow[]): PayClickCounter[] => ws.map((w) => ({ key: w.key, windowStart: w.windowStart, limit: w.rule.limit }));
    const admitted = await deps.store.admit({
      shortCode,
      counters: rows(always),
      groups: {
        numbers,
        link: link.key,
        own: { ...(link.currency ? { currency: link.currency } : {}), amounts: link.amounts, ...(link.retry ? { retry: link.retry } : {}) },
        perInvoice: perInvoice.map((w) => ({ ...rows([w])[0], number: w.number })),
        known: rows(known),
        unknown: rows(unknown),
        unknownDay: { key: counters.unknownDay.key, windowStart: dayStart, share: counters.unknownDay.share, perDay: deps.perDay },
        now: new Date(now),
      },
      budget: deps.budget?.inStatement('pay-click'),
      guessedInvoiceId,
    });
    const dayLimit = admitted.limits.get(counters.unknownDay.key);
    const day: CountedWindow[] =
      dayLimit === undefined
        ? []
        : [{ key: counters.unknownDay.key, rule: { limit: dayLimit, windowSeconds: DAY_MS / 1000 }, windowStart: dayStart, windowMs: DAY_MS }];
    try {
      refuseOverLimit([...always, ...perInvoice, ...known, ...unknown, ...day], admitted.hits, now);
    } catch (err) {
      // The statement takes no budget for a click over its limit; should the two ever disagree, give it back.
      if (admitted.xeroTicket?.ok) await admitted.xeroTicket.refund();
      throw err;
    }
    return admitted;
  };
}

export type PayAdmission = ReturnType<typeof createPayAdmission>;
