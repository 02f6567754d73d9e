import type { Request } from 'express';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * The simulators hand out codes, tokens and redirects to whatever URL they are given. Mounted on a
 * reachable demo, that would make them an open redirect and a way to send a visitor's OAuth code
 * or a callback token elsewhere, so they only go back to the host they were reached at (any port:
 * the standalone simulators run beside the gateway) or to loopback from loopback.
 */
export function onThisHost(target: string, req: Request): boolean {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const here = req.hostname.toLowerCase();
  const there = url.hostname.toLowerCase();
  return there === here || (LOOPBACK.has(there) && LOOPBACK.has(here));
}
