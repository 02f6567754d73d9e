import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCipheriv, randomBytes } from 'node:crypto';
import { runCli } from '../../app/bin/cli/index.js';
import { getSims, resetSims } from '../helpers/sims.js';
import { openDatabase } from '../../app/store/db.js';
import { createStores } from '../../app/store/index.js';
import { createSecretBox, keyId } from '../../app/security/secrets.js';
import request from 'supertest';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, SECRETS_KEY, type Harness } from '../helpers/harness.js';
import { jobRow } from '../../app/jobs/enqueue.js';
import { retireXenditKeyJob } from '../../app/jobs/sync/retire-xendit-key.js';

/**
 * The operator's side of SECRETS_KEY: secrets handed to the CLI without arguments, and a key
 * rotation (SECRETS_KEY_PREVIOUS, then `secrets reseal`). Embedded database: the CLI opens DATA_DIR.
 */
describe('operator CLI: secrets off the command line, SECRETS_KEY rotation', () => {
  const oldKey = Buffer.alloc(32, 7).toString('base64');
  const newKey = Buffer.alloc(32, 9).toString('base64');
  const secrets = { xero: 'xero-S3CRET', xendit: 'xnd_development_S3CRET', token: 'cb-S3CRET' };
  let dataDir: string;
  let base: Record<string, string>;

  before(async () => {
    const sims = await getSims();
    resetSims();
    sims.xero.addOrganisation({ clientId: 'rot-client', clientSecret: secrets.xero, name: 'Toko Rotasi', shortCode: '!ROT1', baseCurrency: 'IDR' });
    // merchants add checks the key with Xendit before saving anything.
    sims.xendit.registerAccount({ secretKey: secrets.xendit, callbackToken: secrets.token, businessName: 'Toko Rotasi' });
    dataDir = mkdtempSync(join(tmpdir(), 'gw-rot-'));
    base = {
      DATA_DIR: dataDir,
      PUBLIC_URL: 'https://gw.example.com',
      XERO_API_URL: sims.xeroUrl,
      XERO_IDENTITY_URL: sims.xeroUrl,
      XENDIT_API_URL: sims.xenditUrl,
      DEMO: 'false',
      LOG_LEVEL: 'silent',
    };
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  async function cli(env: Record<string, string>, argv: string[], stdin = '') {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { ...base, ...env }, { out: (l) => void out.push(l), err: (l) => void err.push(l), stdin: async () => stdin });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  /** The stored merchant, opened with only these keys. */
  async function stored(current: string, previous: string[] = []) {
    const database = await openDatabase({ dataDir });
    try {
      const stores = createStores(database.db, createSecretBox(current, previous));
      const [m] = await stores.merchants.list();
      return {
        m: await stores.merchants.byId(m.id),
        callbackToken: await stores.merchants.callbackToken(m.id),
        raw: await database.db.selectFrom('merchants').selectAll().executeTakeFirstOrThrow(),
      };
    } finally {
      await database.close();
    }
  }

  it('takes secrets from an environment variable and from standard input instead of arguments', async () => {
    const both = await cli({ SECRETS_KEY: oldKey, XS: secrets.xero }, [
      'merchants',
      'add',
      '--name',
      'Toko Rotasi',
      '--xero-client-id',
      'rot-client',
      '--xero-client-secret',
      'x',
      '--xero-client-secret-env',
      'XS',
      '--clearing-account-id',
      'acc-1',
      '--secrets-stdin',
    ]);
    assert.equal(both.code, 64);
    assert.match(both.err, /one way only/);
    const unset = await cli({ SECRETS_KEY: oldKey }, [
      'merchants',
      'add',
      '--name',
      'T',
      '--xero-client-id',
      'rot-client',
      '--xero-client-secret-env',
      'NOPE',
      '--clearing-account-id',
      'acc-1',
    ]);
    assert.equal(unset.code, 64);
    assert.match(unset.err, /NOPE: that environment variable is not set/);

    const r = await cli(
      { SECRETS_KEY: oldKey, XS: secrets.xero },
      [
        'merchants',
        'add',
        '--name',
        'Toko Rotasi',
        '--xero-client-id',
        'rot-client',
        '--xero-client-secret-env',
        'XS',
        '--clearing-account-id',
        'acc-1',
        '--secrets-stdin',
        '--json',
      ],
      `xendit-secret-key=${secrets.xendit}\ncallback-token=${secrets.token}\n`,
    );
    assert.equal(r.code, 0, r.err);
    for (const s of Object.values(secrets)) assert.ok(!r.out.includes(s) && !r.err.includes(s), 'no secret printed');
    const { m } = await stored(oldKey);
    assert.equal(m?.xero.clientSecret, secrets.xero);
    assert.equal(m?.xenditSecretKey, secrets.xendit);
    assert.equal(m?.callbackToken, secrets.token);
  });

  it('rotates SECRETS_KEY: the previous key opens until `secrets reseal` seals everything with the new one (old AAD-less values upgraded)', async () => {
    // A value as sealed before values were bound to their place (v1, no associated data).
    const database = await openDatabase({ dataDir });
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', Buffer.from(oldKey, 'base64'), iv);
    const data = Buffer.concat([cipher.update(secrets.token, 'utf8'), cipher.final()]);
    const legacy = [
      'v1',
      keyId(Buffer.from(oldKey, 'base64')),
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      data.toString('base64url'),
    ].join('.');
    await database.db.updateTable('merchants').set({ callback_token_enc: legacy }).execute();
    await database.close();

    await assert.rejects(cli({ SECRETS_KEY: newKey }, ['merchants', 'list', '--json']), /cannot open secret/);
    const listed = await cli({ SECRETS_KEY: newKey, SECRETS_KEY_PREVIOUS: oldKey }, ['merchants', 'list', '--json']);
    assert.equal(listed.code, 0, listed.err);

    const resealed = await cli({ SECRETS_KEY: newKey, SECRETS_KEY_PREVIOUS: oldKey }, ['secrets', 'reseal']);
    assert.equal(resealed.code, 0, resealed.err + resealed.out);
    assert.match(resealed.out, /Sealed again with the current SECRETS_KEY: 4; already current: 0/);
    for (const s of Object.values(secrets)) assert.ok(!resealed.out.includes(s));

    const after = await stored(newKey);
    assert.equal(after.m?.xenditSecretKey, secrets.xendit);
    assert.equal(after.callbackToken, secrets.token);
    assert.match(after.raw.callback_token_enc!, /^v2\./, 'the legacy value is now bound to its row and column');
    assert.equal(
      (await cli({ SECRETS_KEY: newKey }, ['secrets', 'reseal'])).out.split('\n')[0],
      'Sealed again with the current SECRETS_KEY: 0; already current: 4.',
    );
  });

  it('a sealed value copied into another row does not open there', async () => {
    const database = await openDatabase({ dataDir });
    try {
      const stores = createStores(database.db, createSecretBox(newKey));
      const other = await stores.merchants.add({
        name: 'Lain',
        shortCode: '!ROT2',
        xero: { clientId: 'c2', clientSecret: 'other', tenantId: '' },
        xenditSecretKey: 'xnd_development_other',
        callbackToken: 'other-token',
        clearingAccountId: 'acc-2',
      });
      const first = await database.db.selectFrom('merchants').select('callback_token_enc').where('id', '!=', other.id).executeTakeFirstOrThrow();
      await database.db.updateTable('merchants').set({ callback_token_enc: first.callback_token_enc }).where('id', '=', other.id).execute();
      await assert.rejects(createStores(database.db, createSecretBox(newKey)).merchants.callbackToken(other.id));
    } finally {
      await database.close();
    }
  });
});

/**
 * A retire-xendit-key job carries the old Xendit key sealed in its payload (store/merchants.ts
 * retireKey): `secrets reseal` seals it again too, or the job could not open it once the previous
 * SECRETS_KEY is removed, and the old key's invoices would stay payable.
 */
describeEachDatabase('secrets reseal: the old Xendit key a queued retire job carries', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  it("is sealed again with the new SECRETS_KEY: with the previous key removed, the job still expires the old key's checkouts", async () => {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const old = h.sims.xendit.listInvoices().at(-1)!;
    const other = 'xnd_development_OtherBusiness7788';
    h.sims.xendit.registerAccount({ secretKey: other, callbackToken: 'cb-other', businessName: 'Another business' });
    await h.stores.merchants.setXenditKeys(h.merchant.id, { test: other }, h.clock(), undefined, (o) =>
      jobRow('retire-xendit-key', { merchantId: h.merchant.id, ...o }, h.clock()),
    );
    const [queued] = (await h.stores.jobs.list()).filter((j) => j.kind === 'retire-xendit-key');
    assert.equal(queued?.state, 'queued');

    const newKey = randomBytes(32).toString('base64');
    const resealed = await createStores(db(), createSecretBox(newKey, [SECRETS_KEY])).secrets.resealAll();
    assert.deepEqual(resealed.failed, []);

    // SECRETS_KEY_PREVIOUS removed: only the new key.
    const stores = createStores(db(), createSecretBox(newKey));
    const job = (await stores.jobs.byId(queued.id))!;
    assert.notEqual(job.payload.sealedKey, queued.payload.sealedKey, 'sealed again');
    assert.equal(job.payload.keyHint, queued.payload.keyHint, 'the rest of the payload kept');
    await retireXenditKeyJob({ stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })(job);
    assert.equal(h.sims.xendit.getInvoice(old.id)?.status, 'EXPIRED', 'expired at Xendit with the old key');
    const checkout = await db().selectFrom('checkouts').select('status').where('xendit_invoice_id', '=', old.id).executeTakeFirstOrThrow();
    assert.equal(checkout.status, 'expired');

    const twice = await createStores(db(), createSecretBox(newKey)).secrets.resealAll();
    assert.equal(twice.resealed, 0, 'everything already current');
  });
});
