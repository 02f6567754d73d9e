import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * AES-256-GCM for secrets at rest. Each value carries the id of the key that sealed it
 * ("v1.<kid>.<iv>.<tag>.<data>") so keys can be rotated: add the new key first, keep old ones to open.
 */
export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function createSecretBox(currentKeyB64: string, olderKeysB64: string[] = []): SecretBox {
  const keys = [currentKeyB64, ...olderKeysB64].map((k) => {
    const key = Buffer.from(k, 'base64');
    if (key.length !== 32) throw new Error('secrets key must be 32 bytes');
    return key;
  });
  const byId = new Map(keys.map((k) => [keyId(k), k]));
  const current = keys[0];
  const currentId = keyId(current);
  // Every pay click opens the merchant's secrets: a sealed value (random IV, so unique) opens to
  // the same plaintext each time, so recent ones are remembered instead of decrypted again.
  const opened = new Map<string, string>();
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v1', currentId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
    },
    open(sealed) {
      const known = opened.get(sealed);
      if (known !== undefined) return known;
      const plain = openSealed(sealed);
      if (opened.size >= OPENED_REMEMBERED) opened.delete(opened.keys().next().value!);
      opened.set(sealed, plain);
      return plain;
    },
  };

  function openSealed(sealed: string): string {
    const [version, kid, iv, tag, data] = sealed.split('.');
    const key = byId.get(kid);
    if (version !== 'v1' || !key || !iv || !tag || data === undefined) throw new Error(`cannot open secret sealed with key ${kid}`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
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
