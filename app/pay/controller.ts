import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { unstorableReason } from '../security/body-bounds.js';
import { isUuid } from '../security/uuid.js';
import { BadRequest } from '../errors.js';
import { PaymentLinkNotFound } from './errors.js';
import { invoiceNumberRule, rawInvoiceNumber } from './raw-query.js';
import { choosePayLang, type I18n } from '../i18n/index.js';
import { payLangLinks } from '../lang-switch.js';
import { paths } from '../paths.js';
import { startPayment } from './service.js';
import type { PayDeps } from './deps.js';
import { paymentReturn } from './receipt.js';
import { renderReturn } from './return-page.js';
import { renderAskAmount } from './amount-page.js';
import { renderInProgress } from './in-progress-page.js';
import { clientOf } from '../security/client-address.js';
import type { RateLimiter, RateRule } from '../security/rate-limit.js';
import { payOutcomeOf, type Metrics } from '../metrics/index.js';
import type { ClickCounters } from './admission.js';

/** /pay is public and every click costs a Xero call: counted per client and per payment link. */
export interface PayLimits {
  /** For requests refused before the click is admitted (malformed): they count too. */
  consume: RateLimiter;
  perIp: RateRule;
  /** Clicks on an open invoice's own link, from all its customers together. */
  perShortCode: RateRule;
  /** Clicks on one invoice's own link: counted first, so one link cannot use up perShortCode for the others. */
  perInvoice: RateRule;
  /** Clicks on an open invoice's own link from one client (perIp's): counted first, so one client cannot use up perShortCode. */
  perClient: RateRule;
  /** Clicks on any other link from one client: counted first, so one client cannot use up unknownPerShortCode. */
  unknownPerClient: RateRule;
  /** The same for the client's network (clientNetworkKey): one subscriber's many addresses or /64s together. */
  unknownPerNetwork: RateRule;
  /** Clicks on any other number (invented ones among them): counted apart, so they cannot block the known ones. */
  unknownPerShortCode: RateRule;
  /** Share of the merchant's daily Xero budget that clicks on unknown numbers may spend. */
  unknownXeroShare: number;
  /** Of those, the most one client may spend in a day (0: no limit): counted first, so one client cannot spend the whole day's. */
  unknownPerClientDay: number;
  /** The same for the client's network (unknownPerNetwork's): one subscriber's many /64s together (0: no limit). */
  unknownPerNetworkDay: number;
  /** Shares of it that clicks on one invoice's own link, and on every invoice's own link together, may spend. */
  invoiceXeroShare: number;
  knownXeroShare: number;
  /** Counts each click by how it was answered. */
  metrics?: Pick<Metrics, 'payClick'>;
}

// A NUL or a lone surrogate cannot be stored or sent to PostgreSQL.
const storable = (s: string) => unstorableReason(s) === null;

const PayQuery = z.object({
  invoiceNo: invoiceNumberRule,
  shortCode: z
    .string()
    .trim()
    .regex(/^[!A-Za-z0-9_-]{1,40}$/),
  // Hints only: Xero's URL is unsigned, so the invoice is always read fresh from Xero; they must
  // match it (pay/link-hint.ts).
  currency: z.string().max(10).refine(storable).optional(),
  amount: z.string().max(40).refine(storable).optional(),
  // The amount chosen on the "how much" page (merchants that allow part payments).
  part: z.string().max(40).refine(storable).optional(),
  // "Try again" on the return page: the checkout it follows (receipt.ts), which stands in for the amount hint.
  retry: z
    .string()
    .refine(isUuid)
    .transform((id) => id.toLowerCase())
    .optional(),
});

/** Xero's placeholders arrive in whatever case the merchant typed them; repeated keys are refused. */
type PayQuery = z.infer<typeof PayQuery>;

