/**
 * The one way text reaches people: i18next over the JSON catalogues in locales/<lang>/<area>.json
 * (area = namespace). Code and services name a key (and its parameters); the view's language picks
 * the words. One instance per process, made by whoever composes the app and passed down.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next, { type i18n as I18next, type Resource } from 'i18next';
import { formatMoney, type Currency } from '../money.js';

/** The admin's languages: every catalogue (area) exists in each. */
export type Lang = 'id' | 'en';
export const LANGS: Lang[] = ['id', 'en'];
/** The customers' languages: the pay area (customer pages) exists in each; th, vi and ms have only it. */
export type PayLang = Lang | 'th' | 'vi' | 'ms';
export const PAY_LANGS: PayLang[] = ['id', 'en', 'th', 'vi', 'ms'];

/** A text to show: a catalogue key ("errors:emailInvalid") and its parameters, in no language yet. */
export interface Message {
  key: string;
  params?: Params;
}
export type Params = Record<string, string | number | Message | Message[]>;

export const message = (key: string, params?: Params): Message => (params ? { key, params } : { key });

const isMessage = (v: unknown): v is Message => typeof v === 'object' && v !== null && typeof (v as Message).key === 'string';

/** A message kept in the database (e.g. why Xero was disconnected), so it can be shown in any language later. */
export function encodeMessage(m: Message): string {
  return JSON.stringify(m);
}

/** Text stored before messages were keys is shown as it was written. */
export function decodeMessage(stored: string): Message {
  try {
    const m: unknown = JSON.parse(stored);
    if (isMessage(m)) return m;
  } catch {
    // not JSON: plain text
  }
  return message('errors:verbatim', { text: stored });
}

export type T = ((key: string, params?: Params) => string) & {
  /** A Message from a service or a form (a bare string is a key, as zod's error maps give), in this language. */
  msg: (m: Message | string) => string;
  /** A message kept in the database (see encodeMessage), in this language. */
  stored: (text: string) => string;
  /** A key whose value is a list (e.g. the go-live steps). */
  list: (key: string) => string[];
};

export interface Formats {
  /** Minor units → "Rp 150.000,00" / "₱12.50", the currency's own number of decimals. */
  money(minor: number, currency: Currency): string;
  number(value: number, options?: Intl.NumberFormatOptions): string;
  /** "2026-11-25 10:04": the admin's timestamps in the page's time zone (named once on the page), the same in both languages. */
  dateTime(d: Date): string;
  date(d: Date, options?: Intl.DateTimeFormatOptions): string;
}

