/**
 * Dates in Xero are the organisation's local dates. Xero names the organisation's time zone the
 * Windows way (Organisation.Timezone, e.g. "SEASIASTANDARDTIME"); Intl needs IANA names.
 */
import type { XeroGateway } from '../../clients/xero/types.js';
import { UpstreamError } from '../../clients/types.js';
import type { Merchant } from '../../store/merchants.js';
import type { Stores } from '../../store/index.js';
import { isSupportedCurrency, type Currency } from '../../money.js';

/** Windows zone (as Xero spells it) → a representative IANA zone (CLDR windowsZones, territory 001). */
const WINDOWS_TO_IANA: Record<string, string> = {
  // Xendit's markets first: Indonesia (WIB/WITA/WIT), Thailand, Vietnam, the Philippines, Malaysia.
  SEASIASTANDARDTIME: 'Asia/Bangkok', // UTC+7: Bangkok, Hanoi, Jakarta
  SINGAPORESTANDARDTIME: 'Asia/Singapore', // UTC+8: Kuala Lumpur, Singapore (and Manila, Makassar in CLDR)
  TOKYOSTANDARDTIME: 'Asia/Tokyo', // UTC+9 (Jayapura)
  NORTHASIAEASTSTANDARDTIME: 'Asia/Irkutsk',
  CHINASTANDARDTIME: 'Asia/Shanghai',
  TAIPEISTANDARDTIME: 'Asia/Taipei',
  WAUSTRALIASTANDARDTIME: 'Australia/Perth',
  KOREASTANDARDTIME: 'Asia/Seoul',
  MYANMARSTANDARDTIME: 'Asia/Yangon',
  INDIASTANDARDTIME: 'Asia/Kolkata',
  SRILANKASTANDARDTIME: 'Asia/Colombo',
  NEPALSTANDARDTIME: 'Asia/Kathmandu',
  BANGLADESHSTANDARDTIME: 'Asia/Dhaka',
  PAKISTANSTANDARDTIME: 'Asia/Karachi',
  ARABIANSTANDARDTIME: 'Asia/Dubai',
  AUSEASTERNSTANDARDTIME: 'Australia/Sydney',
  EAUSTRALIASTANDARDTIME: 'Australia/Brisbane',
  AUSCENTRALSTANDARDTIME: 'Australia/Darwin',
  CENAUSTRALIASTANDARDTIME: 'Australia/Adelaide',
  TASMANIASTANDARDTIME: 'Australia/Hobart',
  WESTPACIFICSTANDARDTIME: 'Pacific/Port_Moresby',
  NEWZEALANDSTANDARDTIME: 'Pacific/Auckland',
  FIJISTANDARDTIME: 'Pacific/Fiji',
  HAWAIIANSTANDARDTIME: 'Pacific/Honolulu',
  PACIFICSTANDARDTIME: 'America/Los_Angeles',
  MOUNTAINSTANDARDTIME: 'America/Denver',
  CENTRALSTANDARDTIME: 'America/Chicago',
  EASTERNSTANDARDTIME: 'America/New_York',
  GMTSTANDARDTIME: 'Europe/London',
  GREENWICHSTANDARDTIME: 'Atlantic/Reykjavik',
  WEUROPESTANDARDTIME: 'Europe/Berlin',
  ROMANCESTANDARDTIME: 'Europe/Paris',
  CENTRALEUROPESTANDARDTIME: 'Europe/Budapest',
  CENTRALEUROPEANSTANDARDTIME: 'Europe/Warsaw',
  // Xero spells the fixed-offset zones as xero-node's TimeZone enum does (xero-node
  // gen/model/accounting/timeZone.ts; xero_accounting.yaml schema TimeZone): 'UTC+12' and 'UTC+13'
  // with their sign, the negative ones without it ('UTC02' is Windows' "UTC-02"), and -12 as
  // DATELINESTANDARDTIME. The sign must survive normalising: 'UTC+12' read as 'UTC12' dated every
  // payment of a Fiji/Kiribati organisation a day early. Etc/GMT names invert the sign (POSIX):
  // Etc/GMT-12 is UTC+12.
  UTC: 'UTC',
  'UTC+12': 'Etc/GMT-12',
  'UTC+13': 'Etc/GMT-13',
  'UTC-12': 'Etc/GMT+12',
  DATELINESTANDARDTIME: 'Etc/GMT+12',
  UTC12: 'Etc/GMT+12', // unsigned means minus, like UTC11 below (Windows "UTC-12" where it exists)
  UTC11: 'Etc/GMT+11',
  'UTC-11': 'Etc/GMT+11',
  UTC09: 'Etc/GMT+9',
  'UTC-09': 'Etc/GMT+9',
  UTC08: 'Etc/GMT+8',
  'UTC-08': 'Etc/GMT+8',
  UTC02: 'Etc/GMT+2',
  'UTC-02': 'Etc/GMT+2',
};

