import { z } from 'zod';

/**
 * The settings that keep /pay and the admin inside Xero's limits (README: Configuration), apart
 * from config/index.ts, which they would take past its 400 lines.
 */
export const limitFields = {
  PAY_RATE_LIMIT_PER_IP: z.coerce.number().int().min(0).default(30),
  PAY_RATE_LIMIT_PER_SHORTCODE: z.coerce.number().int().min(0).default(40),
  PAY_RATE_LIMIT_PER_INVOICE: z.coerce.number().int().min(0).default(10),
  PAY_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86400).default(60),
  PAY_UNKNOWN_PER_WINDOW: z.coerce.number().int().min(0).default(20),
  // One client's share of the two above at one merchant (its address or IPv6 /64, as PER_IP): the
  // ShortCode is public, and one client's 30 clicks filled either for every customer of the merchant.
  PAY_RATE_LIMIT_PER_CLIENT: z.coerce.number().int().min(0).default(20),
  PAY_UNKNOWN_PER_CLIENT: z.coerce.number().int().min(0).default(5),
  // The same for its network (an IPv4 /24, an IPv6 /48): one subscriber holds many addresses or /64s,
  // and four of them each taking PAY_UNKNOWN_PER_CLIENT filled PAY_UNKNOWN_PER_WINDOW for every customer.
  PAY_UNKNOWN_PER_NETWORK: z.coerce.number().int().min(0).default(10),
  // One client's share of the merchant's day of such clicks (PAY_UNKNOWN_XERO_PERCENT): at
  // PAY_UNKNOWN_PER_CLIENT a minute, one client alone spent the whole day's share in about 200 minutes.
  PAY_UNKNOWN_PER_CLIENT_DAY: z.coerce.number().int().min(0).default(50),
  // The same for its network (as PAY_UNKNOWN_PER_NETWORK, twice the client's as there): 20 /64s of one
  // /48, each within its own day, spent a 1 000-click day share in under two hours.
  PAY_UNKNOWN_PER_NETWORK_DAY: z.coerce.number().int().min(0).default(100),
  PAY_UNKNOWN_XERO_PERCENT: z.coerce.number().int().min(1).max(100).default(20),
  // Day shares of the known links (each invoice's own, and all together): the per-minute limits
  // alone let a few links spend the day, and then every customer's click got 503.
  PAY_KNOWN_XERO_PERCENT: z.coerce.number().int().min(1).max(100).default(50),
  PAY_INVOICE_XERO_PERCENT: z.coerce.number().min(0.1).max(100).default(1),
  // Short by design: an invoice changed in Xero may be sent to its old checkout for this long.
  PAY_READ_REUSE_SECONDS: z.coerce.number().int().min(0).max(120).default(30),
  PAY_MISS_REMEMBER_SECONDS: z.coerce.number().int().min(0).max(86400).default(600),
  // A part payment just started is not ended by a click for another amount for this long: the payer
  // may be on the way to an ATM or a shop with the virtual account number or payment code it gave
  // them, which Xendit stops taking once its invoice is expired (README: Paying part of an invoice).
  PAY_PART_HOLD_MINUTES: z.coerce.number().int().min(1).max(1440).default(60),
  XERO_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  XERO_LIMIT_PER_DAY: z.coerce.number().int().min(1).default(5000),
  XERO_LIMIT_APP_PER_MINUTE: z.coerce.number().int().min(1).default(10000),
  XERO_LIMIT_IN_FLIGHT: z.coerce.number().int().min(1).default(5),
  XERO_PAYMENT_RESERVE_PERCENT: z.coerce.number().min(0).max(90).default(10),
  // The admin pages' shares of each organisation's day and minute: a tab refreshing itself must not
  // take what the customers' clicks need, and a merchant's setup (a dozen or two calls in a minute) must fit.
  XERO_ADMIN_PERCENT: z.coerce.number().int().min(1).max(100).default(25),
  XERO_ADMIN_MINUTE_PERCENT: z.coerce.number().int().min(1).max(100).default(50),
};

/**
 * A client's limit kept under the shared one it is counted before, so one client alone never fills it
 * (0: off stays off; a shared one off leaves it as set). A shared limit of 1 is filled by anyone's
 * first click, whatever the client's own; that one is then 1, not off: a flooding client's further
 * clicks are still refused as its own, without counting against the merchant's, and still count
 * against its network's, so the merchant's setting never turns the per-client protection off.
 */
const below = (own: number, shared: number) => (shared > 0 && own >= shared ? Math.max(1, shared - 1) : own);

