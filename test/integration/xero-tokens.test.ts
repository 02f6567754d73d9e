import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { sql } from 'kysely';
import { describeEachDatabase, createPostgresDatabase, requirePostgres } from '../helpers/db.js';
import { addUser, clearAdminTables, reauth, signedIn, type Agent } from '../helpers/admin.js';
import { box } from '../helpers/harness.js';
import { APP, connectThroughXero, createOAuthHarness, oauthXeroClient, type OAuthHarness } from '../helpers/xero-oauth.js';
import { adminMerchantPath, callbackPathFor, paths } from '../../app/paths.js';
import { openDatabase } from '../../app/store/db.js';
import { createStores } from '../../app/store/index.js';
import type { Merchant } from '../../app/store/merchants.js';
import { XeroDisconnected } from '../../app/clients/xero/errors.js';
import type { XeroTokenStore } from '../../app/clients/xero/types.js';

const HALF_HOUR = 31 * 60_000;

/** An OAuth merchant for this organisation, connected without the browser (the sim's grant). */
async function oauthMerchant(h: OAuthHarness, stores: OAuthHarness['stores'], tenantId: string, shortCode: string): Promise<Merchant> {
  const set = h.sims.xero.grantOAuth(APP.clientId, [tenantId]);
  const tokens = { accessToken: set.access_token, refreshToken: set.refresh_token!, expiresAt: new Date(h.clock().getTime() + set.expires_in * 1000) };
  const id = await stores.xeroConnections.addOAuthMerchant(
    { name: shortCode, shortCode, tenantId, clientId: APP.clientId, tokens, isDemoCompany: true },
    h.clock(),
  );
  return (await stores.merchants.byId(id))!;
}

