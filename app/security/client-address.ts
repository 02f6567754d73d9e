import { isIP } from 'node:net';
import type { Request } from 'express';

/**
 * What `TRUST_PROXY` may say: false (no proxy: X-Forwarded-For is never read), the number of
 * proxies in front of us, or the proxies' addresses/CIDRs (express's names loopback, linklocal and
 * uniquelocal included). Express (proxy-addr) takes each of these as its 'trust proxy' value.
 */
export type TrustProxy = false | number | string[];

const NAMED = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Parses the setting; returns a problem sentence instead when it is malformed. */
export function parseTrustProxy(raw: string | undefined): TrustProxy | { problem: string } {
  const v = raw?.trim().toLowerCase();
  if (!v || ['off', 'false', 'no', '0'].includes(v)) return false;
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    return hops <= 10 ? hops : { problem: 'a hop count above 10 is not a real deployment' };
  }
  const entries = v
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const bad = entries.filter((e) => !NAMED.has(e) && !isAddressOrCidr(e));
  if (bad.length || !entries.length) return { problem: `not a proxy address or CIDR: ${bad.join(', ') || raw}` };
  return entries;
}

function isAddressOrCidr(entry: string): boolean {
  const [addr, prefix, ...rest] = entry.split('/');
  const family = isIP(addr);
  if (!family || rest.length) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * The client's address as the rate limits count it. Express resolves X-Forwarded-For through the
 * trusted proxies only; a forwarded value that is not an address (garbage, or one a proxy wrote
 * with a port) must not become a bucket of its own, so it is cleaned or the peer's address used.
 */
export function clientAddress(req: Request): string {
  const ip = req.ip ?? '';
  if (isIP(ip)) return ip;
  const withPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(ip) ?? /^\[([0-9a-f:.]+)\]:\d+$/i.exec(ip);
  if (withPort && isIP(withPort[1])) return withPort[1];
  return req.socket.remoteAddress ?? 'unknown';
}