/** Where Xero gives no zone we know: the zone of the currency's home market. */
const HOME_ZONE: Record<Currency, string> = {
  IDR: 'Asia/Jakarta',
  PHP: 'Asia/Manila',
  THB: 'Asia/Bangkok',
  VND: 'Asia/Ho_Chi_Minh',
  MYR: 'Asia/Kuala_Lumpur',
  USD: 'UTC',
};

/** The IANA zone for Xero's Timezone, or null when we do not know that name. */
export function ianaZoneOf(xeroTimezone: string | null | undefined): string | null {
  if (!xeroTimezone) return null;
  // Spaces and the like go ("SE Asia Standard Time"); + and - stay: they carry the offset's sign.
  return WINDOWS_TO_IANA[xeroTimezone.replace(/[^A-Za-z0-9+-]/g, '').toUpperCase()] ?? null;
}

/** Xero's zone when we know it, else the currency's home zone (the safe fallback). */
export function zoneFor(xeroTimezone: string | null | undefined, currency: Currency): string {
  return ianaZoneOf(xeroTimezone) ?? HOME_ZONE[currency];
}

/**
 * The zone a customer page names a merchant's times in (the pay 429 page, the part payment in
 * progress): the organisation's once read from Xero, else its clearing currency's home market's (as
 * the receipt dates a payment), else UTC. One function, so every page names the same zone.
 */
export function merchantZone(m: Pick<Merchant, 'xeroTimezone' | 'clearingCurrency'>): string {
  const currency = m.clearingCurrency;
  return currency && isSupportedCurrency(currency) ? zoneFor(m.xeroTimezone, currency) : (ianaZoneOf(m.xeroTimezone) ?? 'UTC');
}

/**
 * One formatter per zone: building an Intl.DateTimeFormat costs far more than using one (4 % of the
 * worker's CPU in the bench's drain, one per payment and fee). The zones are a short fixed list.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

/** YYYY-MM-DD of `at` in `zone`. */
export function dateIn(at: Date, zone: string): string {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(zone, f);
  }
  return f.format(at);
}

/**
 * The organisation's Timezone, read from Xero once per merchant and kept in merchants.xero_timezone,
 * with its lock dates (read again a day later). Returns the IANA zone to date payments in.
 */
export async function organisationZone(
  deps: { stores: Stores; xero: XeroGateway; clock: () => Date },
  merchant: Merchant,
  currency: Currency,
): Promise<string> {
  let name = merchant.xeroTimezone;
  const readAt = merchant.xeroLockReadAt?.getTime();
  // The zone is read once; the lock dates with it, and again a day later (the accountant moves them).
  if (!name || readAt === undefined || deps.clock().getTime() - readAt >= LOCK_REREAD_MS) {
    let org;
    try {
      org = await deps.xero.getOrganisation(merchant.xero);
    } catch (err) {
      // Only the day's re-read failed: the zone and lock date known stand; the next entry reads again.
      if (name && readAt !== undefined) return zoneFor(name, currency);
      throw err;
    }
    name = org.timezone ?? '';
    if (name && name !== merchant.xeroTimezone) {
      await deps.stores.merchants.setXeroTimezone(merchant.id, name);
      merchant.xeroTimezone = name;
    }
    await noteBaseCurrency(deps, merchant, org.baseCurrency);
    await noteLockDate(deps, merchant, org.lockDate ?? null);
  }
  return zoneFor(name, currency);
}

/**
 * The organisation's BaseCurrency: noted whenever the organisation is read (organisationZone), read
 * only when not known yet. Xero does not let it change once set, so it is never read again.
 */
