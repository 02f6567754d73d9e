/** What of a request path may be logged: one-time links carry their secret in the path. */
const SECRET_LINK = /^(\/admin\/(?:setup|connect|welcome)\/)[^/?#]+/;

/** Setup, connect and invite/reset links (/admin/<kind>/<token>) with the token replaced. */
export function loggablePath(path: string): string {
  return path.replace(SECRET_LINK, '$1[redacted]');
}

export function hasSecretPath(path: string): boolean {
  return SECRET_LINK.test(path);
}