describeEachDatabase('Xero OAuth tokens: one refresh per organisation, invalid_grant parks the merchant', ({ db }) => {
  let h: OAuthHarness;
  let orgA: string;
  beforeEach(async () => {
    h = await createOAuthHarness(db());
    orgA = h.sims.xero.addOrganisation({ clientId: 'cc-a', clientSecret: 'cc-a-secret', name: 'Warung Satu', shortCode: '!WS1', baseCurrency: 'IDR' }).tenantId;
  });
  afterEach(() => h.close());

  it('30 concurrent calls with an expired access token → exactly one refresh; the rotated token is stored', async () => {
    const m = await oauthMerchant(h, h.stores, orgA, '!WS1');
    const before = (await h.stores.xeroTokens.current(m.id))!;
    h.clock.advance(HALF_HOUR);
    const orgs = await Promise.all(Array.from({ length: 30 }, () => h.oauthClient.getOrganisation(m.xero)));
    assert.deepEqual([...new Set(orgs.map((o) => o.shortCode))], ['!WS1']);
    assert.equal(h.sims.xero.test.oauth.tokenCalls('refresh_token'), 1);
    const after = (await h.stores.xeroTokens.current(m.id))!;
    assert.notEqual(after.refreshToken, before.refreshToken, 'rotated refresh token stored');
    assert.ok(after.expiresAt.getTime() > h.clock().getTime() + 25 * 60_000);
  });

  it('in one process the 30 callers share one trip to the database lock (coalescing), not 30 queued transactions', async () => {
    const m = await oauthMerchant(h, h.stores, orgA, '!WS1');
    h.clock.advance(HALF_HOUR);
    let locked = 0;
    const counting: XeroTokenStore = {
      current: (id) => h.stores.xeroTokens.current(id),
      refreshLocked: (id, decide) => {
        locked += 1;
        return h.stores.xeroTokens.refreshLocked(id, decide);
      },
    };
    const client = oauthXeroClient(h, counting);
    await Promise.all(Array.from({ length: 30 }, () => client.getOrganisation(m.xero)));
    assert.equal(locked, 1);
    assert.equal(h.sims.xero.test.oauth.tokenCalls('refresh_token'), 1);
  });

  it('two processes (two clients, each coalescing on its own) still refresh once: the row lock and a second look', async () => {
    const m = await oauthMerchant(h, h.stores, orgA, '!WS1');
    h.clock.advance(HALF_HOUR);
    const other = oauthXeroClient(h, createStores(db(), box).xeroTokens);
    await Promise.all(Array.from({ length: 30 }, (_v, i) => (i % 2 ? other : h.oauthClient).getOrganisation(m.xero)));
    assert.equal(h.sims.xero.test.oauth.tokenCalls('refresh_token'), 1);
  });

  describe('invalid_grant → disconnected → reconnect → resumes', () => {
    let ops: Agent;
    let m: Merchant;
    const XENDIT_KEY = 'xnd_development_oauthmerchant01';
    const CB_TOKEN = 'cb-oauth-merchant-token';
    beforeEach(async () => {
      await clearAdminTables(db());
      await addUser(h.stores, 'ops@example.com', null);
      ops = await signedIn(h.app, 'ops@example.com');
      await connectThroughXero(h, ops, [orgA], 303);
      m = (await h.stores.merchants.list()).find((x) => x.shortCode === '!WS1')!;
      const now = h.clock();
      await h.stores.merchants.setXendit(m.id, { secretKey: XENDIT_KEY, callbackToken: CB_TOKEN }, now);
      const clearing = h.sims.xero.bankAccountFor(orgA, 'Xendit');
      await h.stores.merchants.setAccounts(
        m.id,
        { clearingAccountId: clearing.accountId, clearingAccounts: {}, feeAccountCode: '404', salesAccountCode: null },
        now,
      );
      await h.stores.merchants.setAccountingOptions(m.id, { xeroTestOrganisation: true }, now); // test-key payments recorded
      assert.ok(await h.stores.merchants.activateIfComplete(m.id, now));
      h.sims.xendit.registerAccount({
        secretKey: XENDIT_KEY,
        callbackToken: CB_TOKEN,
        callbackUrl: h.baseUrl + callbackPathFor(m.id),
        businessName: 'Warung Satu',
      });
    });

    const payUrl = (invoiceNumber: string) =>
      `/pay?${new URLSearchParams({ invoiceNo: invoiceNumber, currency: 'IDR', amount: '50000.00', shortCode: '!WS1' })}`;
    const addInvoice = (n: string) =>
      h.sims.xero.addInvoice({
        tenantId: orgA,
        invoiceNumber: n,
        type: 'ACCREC',
        status: 'AUTHORISED',
        currency: 'IDR',
        contact: { name: 'Budi' },
        lineItems: [{ description: 'Kopi', quantity: '1', unitAmount: '50000' }],
      });

    it('jobs wait without spending attempts, /pay and the admin say so, and after reconnecting the payment is recorded once', async () => {
      const inv = addInvoice('OA-1');
      await request(h.app).get(payUrl('OA-1')).expect(303);
      const x = h.sims.xendit.listInvoices().at(-1)!;

      // The user revoked us in Xero: refreshing answers invalid_grant.
      h.sims.xero.test.oauth.refuseRefresh(true);
      h.clock.advance(HALF_HOUR);
      await h.sims.xendit.pay(x.id);
      await h.worker.drain();

      const disconnected = (await h.stores.merchants.byId(m.id))!;
      assert.match(disconnected.xeroDisconnected?.reason ?? '', /invalid_grant/);
      assert.equal(await h.stores.xeroTokens.current(m.id), null);
      const [job] = await h.stores.jobs.list();
      assert.equal(job.state, 'queued');
      assert.equal(job.attempts, 0, 'no attempt spent');
      assert.equal((await h.stores.payments.byXenditInvoice(m.id, x.id))?.syncState, 'pending');
      assert.equal(await h.worker.drain(), 0, 'the merchant’s jobs are not taken while disconnected');
      assert.equal(h.sims.xero.paymentsOf(inv.invoiceId).length, 0);
      assert.equal(h.sims.xero.test.oauth.tokenCalls('refresh_token'), 1, 'one refused refresh, not one per try');

      // /pay: the friendly can't-pay-now page, not a 500.
      addInvoice('OA-2');
      const pay = await request(h.app).get(payUrl('OA-2')).set('accept', 'text/html').expect(503);
      assert.ok(cheerio.load(pay.text)('h1').text().length > 0);

      // The admin shows it.
      const page = cheerio.load((await ops.get(adminMerchantPath(m.id)).expect(200)).text);
      assert.match(page('[data-xero=disconnected]').text(), /Xero disconnected — reconnect/);
      const list = cheerio.load((await ops.get(paths.adminMerchantNew).expect(200)).text);
      assert.equal(list(`a[href="${adminMerchantPath(m.id)}"]:contains("Xero disconnected — reconnect")`).length, 1, 'the merchants list says so too');

      // Reconnect (OAuth again) → the job runs now and the payment is recorded exactly once.
      h.sims.xero.test.oauth.refuseRefresh(false);
      await reauth(ops); // half an hour since signing in: the step-up password first
      await connectThroughXero(h, ops, [orgA], 303, m.id, adminMerchantPath(m.id));
      assert.equal((await h.stores.merchants.byId(m.id))!.xeroDisconnected, null);
      await h.worker.drain();
      await h.worker.drain();
      const payments = h.sims.xero.paymentsOf(inv.invoiceId).filter((p) => p.status !== 'DELETED');
      assert.equal(payments.length, 1);
      assert.equal((await h.stores.payments.byXenditInvoice(m.id, x.id))?.syncState, 'recorded');
      assert.equal((await h.stores.jobs.list()).filter((j) => j.kind === 'record-payment')[0].state, 'done');
    });

    it('a direct call after invalid_grant fails fast as XeroDisconnected (no refresh storm)', async () => {
      h.sims.xero.test.oauth.refuseRefresh(true);
      h.clock.advance(HALF_HOUR);
      const calls = await Promise.allSettled(Array.from({ length: 10 }, () => h.oauthClient.getOrganisation(m.xero)));
      assert.ok(calls.every((c) => c.status === 'rejected' && c.reason instanceof XeroDisconnected));
      await assert.rejects(h.oauthClient.getOrganisation(m.xero), XeroDisconnected);
      assert.equal(h.sims.xero.test.oauth.tokenCalls('refresh_token'), 1);
    });
  });
});