export async function organisationBaseCurrency(deps: { stores: Stores; xero: XeroGateway }, merchant: Merchant): Promise<string> {
  if (merchant.xeroBaseCurrency) return merchant.xeroBaseCurrency;
  const org = await deps.xero.getOrganisation(merchant.xero);
  await noteBaseCurrency(deps, merchant, org.baseCurrency);
  return org.baseCurrency;
}

async function noteBaseCurrency(deps: { stores: Stores }, merchant: Merchant, currency: string | undefined): Promise<void> {
  if (!currency || currency === merchant.xeroBaseCurrency) return;
  await deps.stores.merchants.setXeroBaseCurrency(merchant.id, currency);
  merchant.xeroBaseCurrency = currency;
}

/** How long a lock date read from Xero is trusted before it is read again. */
const LOCK_REREAD_MS = 86_400_000;

/**
 * The date Xero should carry for something that happened at `at` (a payment, its fee, a refund):
 * that day in the organisation's zone, or the first day after its lock date.
 */
export async function organisationDate(
  deps: { stores: Stores; xero: XeroGateway; clock: () => Date },
  merchant: Merchant,
  at: Date,
  currency: Currency,
): Promise<string> {
  return bookableDate(merchant, dateIn(at, await organisationZone(deps, merchant, currency)));
}

/**
 * Xero refuses anything dated on or before a lock date (Organisation.PeriodLockDate,
 * EndOfYearLockDate), and the accountant who locked a month has closed it: what happened in it
 * is booked on the first open day instead, its Reference unchanged.
 */
export function bookableDate(merchant: Pick<Merchant, 'xeroLockDate'>, date: string): string {
  const lock = merchant.xeroLockDate;
  if (!lock || date > lock) return date;
  return new Date(Date.parse(`${lock}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** Xero's answer to a date on or before a lock date ("The document date cannot be before the period lock date, …"); worded loosely on purpose: a match only makes the lock date be read again. */
export const LOCKED_PERIOD = /lock date|(accounts|period)s? (are|is) locked/i;

/**
 * Xero refused a date for a lock date: the lock dates are read again. True when the lock date
 * moved later than the one the refused date was checked against, so the next try dates after it;
 * false (nothing new: the refusal was for something else) leaves the refusal to a person.
 */
export async function refreshLockDate(deps: { stores: Stores; xero: XeroGateway; clock: () => Date }, merchant: Merchant): Promise<boolean> {
  const before = merchant.xeroLockDate;
  await noteLockDate(deps, merchant, (await deps.xero.getOrganisation(merchant.xero)).lockDate ?? null);
  return merchant.xeroLockDate !== null && (before === null || merchant.xeroLockDate > before);
}

/** When each merchant object last had its lock date read: jobs run as a group share one (registry.ts inGroup). */
const lockReads = new WeakMap<Merchant, number>();
/** A lock date read this recently answers the group's other refusals without reading it again. */
const LOCK_READ_FRESH_MS = 60_000;

/**
 * A refusal of a create that names a lock date newer than the one known: worth another try. Of a
 * group's entries refused together, the first reads the lock date; the others, refused against the
 * same old one, are retried on what it read (a refusal for another reason still ends in review,
 * after the job's attempts).
 */
export async function refusedForNewLock(deps: { stores: Stores; xero: XeroGateway; clock: () => Date }, merchant: Merchant, err: unknown): Promise<boolean> {
  if (!(err instanceof UpstreamError && err.kind === 'rejected' && LOCKED_PERIOD.test(err.message))) return false;
  const readAt = lockReads.get(merchant);
  if (readAt !== undefined && deps.clock().getTime() - readAt < LOCK_READ_FRESH_MS) return merchant.xeroLockDate !== null;
  const moved = await refreshLockDate(deps, merchant);
  lockReads.set(merchant, deps.clock().getTime());
  return moved;
}

async function noteLockDate(deps: { stores: Stores; clock: () => Date }, merchant: Merchant, lockDate: string | null): Promise<void> {
  const now = deps.clock();
  await deps.stores.merchants.setXeroLockDate(merchant.id, lockDate, now);
  merchant.xeroLockDate = lockDate;
  merchant.xeroLockReadAt = now;
}
