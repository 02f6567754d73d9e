/** Same page in the other language. Any request path, however garbled (`//[`), gets an answer. */
export function switchLangUrl(originalUrl: string, lang: string): string {
  const other = lang === 'id' ? 'en' : 'id';
  try {
    const url = new URL(originalUrl, 'http://x');
    if (url.origin !== 'http://x') return `/?lang=${other}`; // "//host/..." must not become a link elsewhere
    url.searchParams.set('lang', other);
    return url.pathname + url.search;
  } catch {
    return `/?lang=${other}`;
  }
}
