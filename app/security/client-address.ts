import { isIP, isIPv4, isIPv6 } from 'node:net';
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

/**
 * Who a request is counted as, for every per-client counter (/pay, sign-in, the step-up, one's own
 * password, the burst limits, callback refusals): `key` the client (clientKey), `network` the
 * coarser unit around it (clientNetworkKey). The one place a request becomes a client.
 */
export function clientOf(req: Request): { key: string; network: string } {
  const address = clientAddress(req);
  return { key: clientKey(address), network: clientNetworkKey(address) };
}

/**
 * The 8 16-bit words of an IPv6 address, however written (`::`, leading zeros, upper case, a dotted
 * IPv4 tail, a zone), or null. Parsed, not matched as text: `::ffff:c633:6409`,
 * `0:0:0:0:0:ffff:198.51.100.9` and `::ffff:198.51.100.9` are one address.
 */
function ipv6Words(ip: string): number[] | null {
  let s = ip.toLowerCase().replace(/%.*$/, '');
  if (!isIPv6(s)) return null;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    s = s.slice(0, dotted.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  }
  const [head, tail] = s.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = s.includes('::') ? 8 - left.length - right.length : 0;
  const words = [...left, ...Array<string>(fill).fill('0'), ...right].map((w) => parseInt(w, 16));
  return words.length === 8 ? words : null;
}

/** The IPv4 address of an IPv4 address or an IPv4-mapped IPv6 one (::ffff:a.b.c.d: an IPv4 client on a dual-stack socket). */
function ipv4Of(ip: string): string | undefined {
  if (isIPv4(ip)) return ip;
  const w = ipv6Words(ip);
  if (!w || w.slice(0, 5).some((x) => x !== 0) || w[5] !== 0xffff) return undefined;
  return [w[6] >> 8, w[6] & 255, w[7] >> 8, w[7] & 255].join('.');
}

const prefixOf = (words: number[], n: number) =>
  words
    .slice(0, n)
    .map((x) => x.toString(16))
    .join(':');

/**
 * The unit a client is counted by: the IPv4 address, or the /64 of an IPv6 address (one
 * subscriber usually holds a whole /64, and may take a new address of it for every request, so
 * counting single addresses would be no limit at all).
 */
export function clientKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const v4 = ipv4Of(ip);
  if (v4) return v4;
  const words = ipv6Words(ip);
  return words ? prefixOf(words, 4) + '::/64' : ip;
}

/**
 * The network around a client, for a coarser count than clientKey's: an IPv4 /24, or an IPv6 /48
 * (what one site is usually given: 65 536 /64s, each a fresh clientKey).
 */
export function clientNetworkKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const v4 = ipv4Of(ip);
  if (v4) return v4.split('.').slice(0, 3).join('.') + '.0/24';
  const words = ipv6Words(ip);
  return words ? prefixOf(words, 3) + '::/48' : ip;
}