export function parsePayQuery(query: Request['query']): PayQuery {
  const byName: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query ?? {})) {
    const name = key.toLowerCase() === 'invoicenumber' ? 'invoiceno' : key.toLowerCase();
    if (name in byName) throw new BadRequest(`parameter ${key} given twice`);
    byName[name] = value;
  }
  const parsed = PayQuery.safeParse({
    invoiceNo: byName.invoiceno,
    shortCode: byName.shortcode,
    currency: byName.currency,
    amount: byName.amount,
    part: byName.part,
    retry: byName.retry,
  });
  if (!parsed.success) throw new BadRequest(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

export function payRouter(deps: PayDeps, limits: PayLimits, i18n: I18n): Router {
  const router = Router();

  // Counted here, where /pay answers: a redirect, or the error the error handler turns into a page.
  router.get(paths.pay, async (req, res) => {
    try {
      // Not inside `metrics?.payClick(...)`: without metrics, optional chaining would skip the call's argument, the click itself.
      const outcome = await pay(req, res);
      limits.metrics?.payClick(outcome);
    } catch (err) {
      limits.metrics?.payClick(payOutcomeOf(err));
      throw err;
    }
  });

  async function pay(req: Request, res: Response): Promise<'redirect' | 'ask_amount' | 'in_progress'> {
    const { key: client, network } = clientOf(req);
    const perIp = { key: `pay:ip:${client}`, rule: limits.perIp };
    let query: PayQuery;
    let plusReading: string | undefined;
    try {
      query = parsePayQuery(req.query);
      // The number as the link carries it (see raw-query.ts): never a number the parser altered.
      const raw = rawInvoiceNumber(req.originalUrl);
      if (raw.kind === 'unreadable') throw new PaymentLinkNotFound('the invoice number in the link could not be read intact');
      if (raw.kind === 'invalid') throw new BadRequest(`invoiceNo: ${raw.reason}`);
      if (raw.kind === 'read') query = { ...query, invoiceNo: raw.invoiceNumber };
      if (raw.kind === 'read' && raw.plusReading !== undefined) plusReading = raw.plusReading;
    } catch (err) {
      await limits.consume(perIp); // garbage counts too
      throw err;
    }
    // The ShortCode is counted only once we know it is well-formed (in the statement that reads the
    // merchant); no upstream call is made before the counters allow the click.
    const counters: ClickCounters = {
      always: [perIp],
      perInvoice: { keyPrefix: `pay:invoice:${query.shortCode}:`, rule: limits.perInvoice },
      client: {
        known: [{ key: `pay:client-known:${query.shortCode}:${client}`, rule: limits.perClient }],
        // Counted together, in one statement: a client cannot step around its own by changing address within its network.
        unknown: [
          { key: `pay:client-unknown:${query.shortCode}:${client}`, rule: limits.unknownPerClient },
          { key: `pay:network-unknown:${query.shortCode}:${network}`, rule: limits.unknownPerNetwork },
        ],
      },
      known: [{ key: `pay:shortcode:${query.shortCode}`, rule: limits.perShortCode }],
      unknown: [{ key: `pay:unknown:${query.shortCode}`, rule: limits.unknownPerShortCode }],
      day: {
        unknownKey: `pay:unknown-day:${query.shortCode}`,
        unknownShare: limits.unknownXeroShare,
        ...(limits.unknownPerClientDay > 0
          ? { clientUnknownKey: `pay:client-unknown-day:${query.shortCode}:${client}`, clientUnknownMax: limits.unknownPerClientDay }
          : {}),
        ...(limits.unknownPerNetworkDay > 0
          ? { networkUnknownKey: `pay:network-unknown-day:${query.shortCode}:${network}`, networkUnknownMax: limits.unknownPerNetworkDay }
          : {}),
        invoicePrefix: `pay:invoice-day:${query.shortCode}:`,
        invoiceShare: limits.invoiceXeroShare,
        knownKey: `pay:known-day:${query.shortCode}`,
        knownShare: limits.knownXeroShare,
      },
    };
    const lang = choosePayLang(req.query.lang, req.get('accept-language'), req.query.currency);
    const hint = { ...(query.currency ? { currency: query.currency } : {}), ...(query.amount ? { amount: query.amount } : {}) };
    const outcome = await startPayment(deps, {
      invoiceNumber: query.invoiceNo,
      ...(plusReading ? { plusReading } : {}),
      shortCode: query.shortCode,
      lang,
      counters,
      hint,
      ...(query.part !== undefined ? { part: query.part } : {}),
      ...(query.retry !== undefined ? { retryOf: query.retry } : {}),
    });
    res.set('Cache-Control', 'no-store');
    if (outcome.kind === 'ask') {
      renderAskAmount(res, outcome, { i18n, lang, query, langLinks: payLangLinks(req.originalUrl, lang) });
      return 'ask_amount';
    }
    if (outcome.kind === 'inProgress') {
      renderInProgress(res, outcome, { i18n, lang, langLinks: payLangLinks(req.originalUrl, lang) });
      return 'in_progress';
    }
    res.redirect(303, outcome.redirectUrl);
    return 'redirect';
  }

  router.get(paths.payReturn, async (req, res) => {
    const state = await paymentReturn(deps, req.query.ref, req.query.status);
    const currency = state.kind === 'receipt' ? state.receipt.currency : undefined;
    const lang = choosePayLang(req.query.lang, req.get('accept-language'), currency);
    res.set('Cache-Control', 'no-store');
    renderReturn(res, state, { lang, i18n, originalUrl: req.originalUrl, tries: req.query.tries, langLinks: payLangLinks(req.originalUrl, lang) });
  });

  return router;
}
