/** A request target in absolute-form ("http://host:port/path?query"): its scheme and authority. */
const ABSOLUTE_FORM = /^[a-z][a-z\d+.-]*:\/\/[^/?#]*/i;

/**
 * A request target as the path (and query) express routes it by. Servers must accept absolute-form
 * (RFC 9112 §3.2.2); Node passes it through as req.url, and express routes it by its path. Its host
 * and port are the client's words (`http://a:99999/` is not even a URL), so they are cut off as
 * text, never parsed: this never throws, and the path is left as express sees it.
 */
export function originFormOf(target: string): string {
  return target.replace(ABSOLUTE_FORM, '');
}
