import { strict as assert } from 'node:assert';
import { createCipheriv, randomBytes } from 'node:crypto';
import { createSecretBox, keyId, secretContext } from '../../app/security/secrets.js';
import { loadConfig } from '../../config/index.js';

const key = () => randomBytes(32).toString('base64');

/** A value as the gateway sealed it before associated data (v1), optionally with a short tag. */
function legacySeal(keyB64: string, plain: string, tagBytes = 16): string {
  const k = Buffer.from(keyB64, 'base64');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', k, iv, { authTagLength: tagBytes });
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', keyId(k), iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
}

describe('secret box', () => {
  const here = secretContext('merchants', 'callback_token_enc', 'm-1');

  it('binds a sealed value to its row and column: it does not open anywhere else', () => {
    const box = createSecretBox(key());
    const sealed = box.seal('tok', here);
    assert.equal(box.open(sealed, here), 'tok');
    assert.throws(() => box.open(sealed, secretContext('merchants', 'callback_token_enc', 'm-2')));
    assert.throws(() => box.open(sealed, secretContext('merchants', 'xendit_live_key_enc', 'm-1')));
  });

  it('still opens values sealed before associated data (v1), so existing databases keep working', () => {
    const k = key();
    assert.equal(createSecretBox(k).open(legacySeal(k, 'old secret'), here), 'old secret');
    assert.equal(createSecretBox(k).isCurrent(legacySeal(k, 'old secret')), false, 'a reseal upgrades it');
  });

  it('refuses a shortened GCM tag', () => {
    const k = key();
    const short = legacySeal(k, 'x', 4);
    assert.throws(() => createSecretBox(k).open(short, here), /16 bytes|tag/);
    const v2 = createSecretBox(k).seal('y', here).split('.');
    v2[3] = Buffer.from(v2[3], 'base64url').subarray(0, 12).toString('base64url');
    assert.throws(() => createSecretBox(k).open(v2.join('.'), here));
  });

  it('opens with a previous key, seals with the current one', () => {
    const [oldKey, newKey] = [key(), key()];
    const sealedOld = createSecretBox(oldKey).seal('s', here);
    const rotated = createSecretBox(newKey, [oldKey]);
    assert.equal(rotated.open(sealedOld, here), 's');
    assert.equal(rotated.isCurrent(sealedOld), false);
    const sealedNew = rotated.seal('s', here);
    assert.equal(rotated.isCurrent(sealedNew), true);
    assert.equal(createSecretBox(newKey).open(sealedNew, here), 's');
    assert.throws(() => createSecretBox(newKey).open(sealedOld, here));
  });
});

describe('config: production transport and key rotation', () => {
  const prod = { NODE_ENV: 'production', XERO_CLIENT_ID: 'a', XERO_CLIENT_SECRET: 'b', SECRETS_KEY: Buffer.alloc(32, 1).toString('base64') };
  it('refuses an http:// PUBLIC_URL in production, except localhost', () => {
    assert.throws(() => loadConfig({ ...prod, PUBLIC_URL: 'http://pay.example.id' }), /PUBLIC_URL: must be https/);
    assert.equal(loadConfig({ ...prod, PUBLIC_URL: 'https://pay.example.id' }).publicUrl, 'https://pay.example.id');
    assert.equal(loadConfig({ ...prod, PUBLIC_URL: 'http://localhost:3000' }).publicUrl, 'http://localhost:3000');
    assert.equal(loadConfig({ ...prod, PUBLIC_URL: 'http://127.0.0.1:3000' }).publicUrl, 'http://127.0.0.1:3000');
    assert.equal(loadConfig({ PUBLIC_URL: 'http://pay.example.id' }).publicUrl, 'http://pay.example.id', 'development may use http');
  });

  it('takes SECRETS_KEY_PREVIOUS as a comma list of 32-byte keys, only beside SECRETS_KEY', () => {
    const [a, b] = [Buffer.alloc(32, 2).toString('base64'), Buffer.alloc(32, 3).toString('base64')];
    assert.deepEqual(loadConfig({ ...prod, PUBLIC_URL: 'https://x.id', SECRETS_KEY_PREVIOUS: `${a}, ${b}` }).secretsKeysPrevious, [a, b]);
    assert.deepEqual(loadConfig({}).secretsKeysPrevious, []);
    assert.throws(() => loadConfig({ SECRETS_KEY_PREVIOUS: 'c2hvcnQ=' }), /SECRETS_KEY_PREVIOUS/);
    assert.throws(() => loadConfig({ SECRETS_KEY_PREVIOUS: a }), /SECRETS_KEY_PREVIOUS: only with SECRETS_KEY/);
  });
});
