import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../app/bin/cli/index.js';
import { ENGINES, createPostgresDatabase } from '../helpers/db.js';
import { getSims, resetSims } from '../helpers/sims.js';
import { enqueueJob } from '../helpers/jobs.js';
import { openDatabase } from '../../app/store/db.js';
import { createStores, type Stores } from '../../app/store/index.js';
import { createSecretBox } from '../../app/security/secrets.js';
import { projectRoot, spawnTs } from '../helpers/spawn.js';
import request from 'supertest';
import { pino } from 'pino';
import { createApp } from '../../app/server.js';
import { loadConfig } from '../../config/index.js';

for (const engine of ENGINES) {
  describe(`operator CLI [${engine}]`, function () {
    let env: Record<string, string>;
    let cleanup: () => Promise<void>;

    before(async function () {
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
      {
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
      // merchants add checks the Xendit key's permissions with Xendit: the key must exist there.
      const xendit = (await getSims()).xendit;
      for (const key of argv.filter((a) => a.startsWith(secrets[1])))
        if (!xendit.test.account(key)) xendit.registerAccount({ secretKey: key, callbackToken: secrets[2], businessName: 'Toko A' });
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    }

    const secrets = ['s3cr3t-xero', 'xnd_development_SECRET', 'tok-SECRET'];
    // Each merchant its own Xendit account: one already stored by another merchant is refused.
    let keys = 0;
    const nextKey = () => `${secrets[1]}_${++keys}`;
    const addArgs = (extra: string[], key = nextKey()) => [
      'merchants',
      'add',
      '--name',
      'Toko A',
      '--xero-client-id',
      'cli-client',
      '--xero-client-secret',
      secrets[0],
      '--xendit-secret-key',
      key,
      '--callback-token',
      secrets[2],
      '--clearing-account-id',
      'acc-1',
      ...extra,
    ];

    it('adds a merchant, reading the ShortCode from Xero, and prints its URLs as JSON', async () => {
      resetSims();
      (await getSims()).xero.addOrganisation({ clientId: 'cli-client', clientSecret: secrets[0], name: 'Toko A', shortCode: '!CLI9', baseCurrency: 'IDR' });
      const r = await cli(...addArgs(['--json']));
      assert.equal(r.code, 0, r.err);
      const printed = JSON.parse(r.out);
      assert.deepEqual(Object.keys(printed).sort(), ['callbackUrl', 'disputeWebhookUrl', 'id', 'payUrl', 'refundWebhookUrl', 'shortCode']);
      assert.equal(printed.shortCode, '!CLI9');
      assert.equal(printed.payUrl, 'https://gw.example.com/pay?invoiceNo=[INVOICENUMBER]&currency=[CURRENCY]&amount=[AMOUNTDUE]&shortCode=[SHORTCODE]');
      assert.equal(printed.callbackUrl, `https://gw.example.com/callbacks/xendit/${printed.id}`);
      assert.equal(printed.refundWebhookUrl, `https://gw.example.com/callbacks/xendit/${printed.id}/refunds`);
      assert.equal(printed.disputeWebhookUrl, `https://gw.example.com/callbacks/xendit/${printed.id}/disputes`);
      for (const s of secrets) assert.ok(!r.out.includes(s) && !r.err.includes(s), 'no secret printed');
    });

    it('takes one clearing account per extra currency and explains a malformed one', async () => {
      const ok = await cli(...addArgs(['--short-code', '!CLI7', '--clearing-account', 'PHP=acc-php', '--clearing-account', 'USD=acc-usd', '--json']));
      assert.equal(ok.code, 0, ok.err);
      const list = JSON.parse((await cli('merchants', 'list', '--json')).out);
      const added = list.find((m: { shortCode: string }) => m.shortCode === '!CLI7');
      assert.deepEqual(added.clearingAccounts, { PHP: 'acc-php', USD: 'acc-usd' });
      assert.equal(added.clearingAccountId, 'acc-1');
      const bad = await cli(...addArgs(['--short-code', '!CLI6', '--clearing-account', 'php:acc']));
      assert.equal(bad.code, 64);
      assert.match(bad.err, /CURRENCY=ACCOUNT_ID/);
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
      assert.equal(rows.length, 3);
      for (const s of secrets) assert.ok(!list.out.includes(s));
      assert.equal((await cli('merchants', 'disable', id)).code, 0);
      const after = JSON.parse((await cli('merchants', 'list', '--json')).out);
      assert.equal(after.find((m: { id: string }) => m.id === id).status, 'disabled');
    });

    it('disables a merchant still onboarding (no Xendit key, no clearing account): it stays disabled when its setup is finished, until enabled', async () => {
      const statusOf = async (id: string) => JSON.parse((await cli('merchants', 'list', '--json')).out).find((m: { id: string }) => m.id === id).status;
      const { id } = JSON.parse((await cli(...addArgs(['--short-code', '!CLO1', '--json']))).out);
      const opened = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR });
      try {
        await sql`update merchants set xendit_secret_key_enc = null, clearing_account_id = null, status = 'onboarding' where id = ${id}`.execute(opened.db);
        const disabled = await cli('merchants', 'disable', id);
        assert.equal(disabled.code, 0, disabled.err);
        assert.match(disabled.out, /while it was still onboarding: it takes no payments, its connect link no longer works/);
        assert.match(disabled.out, new RegExp(`Undo with: merchants enable ${id}`));
        assert.equal(await statusOf(id), 'disabled');

        // Its setup finished meanwhile (the admin's steps): it does not become active on its own.
        const [row] = await sql<{ clearing_account_id: string }>`select clearing_account_id from merchants where id = ${id}`
          .execute(opened.db)
          .then((r) => r.rows);
        assert.equal(row.clearing_account_id, null);
        await sql`update merchants set clearing_account_id = 'acc-clearing' where id = ${id}`.execute(opened.db);
        await withStores(async (stores) => assert.equal(await stores.merchants.activateIfComplete(id, new Date()), false));
        assert.equal(await statusOf(id), 'disabled');

        const enabled = await cli('merchants', 'enable', id);
        assert.equal(enabled.code, 0, enabled.err);
        assert.match(enabled.out, /onboarding\. Finish its setup/, 'no Xendit key yet');
        assert.equal(await statusOf(id), 'onboarding');
      } finally {
        await opened.close();
      }
    });

    it('prints every URL to set in Xendit: invoice callbacks, refund and dispute webhooks', async () => {
      const r = await cli(...addArgs(['--short-code', '!CLU1']));
      assert.equal(r.code, 0, r.err);
      const id = /\(([0-9a-f-]{36})\)/.exec(r.out)![1];
      assert.match(r.out, new RegExp(`Callbacks → Invoices paid and Invoice expired: +https://gw.example.com/callbacks/xendit/${id}\n`));
      assert.match(r.out, new RegExp(`Webhooks → Refunds: +https://gw.example.com/callbacks/xendit/${id}/refunds\n`));
      assert.match(r.out, new RegExp(`Webhooks → Disputes: +https://gw.example.com/callbacks/xendit/${id}/disputes$`));
    });

    it('merchants enable undoes disable: active again when its setup is complete, else onboarding', async () => {
      const statusOf = async (id: string) => JSON.parse((await cli('merchants', 'list', '--json')).out).find((m: { id: string }) => m.id === id).status;
      const { id } = JSON.parse((await cli(...addArgs(['--short-code', '!CLE1', '--json']))).out);
      const disabled = await cli('merchants', 'disable', id);
      assert.match(disabled.out, new RegExp(`Undo with: merchants enable ${id}`));
      assert.doesNotMatch(disabled.out, /now answer/);
      const enabled = await cli('merchants', 'enable', id);
      assert.equal(enabled.code, 0, enabled.err);
      assert.match(enabled.out, /active, its payment links work again/);
      assert.equal(await statusOf(id), 'active');
      assert.match((await cli('merchants', 'enable', id)).out, /is active, not disabled/);

      // Its setup not complete (the state an interrupted enable leaves): it stays onboarding, not taking payments.
      const opened = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR });
      try {
        await sql`update merchants set clearing_account_id = null, status = 'onboarding' where id = ${id}`.execute(opened.db);
      } finally {
        await opened.close();
      }
      assert.match((await cli('merchants', 'enable', id)).out, /onboarding\. Finish its setup/);
      assert.equal(await statusOf(id), 'onboarding');
    });

    it('users invite takes only addresses the sign-in form accepts (ops@intranet could never sign in)', async () => {
      const m = await withStores((stores) =>
        stores.merchants.add({ name: 'Toko Invite', shortCode: '!INV1', xero: { clientId: 'inv', clientSecret: 'inv-secret', tenantId: '' } }),
      );
      for (const bad of ['ops@intranet', 'a b@toko.test', 'ops@@toko.test', 'ops@toko.']) {
        const r = await cli('users', 'invite', '--email', bad, '--merchant', m.id);
        assert.equal(r.code, 64, `${bad}: ${r.out}`);
        assert.match(r.err, /is not an address the sign-in form accepts/);
        assert.equal(await withStores((stores) => stores.users.byEmail(bad.toLowerCase())), null);
      }
      const ok = await cli('users', 'invite', '--email', ' New.Owner@Toko.test ', '--merchant', m.id);
      assert.equal(ok.code, 0, ok.err);
      assert.match(ok.out, /^Invited new\.owner@toko\.test \(owner\) to Toko Invite/m);
      assert.equal((await withStores((stores) => stores.users.byEmail('new.owner@toko.test')))?.merchantId, m.id);
    });

    it("users setup-link prints the first operator's one-time link, and refuses once an operator exists", async () => {
      const r = await cli('users', 'setup-link');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^https:\/\/gw\.example\.com\/admin\/setup\/[\w-]{43}$/m);
      await withStores((stores) => stores.users.add({ email: 'op@gw.test', passwordHash: '', role: 'operator', merchantId: null }, new Date()));
      const again = await cli('users', 'setup-link');
      assert.equal(again.code, 1);
      assert.match(again.out, /An operator exists already/);
      assert.doesNotMatch(again.out, /admin\/setup/);
    });

    it('runs as the xx-gateway bin through the symlink npm installs', async function () {
      this.timeout(60_000);
      const dir = mkdtempSync(join(tmpdir(), 'gw-bin-'));
      try {
        // npm links node_modules/.bin/xx-gateway to the package's file; node keeps the link's path in argv[1].
        const bin = join(dir, 'xx-gateway');
        symlinkSync(join(projectRoot, 'app/bin/cli/index.ts'), bin);
        const run = spawnTs(bin, ['merchants', 'list', '--json'], env);
        assert.equal(await run.exited, 0, run.output());
        assert.ok(Array.isArray(JSON.parse(run.output())), `the command ran: ${JSON.stringify(run.output())}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("sets a merchant's Xero daily call budget, or back to the default", async () => {
      const { id } = JSON.parse((await cli(...addArgs(['--short-code', '!CLD1', '--json']))).out);
      const set = await cli('merchants', 'xero-day-limit', id, '1000');
      assert.equal(set.code, 0, set.err);
      assert.match(set.out, /daily call budget 1000/);
      const limitOf = async () => JSON.parse((await cli('merchants', 'list', '--json')).out).find((m: { id: string }) => m.id === id).xeroDayLimit;
      assert.equal(await limitOf(), 1000);
      assert.match((await cli('merchants', 'xero-day-limit', id, 'default')).out, /5000 \(default\)/);
      assert.equal(await limitOf(), 5000);
      const bad = await cli('merchants', 'xero-day-limit', id, '-3');
      assert.equal(bad.code, 64);
      assert.match(bad.err, /not a number of calls/);
    });

    it('switches the settings the admin settings page switches, and refuses an unknown or missing merchant', async () => {
      const { id } = JSON.parse((await cli(...addArgs(['--short-code', '!CLS1', '--json']))).out);
      for (const argv of [
        ['fee-posting', id, 'manual_journal'],
        ['xendit-fees', id, 'invoiced'],
        ['overpayments', id, 'on'],
        ['test-organisation', id, 'on'],
      ]) {
        const r = await cli('merchants', ...argv);
        assert.equal(r.code, 0, r.err);
      }
      const row = JSON.parse((await cli('merchants', 'list', '--json')).out).find((m: { id: string }) => m.id === id);
      assert.deepEqual([row.feePosting, row.xenditFeeBilling, row.overpayments], ['manual_journal', 'invoiced', true]);
      assert.equal(row.backendFlow, false, 'a switch not named keeps its value');
      const unknown = await cli('merchants', 'overpayments', randomUUID(), 'on');
      assert.equal(unknown.code, 64);
      assert.match(unknown.err, /no merchant/);
      const missing = await cli('merchants', 'xendit-fees');
      assert.equal(missing.code, 64);
      assert.match(missing.err, /merchants xendit-fees needs the merchant id/);
    });

    it('stores the fee account (default 404 Bank Fees) and the fee posting mode', async () => {
      const custom = JSON.parse((await cli(...addArgs(['--short-code', '!CLF1', '--fee-account-code', '6100', '--json']))).out);
      const off = JSON.parse((await cli(...addArgs(['--short-code', '!CLF2', '--fee-posting', 'off', '--json']))).out);
      const rows = JSON.parse((await cli('merchants', 'list', '--json')).out) as {
        id: string;
        shortCode: string;
        feeAccountCode: string;
        feePosting: string;
      }[];
      const pick = (id: string) => rows.find((m) => m.id === id)!;
      assert.deepEqual([pick(custom.id).feeAccountCode, pick(custom.id).feePosting], ['6100', 'bank_transaction']);
      assert.deepEqual([pick(off.id).feeAccountCode, pick(off.id).feePosting], ['404', 'off']);
      const bad = await cli(...addArgs(['--short-code', '!CLF3', '--fee-posting', 'journal']));
      assert.equal(bad.code, 64);
      assert.match(bad.err, /--fee-posting must be bank_transaction, manual_journal or off/);
    });

    it('sets the fee posting (manual journals included) and the overpayments opt-in per merchant', async () => {
      const { id } = JSON.parse((await cli(...addArgs(['--short-code', '!CLJ1', '--fee-posting', 'manual_journal', '--overpayments', '--json']))).out);
      const view = async () =>
        JSON.parse((await cli('merchants', 'list', '--json')).out).find((m: { id: string }) => m.id === id) as { feePosting: string; overpayments: boolean };
      assert.deepEqual(await view().then((v) => [v.feePosting, v.overpayments]), ['manual_journal', true]);

      const posting = await cli('merchants', 'fee-posting', id, 'bank_transaction');
      assert.equal(posting.code, 0, posting.err);
      const over = await cli('merchants', 'overpayments', id, 'off');
      assert.equal(over.code, 0, over.err);
      assert.match(over.out, /waits in needs review/);
      assert.deepEqual(await view().then((v) => [v.feePosting, v.overpayments]), ['bank_transaction', false]);

      const journal = await cli('merchants', 'fee-posting', id, 'manual_journal');
      assert.match(journal.out, /must be a non-bank account with payments enabled/);
      assert.equal((await view()).feePosting, 'manual_journal');
      assert.equal((await cli('merchants', 'fee-posting', id, 'sometimes')).code, 64);
      assert.equal((await cli('merchants', 'overpayments', id, 'maybe')).code, 64);
      assert.equal((await cli('merchants', 'overpayments', randomUUID(), 'on')).code, 64);
    });

    it('marks the Xero organisation as a test company (test-key payments recorded) or not (default)', async () => {
      const { id } = JSON.parse((await cli(...addArgs(['--short-code', '!CLT1', '--json']))).out);
      const stored = async () => (await withStores((s) => s.merchants.byId(id)))!.xeroTestOrganisation;
      assert.equal(await stored(), false);
      const on = await cli('merchants', 'test-organisation', id, 'on');
      assert.equal(on.code, 0, on.err);
      assert.match(on.out, /recorded in this \(test\) Xero organisation/);
      assert.equal(await stored(), true);
      assert.equal((await cli('merchants', 'test-organisation', id, 'sometimes')).code, 64);
    });

    it("books Xendit's other balance movements against an account of the merchant's Xero chart (checked as the settings page checks it), or off", async () => {
      const added = await cli(...addArgs(['--short-code', '!CLM1', '--json']));
      assert.equal(added.code, 0, added.err);
      const { id } = JSON.parse(added.out);
      const sims = await getSims();
      const org = sims.xero.test.findOrganisation((o) => o.clientId === 'cli-client')!;
      const code = '899';
      sims.xero.addAccount(org.tenantId, { code, name: 'Xendit other movements', type: 'CURRENT' });
      const bank = sims.xero.bankAccountFor(org.tenantId, 'Xendit');
      const stored = async () => {
        const m = (await withStores((s) => s.merchants.byId(id)))!;
        return { code: m.otherMovementsAccountCode, since: m.otherMovementsSince };
      };
      assert.deepEqual(await stored(), { code: null, since: null });

      // Not in the chart, or a bank account (a line is never coded to one): refused, nothing stored.
      for (const wrong of ['NOPE', bank.code]) {
        const refused = await cli('merchants', 'other-movements', id, wrong);
        assert.equal(refused.code, 2, refused.out);
        assert.match(refused.err, /Choose an account from the list, or off/);
      }
      assert.deepEqual(await stored(), { code: null, since: null });

      const before = new Date();
      const on = await cli('merchants', 'other-movements', id, code);
      assert.equal(on.code, 0, on.err);
      assert.match(on.out, new RegExp(`booked against account ${code}`));
      const turnedOn = await stored();
      assert.equal(turnedOn.code, code);
      assert.ok(turnedOn.since && turnedOn.since >= new Date(before.getTime() - 1000) && turnedOn.since <= new Date(), String(turnedOn.since));
      const listed = JSON.parse((await cli('merchants', 'list', '--json')).out).find((m: { id: string }) => m.id === id);
      assert.equal(listed.otherMovementsAccountCode, code);

      // The same account again keeps the date it was turned on (nothing in between is skipped).
      assert.equal((await cli('merchants', 'other-movements', id, code)).code, 0);
      assert.deepEqual(await stored(), turnedOn);

      const off = await cli('merchants', 'other-movements', id, 'off');
      assert.equal(off.code, 0, off.err);
      assert.match(off.out, /not booked/);
      assert.deepEqual(await stored(), { code: null, since: null });
      const audit = await withStores((s) => s.audit.forMerchant(id));
      assert.ok(
        audit.some((a) => a.action === 'settings_changed' && a.userEmail === 'cli'),
        JSON.stringify(audit),
      );

      assert.equal((await cli('merchants', 'other-movements', id)).code, 64);
      assert.equal((await cli('merchants', 'other-movements', randomUUID(), code)).code, 64);
    });

    it('stores the backend flow switch (default off) and the sales account (default 200 Sales)', async () => {
      const on = JSON.parse((await cli(...addArgs(['--short-code', '!CLB1', '--backend-flow', '--sales-account-code', '4000', '--json']))).out);
      const off = JSON.parse((await cli(...addArgs(['--short-code', '!CLB2', '--json']))).out);
      const rows = JSON.parse((await cli('merchants', 'list', '--json')).out) as { id: string; backendFlow: boolean; salesAccountCode: string }[];
      const pick = (id: string) => rows.find((m) => m.id === id)!;
      assert.deepEqual([pick(on.id).backendFlow, pick(on.id).salesAccountCode], [true, '4000']);
      assert.deepEqual([pick(off.id).backendFlow, pick(off.id).salesAccountCode], [false, '200']);
      const bad = await cli(...addArgs(['--short-code', '!CLB3', '--sales-account-code', ' ']));
      assert.equal(bad.code, 64);
      assert.match(bad.err, /--sales-account-code must not be empty/);
    });

    it('prints the reconciliation report as CSV, exiting 1 while a row is flagged', async () => {
      const sims = await getSims();
      const org = sims.xero.test.findOrganisation((o) => o.clientId === 'cli-client')!;
      const clearing = sims.xero.bankAccountFor(org.tenantId, 'Xendit');
      const key = nextKey();
      const { id } = JSON.parse((await cli(...addArgs(['--short-code', '!CLR1', '--json'], key).map((a) => (a === 'acc-1' ? clearing.accountId : a)))).out);
      // Its key is a test key: a test company's books take its money, so the report reads its account.
      assert.equal((await cli('merchants', 'test-organisation', id, 'on')).code, 0);
      const x = await sims.xenditClient.createInvoice(key, {
        externalId: 'cli-report-1',
        currency: 'IDR',
        amount: 150000,
        description: 'Kopi',
        successRedirectUrl: 'https://gw.example.com/ok',
        failureRedirectUrl: 'https://gw.example.com/no',
        invoiceDurationSeconds: 3600,
      });
      await sims.xendit.pay(x.id, { sendCallback: false });
      const inv = sims.xero.addInvoice({ tenantId: org.tenantId, contact: { name: 'Budi' }, lineItems: [{ description: 'Kopi', unitAmount: '150000' }] });
      sims.xero.recordPayment(org.tenantId, inv.invoiceId, '150000', clearing.accountId, `Xendit ${x.id}`);

      const today = new Date().toISOString().slice(0, 10);
      const r = await cli('report', '--merchant', id, '--from', '2026-01-01', '--to', today > '2026-12-31' ? today : '2026-12-31', '--csv');
      assert.equal(r.code, 1, r.err);
      const lines = r.out.split('\r\n');
      assert.equal(lines[0], 'date,xendit_invoice_id,currency,xendit_amount,xendit_fee,xero_payment,xero_fee,status,xendit_mode,note');
      assert.match(lines[1], new RegExp(`^\\d{4}-\\d{2}-\\d{2},${x.id},IDR,150000.00,4350.00,150000.00,,fee_missing,test,fee 4350.00 not posted$`));
      assert.equal(lines.length, 2);

      const empty = await cli('report', '--merchant', id, '--from', '2020-01-01', '--to', '2020-01-31');
      assert.equal(empty.code, 0);
      assert.match(empty.out, /No Xendit payments and no clearing account activity in this range\.\nRECONCILED$/);
      const bad = await cli('report', '--merchant', id, '--from', '2020-02-01', '--to', '2020-01-01');
      assert.equal(bad.code, 64);
      assert.match(bad.err, /--from is after --to/);
    });

    it('merchants add refuses a Xendit key without "Transactions: Read", naming it, and adds nothing', async () => {
      resetSims();
      const sims = await getSims();
      const key = nextKey();
      sims.xendit.registerAccount({
        secretKey: key,
        callbackToken: secrets[2],
        businessName: 'Toko A',
        permissions: { invoices: 'write', transactions: 'none' },
      });
      const before = JSON.parse((await cli('merchants', 'list', '--json')).out).length;
      const r = await cli(...addArgs(['--short-code', '!PRMC'], key));
      assert.equal(r.code, 2);
      assert.match(r.err, /not allowed to read transactions, for Xendit's fee \(Transactions: Read\)/);
      assert.ok(!r.err.includes(secrets[1]), 'the key is never printed');
      assert.equal(JSON.parse((await cli('merchants', 'list', '--json')).out).length, before);
      assert.equal(sims.xendit.listInvoices().length, 0, 'the check created no invoice');
      resetSims();
    });

    it("merchants add stores a callback token copied with a space at its end as Xendit sends it: Xendit's callbacks are accepted", async () => {
      (await getSims()).xero.addOrganisation({ clientId: 'cli-client', clientSecret: secrets[0], name: 'Toko A', shortCode: '!TOK1', baseCurrency: 'IDR' });
      const r = await cli(...addArgs(['--short-code', '!TOK1', '--json']).map((a) => (a === secrets[2] ? `${secrets[2]} ` : a)));
      assert.equal(r.code, 0, r.err);
      const { id } = JSON.parse(r.out);
      // Node hands the header over without the space: the stored token must be the one Xendit sends.
      const opened = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR });
      try {
        const sims = await getSims();
        const stores = createStores(opened.db, createSecretBox(env.SECRETS_KEY));
        const app = createApp({
          config: loadConfig(env),
          stores,
          xero: sims.xeroClient,
          xendit: sims.xenditClient,
          clock: () => new Date(),
          logger: pino({ level: 'silent' }),
        });
        const res = await request(app)
          .post(`/callbacks/xendit/${id}`)
          .set('x-callback-token', secrets[2])
          .send({ id: 'inv-tok1', external_id: 'ext-tok1', status: 'PAID' });
        assert.equal(res.status, 200, JSON.stringify(res.body));
      } finally {
        await opened.close();
      }
    });

    it("merchants add trims every secret and refuses one as the admin's forms do, naming the option and never the secret", async () => {
      const sims = await getSims();
      sims.xero.addOrganisation({ clientId: 'cli-trim', clientSecret: secrets[0], name: 'Toko A', shortCode: '!TRM1', baseCurrency: 'IDR' });
      const key = nextKey();
      sims.xendit.registerAccount({ secretKey: key, callbackToken: secrets[2], businessName: 'Toko A' });
      const args = (secret: string, xenditKey: string, token: string) => [
        ...addArgs(['--short-code', '!TRM1', '--json'], xenditKey).map((a) =>
          a === secrets[0] ? secret : a === secrets[2] ? token : a === 'cli-client' ? 'cli-trim' : a,
        ),
      ];
      const refused = async (a: string[], option: string, why: RegExp) => {
        const before = JSON.parse((await cli('merchants', 'list', '--json')).out).length;
        const r = await cli(...a);
        assert.equal(r.code, 64, r.err);
        assert.match(r.err, new RegExp(`^--${option}: ${why.source}`));
        for (const s of [secrets[0], key, 'tok en']) assert.ok(!r.err.includes(s), 'no secret printed');
        assert.equal(JSON.parse((await cli('merchants', 'list', '--json')).out).length, before, 'nothing added');
      };
      await refused(args(secrets[0], key, 'tok en'), 'callback-token', /A verification token has letters, digits and punctuation only/);
      await refused(args(secrets[0], `${key}\u200b`, secrets[2]), 'xendit-secret-key', /This key has a space, a line break or an invisible character/);
      await refused(args(secrets[0], key.replace('xnd_development_', 'xnd_public_'), secrets[2]), 'xendit-secret-key', /This is a public key/);
      await refused(args(`${secrets[0]}\u0000`, key, secrets[2]), 'xero-client-secret', /This contains a character that cannot be saved/);

      const ok = await cli(...args(` ${secrets[0]}\t`, ` ${key} `, `${secrets[2]}\n`));
      assert.equal(ok.code, 0, ok.err);
      const { id } = JSON.parse(ok.out);
      const opened = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR });
      try {
        const m = await createStores(opened.db, createSecretBox(env.SECRETS_KEY)).merchants.byId(id);
        assert.deepEqual([m?.xero.clientSecret, m?.xenditSecretKey, m?.callbackToken], [secrets[0], key, secrets[2]]);
      } finally {
        await opened.close();
      }
    });

    it('explains missing options and unknown commands', async () => {
      const missing = await cli('merchants', 'add', '--name', 'X');
      assert.equal(missing.code, 64);
      // Without Xero credentials the merchant would connect through a link, which needs the gateway's Xero app.
      assert.match(missing.err, /XERO_CLIENT_ID and XERO_CLIENT_SECRET\); or give --xero-client-id/);
      const noClearing = await cli('merchants', 'add', '--name', 'X', '--xero-client-id', 'c', '--xero-client-secret', 's');
      assert.equal(noClearing.code, 64);
      assert.match(noClearing.err, /missing --clearing-account-id/);
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

    /** The CLI's database, opened from this process as any second process would. */
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
        externalId: `cli-${engine}-${n}`,
        currency: 'IDR' as const,
        amount: 50000,
        description: n,
        successRedirectUrl: 'https://x/ok',
        failureRedirectUrl: 'https://x/no',
        invoiceDurationSeconds: 86400,
      });
      const paid = await sims.xenditClient.createInvoice(key, invoice('paid'));
      const pending = await sims.xenditClient.createInvoice(key, invoice('pending'));
      await sims.xendit.pay(paid.id, { sendCallback: false });
      const merchantId = await withStores(async (stores) => {
        const m = await stores.merchants.add({
          name: 'Toko R',
          shortCode: `!CLIR${engine[0]}`,
          xero: { clientId: 'c', clientSecret: 's', tenantId: '' },
          xenditSecretKey: key,
          callbackToken: 'tok',
          clearingAccountId: 'acc',
        });
        const created = new Date('2026-11-20T10:00:00Z');
        for (const [i, x] of [paid, pending].entries()) {
          const c = await stores.checkouts.claim(
            {
              id: randomUUID(),
              merchantId: m.id,
              xeroInvoiceId: `xi-${i}`,
              invoiceNumber: `INV-${i}`,
              currency: 'IDR',
              amount: 50000,
              externalId: x.externalId,
              expiresAt: new Date('2026-12-01'),
            },
            created,
          );
          await stores.checkouts.open(c!.id, c!.updatedAt, x.id, x.invoiceUrl, created);
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
      assert.deepEqual(
        jobs.map((j) => [j.kind, j.state, j.payload.xenditInvoiceId]),
        [['record-payment', 'queued', paid.id]],
      );

      assert.equal((await cli('reconcile', '--merchant', merchantId, '--since', 'yesterday-ish')).code, 64);
      assert.equal((await cli('reconcile', '--merchant', randomUUID())).code, 64);
      assert.equal((await cli('reconcile')).code, 64);
    });

    it('jobs replay ID: re-queues a needs_review or done job with fresh attempts, refuses others', async () => {
      const ids = await withStores(async (stores) => {
        const now = new Date();
        await enqueueJob(stores.db, { kind: 'record-payment', payload: { merchantId: 'm', xenditInvoiceId: 'x1' }, dedupeKey: `replay-${engine}-1` }, now);
        await enqueueJob(stores.db, { kind: 'record-payment', payload: { merchantId: 'm', xenditInvoiceId: 'x2' }, dedupeKey: `replay-${engine}-2` }, now);
        const a = (await stores.jobs.claim(now, 60_000))!;
        await stores.jobs.needsReview(a, 'Xero refused the payment: account archived', now);
        const queued = (await stores.jobs.list({ state: 'queued' })).at(-1)!;
        return { review: a.id, queued: queued.id };
      });
      const listed = JSON.parse((await cli('jobs', 'list', '--state', 'needs_review', '--json')).out);
      assert.deepEqual(
        listed.map((j: { id: number }) => j.id),
        [ids.review],
      );
      assert.match(listed[0].lastError, /account archived/);

      const r = await cli('jobs', 'replay', String(ids.review));
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /queued again/);
      const job = await withStores((stores) => stores.jobs.byId(ids.review));
      assert.deepEqual(
        [job?.state, job?.attempts, job?.lastError, job?.payload.retry],
        ['queued', 0, null, 1],
        'fresh attempts and a fresh Xero Idempotency-Key',
      );

      const refused = await cli('jobs', 'replay', String(ids.queued));
      assert.equal(refused.code, 2);
      assert.match(refused.err, /is queued: only needs_review or done/);
      assert.equal((await cli('jobs', 'replay', '999999')).code, 64);
      assert.equal((await cli('jobs', 'replay', 'abc')).code, 64);
      assert.equal((await cli('jobs', 'list', '--state', 'weird')).code, 64);
    });
  });
}
