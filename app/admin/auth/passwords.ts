import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt with N=2^15, r=8, p=1 (32 MiB, ~0.1 s here); the parameters travel with each hash. */
const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LEN = 64;

function derive(password: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LEN, { ...opts, maxmem: 256 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** "scrypt$N$r$p$salt$hash" with a fresh 16-byte salt per user. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

function parse(stored: string): { salt: Buffer; hash: Buffer; opts: ScryptOptions } | null {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return null;
  return { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64'), opts: { N: Number(n), r: Number(r), p: Number(p) } };
}

/** The hash of a random password nobody knows, checked in place of a missing or unusable one. */
const DUMMY_HASH = parse('scrypt$32768$8$1$AnsMW32Vh+UmjMRlpe+zCg==$L/bVUKYro82Ht/lJ7G0lsPSv02AIRggP0ymRFiHqfx/oDR9tws/BrUXEgir1IxG0fNBUHMru9+6IoGo5/ARHmA==')!;

/**
 * Whether the password matches the stored hash. No hash (an unknown e-mail) or an unusable one (an
 * invited user who has not chosen a password yet: '') fails after the same scrypt work against
 * DUMMY_HASH, so the time a sign-in takes does not tell which e-mails exist or were invited.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const own = stored === undefined ? null : parse(stored);
  const { salt, hash, opts } = own ?? DUMMY_HASH;
  const key = await derive(password, salt, opts);
  return own !== null && key.length === hash.length && timingSafeEqual(key, hash);
}
