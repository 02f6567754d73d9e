/**
 * What of a request path may be logged: one-time links carry their secret in the path. Matched
 * without regard to case, as express routes (its default): /ADMIN/WELCOME/<token> is served too.
 */
const SECRET_LINK = /^(\/admin\/(?:setup|connect|welcome)\/)[^/?#]+/i;

/** Xero's answer to "Connect to Xero" (paths.adminXeroCallback, any case, a trailing slash too): its query is the code and state. */
const OAUTH_ANSWER = /^\/admin\/xero\/callback\/?(?:[?#]|$)/i;

/** Setup, connect and invite/reset links (/admin/<kind>/<token>) with the token replaced. */
export function loggablePath(path: string): string {
  return path.replace(SECRET_LINK, '$1[redacted]');
}

export function hasSecretPath(path: string): boolean {
  return SECRET_LINK.test(path);
}

/** Whether the URL is Xero's OAuth answer, whose query string (authorisation code, state) is never logged. */
export function isOAuthAnswer(url: string): boolean {
  return OAUTH_ANSWER.test(url);
}
