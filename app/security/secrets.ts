import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * AES-256-GCM for secrets at rest. Each value carries the id of the key that sealed it, so keys can
 * be rotated: the new key seals, previous keys still open (SECRETS_KEY_PREVIOUS) until every value
 * has been sealed again (`secrets reseal`).
 *
 * "v2.<kid>.<iv>.<tag>.<data>" is bound to where it is stored (table, column, row: the GCM
 * associated data), so a value copied into another row or column does not open there.
 * "v1.…" values, sealed before that, carry no associated data; they still open, and a reseal
 * upgrades them.
 */
export interface SecretBox {
  /** context: where the value is stored, from secretContext(). */
  seal(plain: string, context: string): string;
  open(sealed: string, context: string): string;
  /** Sealed with the current key and bound to its place: nothing for a reseal to do. */
  isCurrent(sealed: string): boolean;
}

/** The associated data binding a sealed value to its place. */
export function secretContext(table: string, column: string, rowId: string): string {
  return `${table}.${column}:${rowId}`;
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** GCM allows tags down to 4 bytes; a shortened tag makes forging far easier, so only 16 opens. */
const TAG_BYTES = 16;

export function createSecretBox(currentKeyB64: string, olderKeysB64: string[] = []): SecretBox {
  const keys = [currentKeyB64, ...olderKeysB64].map((k) => {
    const key = Buffer.from(k, 'base64');
    if (key.length !== 32) throw new Error('secrets key must be 32 bytes');
    return key;
  });
  const byId = new Map<string, Buffer>();
  for (const k of keys) if (!byId.has(keyId(k))) byId.set(keyId(k), k);
  const current = keys[0];
  const currentId = keyId(current);
  // Every pay click opens the merchant's secrets: a sealed value (random IV, so unique) opens to
  // the same plaintext each time, so recent ones are remembered instead of decrypted again.
  const opened = new Map<string, string>();
  return {
    seal(plain, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v2', currentId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
    },
    open(sealed, context) {
      const cacheKey = `${context}\n${sealed}`;
      const known = opened.get(cacheKey);
      if (known !== undefined) return known;
      const plain = openSealed(sealed, context);
      if (opened.size >= OPENED_REMEMBERED) opened.delete(opened.keys().next().value!);
      opened.set(cacheKey, plain);
      return plain;
    },
    isCurrent(sealed) {
      const [version, kid] = sealed.split('.');
      return version === 'v2' && kid === currentId;
    },
  };

  function openSealed(sealed: string, context: string): string {
    const [version, kid, iv, tag, data, extra] = sealed.split('.');
    const key = byId.get(kid);
    if ((version !== 'v1' && version !== 'v2') || !key || !iv || !tag || data === undefined || extra !== undefined)
      throw new Error(`cannot open secret sealed with key ${kid}`);
    const tagBytes = Buffer.from(tag, 'base64url');
    if (tagBytes.length !== TAG_BYTES) throw new Error('cannot open secret: authentication tag is not 16 bytes');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
    if (version === 'v2') decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}

const OPENED_REMEMBERED = 2000;

/** Constant-time comparison that does not leak the length of the expected value. */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