export interface I18n {
  t(lang: PayLang, key: string, params?: Params): string;
  /** A t bound to the request's language; keys without "ns:" are looked up in ns. */
  fixed(lang: PayLang, ns: string): T;
  /** Formats for a language, times shown in `timeZone` (IANA; default UTC). */
  formats(lang: PayLang, timeZone?: string): Formats;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');
/** Works from app/i18n (tsx) and from dist/app/i18n (built): locales sit at the project root. */
export const LOCALES_DIR = join(/[\\/]dist[\\/]?$/.test(root) ? join(root, '..') : root, 'locales');

/** Every catalogue: { lang: { namespace: entries } }. */
export function loadCatalogues(dir = LOCALES_DIR): Resource {
  const resources: Resource = {};
  for (const lang of PAY_LANGS) {
    resources[lang] = {};
    for (const file of readdirSync(join(dir, lang)).filter((f) => f.endsWith('.json'))) {
      resources[lang][file.slice(0, -'.json'.length)] = JSON.parse(readFileSync(join(dir, lang, file), 'utf8')) as Record<string, unknown>;
    }
  }
  return resources;
}

export const INTL_LOCALE: Record<PayLang, string> = { id: 'id-ID', en: 'en-US', th: 'th-TH', vi: 'vi-VN', ms: 'ms-MY' };

export function createI18n(resources: Resource = loadCatalogues()): I18n {
  const instance: I18next = i18next.createInstance();
  void instance.init({
    initAsync: false,
    resources,
    lng: 'en',
    supportedLngs: PAY_LANGS,
    fallbackLng: false,
    ns: Object.keys(resources.en ?? {}),
    defaultNS: 'pay',
    // The catalogues write parameters as {name}; the views escape, so i18next must not.
    interpolation: { prefix: '{', suffix: '}', escapeValue: false },
    returnNull: false,
    // i18next 26 returns an empty text as is (27 made false the default): an empty one reads as missing, its key.
    returnEmptyString: false,
  });

  const t = (lang: PayLang, key: string, params: Params = {}, ns?: string): string => {
    const values: Record<string, string | number> = {};
    for (const [name, v] of Object.entries(params)) {
      values[name] = Array.isArray(v) ? v.map((m) => t(lang, m.key, m.params)).join(', ') : isMessage(v) ? t(lang, v.key, v.params) : v;
    }
    return instance.t(key, { ...values, lng: lang, ...(ns ? { ns } : {}) });
  };

  const formats = (lang: PayLang, timeZone = 'UTC'): Formats => {
    // en-CA with h23 gives "2026-11-25, 10:04" in any zone: one format for both languages.
    const stamp = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    return {
      money: (minor, currency) => formatMoney(minor, currency, INTL_LOCALE[lang]),
      number: (value, options) => new Intl.NumberFormat(INTL_LOCALE[lang], options).format(value),
      dateTime: (d) => stamp.format(d).replace(', ', ' '),
      date: (d, options) => new Intl.DateTimeFormat(INTL_LOCALE[lang], { timeZone, ...options }).format(d),
    };
  };

  return {
    t: (lang, key, params) => t(lang, key, params),
    fixed(lang, ns) {
      const bound = ((key: string, params?: Params) => t(lang, key, params, ns)) as T;
      bound.msg = (m) => (typeof m === 'string' ? t(lang, m) : t(lang, m.key, m.params));
      bound.stored = (text) => bound.msg(decodeMessage(text));
      bound.list = (key) => {
        const value: unknown = instance.t(key, { lng: lang, ns, returnObjects: true });
        return Array.isArray(value) ? value.map(String) : [String(value)];
      };
      return bound;
    },
    formats,
  };
}

/**
 * The customer pages' language: ?lang= wins, then the browser's Accept-Language, then the
 * invoice's currency (the link's [CURRENCY]) as a hint, then English: a Thai or Vietnamese browser
 * reads English better than Indonesian. Filipino is not among the catalogues: pesos read English.
 */
export function choosePayLang(queryLang: unknown, acceptLanguage: string | undefined, currency: unknown): PayLang {
  const byCurrency: Record<string, PayLang> = { IDR: 'id', THB: 'th', VND: 'vi', MYR: 'ms' };
  const hinted = typeof currency === 'string' ? byCurrency[currency.trim().toUpperCase()] : undefined;
  return pick(PAY_LANGS, queryLang, acceptLanguage, hinted ?? 'en');
}

/** The admin's and home page's language: ?lang=, then Accept-Language, then `fallback`. */
export function chooseLang(queryLang: unknown, acceptLanguage: string | undefined, fallback: Lang = 'en'): Lang {
  return pick(LANGS, queryLang, acceptLanguage, fallback);
}

function pick<L extends string>(allowed: readonly L[], queryLang: unknown, acceptLanguage: string | undefined, fallback: L): L {
  const ok = (tag: string): tag is L => (allowed as readonly string[]).includes(tag);
  if (typeof queryLang === 'string' && ok(queryLang.toLowerCase())) return queryLang.toLowerCase() as L;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .slice(0, 20)
    .map((part) => {
      const [tag, ...params] = part.trim().toLowerCase().split(';');
      const q = params.find((p) => p.trim().startsWith('q='));
      return { tag: tag.split('-')[0], q: q ? Number(q.trim().slice(2)) || 0 : 1 };
    })
    .filter((x) => ok(x.tag) && x.q > 0)
    .sort((a, b) => b.q - a.q);
  return (ranked[0]?.tag as L | undefined) ?? fallback;
}
