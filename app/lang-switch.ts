import { PAY_LANGS, type PayLang } from './i18n/index.js';

/** Each language's own name for itself: the same in every language, so not in the catalogues. */
const NATIVE_NAMES: Record<PayLang, string> = {
  id: 'Bahasa Indonesia',
  en: 'English',
  th: 'ไทย',
  vi: 'Tiếng Việt',
  ms: 'Bahasa Melayu',
};

/** The same page with ?lang= set. Any request path, however garbled (`//[`), gets an answer. */
function withLang(originalUrl: string, lang: string): string {
  try {
    const url = new URL(originalUrl, 'http://x');
    if (url.origin !== 'http://x') return `/?lang=${lang}`; // "//host/..." must not become a link elsewhere
    url.searchParams.set('lang', lang);
    // Dot segments are removed after the origin is settled: "/.//evil.com" keeps it, with the path
    // "//evil.com", which a browser reads as another host. A browser also reads "\\" as "/".
    if (/^[/\\]{2}/.test(url.pathname)) return `/?lang=${lang}`;
    return url.pathname + url.search;
  } catch {
    return `/?lang=${lang}`;
  }
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