type Parsed = { [K in keyof typeof limitFields]: z.output<(typeof limitFields)[K]> };

/**
 * /pay's limits per window (0: off). perInvoice (one invoice's own link) and perClient (one client's clicks on any
 * invoice's own link) are counted before perShortCode (every invoice's own link), so neither one link nor one client
 * can use up what the merchant's customers share; unknownPerClient and unknownPerNetwork (its IPv4 /24 or IPv6 /48)
 * likewise before unknownPerWindow, and unknownPerClientDay and unknownPerNetworkDay before the day share below, which counts the
 * other links (invented numbers among them), which may spend only unknownXeroShare of the merchant's daily Xero
 * budget, as one invoice's own link may spend invoiceXeroShare and every invoice's own link knownXeroShare; a link
 * Xero has no invoice for is answered without asking again for missRememberSeconds; a repeat click on a checkout
 * read from Xero within readReuseSeconds is sent there without asking again; a part payment a payer was sent to
 * within partHoldMinutes is not ended by a click for another amount.
 */
export type PayRateLimit = Record<
  | 'perIp'
  | 'perShortCode'
  | 'perInvoice'
  | 'perClient'
  | 'windowSeconds'
  | 'unknownPerWindow'
  | 'unknownPerClient'
  | 'unknownPerNetwork'
  | 'unknownPerClientDay'
  | 'unknownPerNetworkDay'
  | 'unknownXeroShare'
  | 'knownXeroShare'
  | 'invoiceXeroShare'
  | 'readReuseSeconds'
  | 'missRememberSeconds'
  | 'partHoldMinutes',
  number
>;

/** Xero's limits as the shared rate budget counts them (per organisation unless app); adminShare, adminMinuteShare: of the day and the minute, for the admin's pages. */
export type XeroLimitsConfig = {
  perMinute: number;
  perDay: number;
  appPerMinute: number;
  maxInFlight: number;
  reserveShare: number;
  adminShare: number;
  adminMinuteShare: number;
};

export function limitsOf(c: Parsed): { payRateLimit: PayRateLimit; xeroLimits: XeroLimitsConfig } {
  return {
    payRateLimit: {
      perIp: c.PAY_RATE_LIMIT_PER_IP,
      perShortCode: c.PAY_RATE_LIMIT_PER_SHORTCODE,
      perInvoice: c.PAY_RATE_LIMIT_PER_INVOICE,
      perClient: below(c.PAY_RATE_LIMIT_PER_CLIENT, c.PAY_RATE_LIMIT_PER_SHORTCODE),
      windowSeconds: c.PAY_RATE_LIMIT_WINDOW_SECONDS,
      unknownPerWindow: c.PAY_UNKNOWN_PER_WINDOW,
      unknownPerClient: below(c.PAY_UNKNOWN_PER_CLIENT, c.PAY_UNKNOWN_PER_WINDOW),
      unknownPerNetwork: below(c.PAY_UNKNOWN_PER_NETWORK, c.PAY_UNKNOWN_PER_WINDOW),
      // Kept below the merchant's day share in pay-clicks.sql: that share depends on the merchant's own daily budget.
      unknownPerClientDay: c.PAY_UNKNOWN_PER_CLIENT_DAY,
      unknownPerNetworkDay: c.PAY_UNKNOWN_PER_NETWORK_DAY,
      unknownXeroShare: c.PAY_UNKNOWN_XERO_PERCENT / 100,
      knownXeroShare: c.PAY_KNOWN_XERO_PERCENT / 100,
      invoiceXeroShare: c.PAY_INVOICE_XERO_PERCENT / 100,
      readReuseSeconds: c.PAY_READ_REUSE_SECONDS,
      missRememberSeconds: c.PAY_MISS_REMEMBER_SECONDS,
      partHoldMinutes: c.PAY_PART_HOLD_MINUTES,
    },
    xeroLimits: {
      perMinute: c.XERO_LIMIT_PER_MINUTE,
      perDay: c.XERO_LIMIT_PER_DAY,
      appPerMinute: c.XERO_LIMIT_APP_PER_MINUTE,
      maxInFlight: c.XERO_LIMIT_IN_FLIGHT,
      reserveShare: c.XERO_PAYMENT_RESERVE_PERCENT / 100,
      adminShare: c.XERO_ADMIN_PERCENT / 100,
      adminMinuteShare: c.XERO_ADMIN_MINUTE_PERCENT / 100,
    },
  };
}
