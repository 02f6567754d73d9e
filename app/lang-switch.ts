import { PAY_LANGS, type PayLang } from './i18n/index.js';
import { originFormOf } from './request-target.js';

/** Each language's own name for itself: the same in every language, so not in the catalogues. */
const NATIVE_NAMES: Record<PayLang, string> = {
  id: 'Bahasa Indonesia',
  en: 'English',
  th: 'ไทย',
  vi: 'Tiếng Việt',
  ms: 'Bahasa Melayu',
};

/**
 * The page a request asked for, with `set` put in its query, as a path on this site (the language
 * switch, a page that looks again), or undefined when the request target names no such path. The
 * target is whatever the client sent: absolute-form, which servers must accept (RFC 9112 §3.2.2),
 * is read as its path, since its host and port are the client's words (`http://a:99999/` is not
 * even a URL); a garbled target (`//[`) or one a browser would read as another host gets undefined.
 */
export function samePage(originalUrl: string, set: Record<string, string>): string | undefined {
  try {
    const url = new URL(originFormOf(originalUrl), 'http://x');
    if (url.origin !== 'http://x') return undefined; // "//host/..." must not become a link elsewhere
    for (const [name, value] of Object.entries(set)) url.searchParams.set(name, value);
    // Dot segments are removed after the origin is settled: "/.//evil.com" keeps it, with the path
    // "//evil.com", which a browser reads as another host. A browser also reads "\\" as "/".
    if (/^[/\\]{2}/.test(url.pathname)) return undefined;
    return url.pathname + url.search;
  } catch {
    return undefined;
  }
}

/** The same page with ?lang= set. Any request path, however garbled (`//[`), gets an answer. */
function withLang(originalUrl: string, lang: string): string {
  return samePage(originalUrl, { lang }) ?? `/?lang=${lang}`;
}

/** Same page in the other admin language. */
export function switchLangUrl(originalUrl: string, lang: string): string {
  return withLang(originalUrl, lang === 'id' ? 'en' : 'id');
}

export interface LangLink {
  lang: PayLang;
  name: string;
  url: string;
  current: boolean;
}

/** The customer pages' language switch: every customer language, the current one marked. */
export function payLangLinks(originalUrl: string, current: PayLang): LangLink[] {
  return PAY_LANGS.map((lang) => ({ lang, name: NATIVE_NAMES[lang], url: withLang(originalUrl, lang), current: lang === current }));
}