describe('Xero OAuth tokens: two PostgreSQL pools (two processes) refresh once', function () {
  it('30 calls split over two pools → one refresh', async function () {
    await requirePostgres(this, 'two pools');
    const created = await createPostgresDatabase();
    const one = await openDatabase({ databaseUrl: created.url, dataDir: 'unused', poolSize: 5 });
    const two = await openDatabase({ databaseUrl: created.url, dataDir: 'unused', poolSize: 5 });
    try {
      const h = await createOAuthHarness(one.db);
      try {
        const orgA = h.sims.xero.addOrganisation({
          clientId: 'cc-p',
          clientSecret: 'cc-p-secret',
          name: 'Warung PG',
          shortCode: '!WPG',
          baseCurrency: 'IDR',
        }).tenantId;
        const m = await oauthMerchant(h, h.stores, orgA, '!WPG');
        h.clock.advance(HALF_HOUR);
        const secondProcess = oauthXeroClient(h, createStores(two.db, box).xeroTokens);
        await Promise.all(Array.from({ length: 30 }, (_v, i) => (i % 2 ? secondProcess : h.oauthClient).getOrganisation(m.xero)));
        assert.equal(h.sims.xero.test.oauth.tokenCalls('refresh_token'), 1);
        const rows = await sql<{ n: string }>`select count(*) as n from xero_tokens`.execute(two.db);
        assert.equal(Number(rows.rows[0].n), 1);
      } finally {
        await h.close();
      }
    } finally {
      await one.close();
      await two.close();
      await created.drop();
    }
  });
});
