import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../app/cli.js';
import { ENGINES, createPostgresDatabase, requirePostgres } from '../helpers/db.js';
import { getSims, resetSims } from '../helpers/sims.js';
import { openDatabase } from '../../app/store/db.js';
import { createStores, type Stores } from '../../app/store/index.js';
import { createSecretBox } from '../../app/security/secrets.js';

for (const engine of ENGINES) {
  describe(`operator CLI [${engine}]`, function () {
    let env: Record<string, string>;
    let cleanup: () => Promise<void>;

    before(async function () {
      if (engine === 'postgres') await requirePostgres(this, 'operator CLI');
      const sims = await getSims();
      const dataDir = mkdtempSync(join(tmpdir(), 'gw-cli-'));
      env = {
        DATA_DIR: dataDir,
        SECRETS_KEY: Buffer.alloc(32, 3).toString('base64'),
        PUBLIC_URL: 'https://gw.example.com',
        XERO_API_URL: sims.xeroUrl,
        XERO_IDENTITY_URL: sims.xeroUrl,
        XENDIT_API_URL: sims.xenditUrl,
        DEMO: 'false',
        LOG_LEVEL: 'silent',
      };
      cleanup = async () => rmSync(dataDir, { recursive: true, force: true });
      if (engine === 'postgres') {
        const pgdb = await createPostgresDatabase();
        env.DATABASE_URL = pgdb.url;
        const rm = cleanup;
        cleanup = async () => {
          await pgdb.drop();
          await rm();
        };
      }
    });
    after(() => cleanup?.());

    async function cli(...argv: string[]) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    }

    const secrets = ['s3cr3t-xero', 'xnd_development_SECRET', 'tok-SECRET'];
    const addArgs = (extra: string[]) => [
      'merchants', 'add', '--name', 'Toko A', '--xero-client-id', 'cli-client', '--xero-client-secret', secrets[0],
      '--xendit-secret-key', secrets[1], '--callback-token', secrets[2], '--clearing-account-id', 'acc-1', ...extra,
    ];

    it('adds a merchant, reading the ShortCode from Xero, and prints the two URLs as JSON', async () => {
      resetSims();
      (await getSims()).xero.addOrganisation({ clientId: 'cli-client', clientSecret: secrets[0], name: 'Toko A', shortCode: '!CLI9', baseCurrency: 'IDR' });
      const r = await cli(...addArgs(['--json']));
      assert.equal(r.code, 0, r.err);
      const printed = JSON.parse(r.out);
      assert.deepEqual(Object.keys(printed).sort(), ['callbackUrl', 'id', 'payUrl', 'shortCode']);
      assert.equal(printed.shortCode, '!CLI9');
      assert.equal(printed.payUrl, 'https://gw.example.com/pay?invoiceNo=[INVOICENUMBER]&currency=[CURRENCY]&amount=[AMOUNTDUE]&shortCode=[SHORTCODE]');
      assert.equal(printed.callbackUrl, `https://gw.example.com/callbacks/xendit/${printed.id}`);
      for (const s of secrets) assert.ok(!r.out.includes(s) && !r.err.includes(s), 'no secret printed');
    });

    it('refuses a second merchant with the same ShortCode', async () => {
      const r = await cli(...addArgs(['--short-code', '!CLI9']));
      assert.equal(r.code, 2);
      assert.match(r.err, /already belongs/);
    });

    it('lists and disables merchants without printing secrets', async () => {
      const added = await cli(...addArgs(['--short-code', '!CLI8', '--json']));
      const { id } = JSON.parse(added.out);
      const list = await cli('merchants', 'list', '--json');
      const rows = JSON.parse(list.out);
      assert.equal(rows.length, 2);
      for (const s of secrets) assert.ok(!list.out.includes(s));
      assert.equal((await cli('merchants', 'disable', id)).code, 0);
      const after = JSON.parse((await cli('merchants', 'list', '--json')).out);
      assert.equal(after.find((m: { id: string }) => m.id === id).status, 'disabled');
    });

    it('explains missing options and unknown commands', async () => {
      const missing = await cli('merchants', 'add', '--name', 'X');
      assert.equal(missing.code, 64);
      assert.match(missing.err, /missing --xero-client-id/);
      assert.equal((await cli('nope')).code, 64);
    });

    it('stops with every configuration problem listed', async () => {
      const saved = env;
      env = { ...env, SECRETS_KEY: 'short', PORT: 'abc' };
      const r = await cli('merchants', 'list');
      env = saved;
      assert.equal(r.code, 2);
      assert.match(r.err, /SECRETS_KEY/);
      assert.match(r.err, /PORT/);
    });

    /** Opens the CLI's database between commands (the embedded one admits one process at a time). */
    async function withStores<T>(fn: (stores: Stores) => Promise<T>): Promise<T> {
      const opened = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR });
      try {
        return await fn(createStores(opened.db, createSecretBox(env.SECRETS_KEY)));
      } finally {
        await opened.close();
      }
    }

    it('reconcile --merchant ID --since DATE: queues recording of a paid checkout whose callback never came', async () => {
      const sims = await getSims();
      const key = `xnd_development_cli_${engine}`;
      sims.xendit.registerAccount({ secretKey: key, callbackToken: 'tok', businessName: 'Toko R' });
      const invoice = (n: string) => ({
        externalId: `cli-${engine}-${n}`, currency: 'IDR' as const, amount: 50000, description: n,
        successRedirectUrl: 'https://x/ok', failureRedirectUrl: 'https://x/no', invoiceDurationSeconds: 86400,
      });
      const paid = await sims.xenditClient.createInvoice(key, invoice('paid'));
      const pending = await sims.xenditClient.createInvoice(key, invoice('pending'));
      await sims.xendit.pay(paid.id, { sendCallback: false });
      const merchantId = await withStores(async (stores) => {
        const m = await stores.merchants.add({
          name: 'Toko R', shortCode: `!CLIR${engine[0]}`, xero: { clientId: 'c', clientSecret: 's', tenantId: '' },
          xenditSecretKey: key, callbackToken: 'tok', clearingAccountId: 'acc',
        });
        const created = new Date('2026-11-20T10:00:00Z');
        for (const [i, x] of [paid, pending].entries()) {
          const c = await stores.checkouts.claim(
            { id: randomUUID(), merchantId: m.id, xeroInvoiceId: `xi-${i}`, invoiceNumber: `INV-${i}`, currency: 'IDR', amount: 50000, externalId: x.externalId, expiresAt: new Date('2026-12-01') },
            created,
          );
          await stores.checkouts.open(c!.id, x.id, x.invoiceUrl, created);
        }
        return m.id;
      });

      const none = await cli('reconcile', '--merchant', merchantId, '--since', '2026-11-21', '--json');
      assert.equal(none.code, 0, none.err);
      assert.equal(JSON.parse(none.out).checked, 0, 'checkouts before --since are left alone');

      const r = await cli('reconcile', '--since', '2026-11-01', '--merchant', merchantId, '--json');
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(JSON.parse(r.out), { checked: 2, paid: 1, expired: 0, pending: 1, unknown: 0, failed: 0 });
      const text = await cli('reconcile', '--merchant', merchantId);
      assert.match(text.out, /Checked 1 open checkout\(s\) of Toko R: 0 paid .* 1 still pending/);

      const jobs = await withStores((stores) => stores.jobs.list());
      assert.deepEqual(jobs.map((j) => [j.kind, j.state, j.payload.xenditInvoiceId]), [['record-payment', 'queued', paid.id]]);

      assert.equal((await cli('reconcile', '--merchant', merchantId, '--since', 'yesterday-ish')).code, 64);
      assert.equal((await cli('reconcile', '--merchant', randomUUID())).code, 64);
      assert.equal((await cli('reconcile')).code, 64);
    });

    it('jobs replay ID: re-queues a needs_review or done job with fresh attempts, refuses others', async () => {
      const ids = await withStores(async (stores) => {
        const now = new Date();
        await stores.jobs.enqueue({ kind: 'record-payment', payload: { merchantId: 'm', xenditInvoiceId: 'x1' }, dedupeKey: `replay-${engine}-1` }, now);
        await stores.jobs.enqueue({ kind: 'record-payment', payload: { merchantId: 'm', xenditInvoiceId: 'x2' }, dedupeKey: `replay-${engine}-2` }, now);
        const a = (await stores.jobs.claim(now, 60_000))!;
        await stores.jobs.needsReview(a.id, 'Xero refused the payment: account archived', now);
        const queued = (await stores.jobs.list({ state: 'queued' })).at(-1)!;
        return { review: a.id, queued: queued.id };
      });
      const listed = JSON.parse((await cli('jobs', 'list', '--state', 'needs_review', '--json')).out);
      assert.deepEqual(listed.map((j: { id: number }) => j.id), [ids.review]);
      assert.match(listed[0].lastError, /account archived/);

      const r = await cli('jobs', 'replay', String(ids.review));
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /queued again/);
      const job = await withStores((stores) => stores.jobs.byId(ids.review));
      assert.deepEqual([job?.state, job?.attempts, job?.lastError], ['queued', 0, null]);

      const refused = await cli('jobs', 'replay', String(ids.queued));
      assert.equal(refused.code, 2);
      assert.match(refused.err, /is queued: only needs_review or done/);
      assert.equal((await cli('jobs', 'replay', '999999')).code, 64);
      assert.equal((await cli('jobs', 'replay', 'abc')).code, 64);
      assert.equal((await cli('jobs', 'list', '--state', 'weird')).code, 64);
    });
  });
}
