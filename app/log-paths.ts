import { originFormOf } from './request-target.js';

/**
 * What of a request path may be logged: one-time links carry their secret in the path. Matched
 * without regard to case, as express routes (its default): /ADMIN/WELCOME/<token> is served too.
 */
const SECRET_LINK = /^(\/admin\/(?:setup|connect|welcome)\/)[^/?#]+/i;

/** Xero's answer to "Connect to Xero" (paths.adminXeroCallback, any case, a trailing slash too): its query is the code and state. */
const OAUTH_ANSWER = /^\/admin\/xero\/callback\/?(?:[?#]|$)/i;

/**
 * What of a request's log entry replaces what pino-http took from it: the OAuth answer without its
 * query (authorisation code, state), a one-time link without its token in the URL or the route's
 * params. Undefined when the request may be logged as it came.
 */
export function redactedRequest(url: string): { url: string; query?: object; params?: object } | undefined {
  // An absolute-form target ("GET http://host/admin/welcome/<token>") is served by the same routes.
  const path = originFormOf(url);
  if (isOAuthAnswer(path)) return { url: path.split('?')[0], query: {}, params: {} };
  if (hasSecretPath(path)) return { url: loggablePath(path), params: {} };
  // Anyone may send a 16 kB request target (a callback "merchant id", say): one such line per
  // request would let a flood fill the logs. Its query and params are parts of it, so dropped too.
  if (url.length > LOGGED_PATH_CHARS) return { url: bounded(url), query: {}, params: {} };
  return undefined;
}

/** Setup, connect and invite/reset links (/admin/<kind>/<token>) with the token replaced; a long path cut short. */
export function loggablePath(path: string): string {
  return bounded(path.replace(SECRET_LINK, '$1[redacted]'));
}

/**
 * The request's headers as logged: each value cut as a long path is. Anyone may send 16 kB of
 * headers (Node's limit), and every request is logged with them.
 */
export function loggableHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = typeof value === 'string' ? bounded(value) : value;
  return out;
}

/**
 * The answer's headers as logged: those that say something about this answer. helmet's (CSP, HSTS,
 * frame options…) and cache-control are the same on every answer; serialised into each request's
 * line (synchronously, on the event loop the next requests wait on) they were most of its 1.4 kB.
 * The request id is the line's `req.id` already.
 */
export function loggedResponseHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of LOGGED_RESPONSE_HEADERS) if (headers[name] !== undefined) out[name] = headers[name];
  return out;
}

const LOGGED_RESPONSE_HEADERS = ['location', 'retry-after', 'content-type', 'content-length', 'set-cookie'] as const;

/** More than any path of ours (a few ids): what is logged of a request target. */
const LOGGED_PATH_CHARS = 300;

function bounded(text: string): string {
  return text.length > LOGGED_PATH_CHARS ? `${text.slice(0, LOGGED_PATH_CHARS)}…[${text.length} characters]` : text;
}

function hasSecretPath(path: string): boolean {
  return SECRET_LINK.test(path);
}

/** Whether the URL is Xero's OAuth answer, whose query string (authorisation code, state) is never logged. */
function isOAuthAnswer(url: string): boolean {
  return OAUTH_ANSWER.test(url);
}
