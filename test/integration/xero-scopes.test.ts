import { strict as assert } from 'node:assert';
import express from 'express';
import request from 'supertest';
import { createXeroSimulator } from '../../app/simulators/xero/index.js';
import { DEFAULT_OAUTH_SCOPES } from '../../config/constants.js';
import { describeEachDatabase } from '../helpers/db.js';
import { addUser, clearAdminTables, page, signedIn } from '../helpers/admin.js';
import { manualClock } from '../helpers/harness.js';
import { createOAuthHarness, oauthMerchantReadyToSell, startConnect, type OAuthHarness } from '../helpers/xero-oauth.js';

const BANK_SUMMARY = '/api.xro/2.0/Reports/BankSummary';
const without = (...scopes: string[]) => DEFAULT_OAUTH_SCOPES.filter((s) => !scopes.includes(s)).join(' ');

/** Xero checks each operation's scopes (xero_accounting.yaml `security`; granular scopes for apps from March 2026). */
describe('Xero simulator: scopes per operation', () => {
  const APP = { clientId: 'scope-app', clientSecret: 'scope-app-secret' };
  const sim = createXeroSimulator({ now: manualClock() });
  const app = express().use(sim.router);
  let tenantId: string;
  beforeEach(() => {
    sim.reset();
    sim.addOAuthApp(APP.clientId, APP.clientSecret);
    tenantId = sim.addOrganisation({ clientId: 'cc', clientSecret: 'cc-s', name: 'Org', shortCode: '!SC1', baseCurrency: 'IDR' }).tenantId;
  });
  const get = (path: string, scope: string) =>
    request(app)
      .get(path)
      .set('authorization', `Bearer ${sim.grantOAuth(APP.clientId, [tenantId], scope).access_token}`)
      .set('xero-tenant-id', tenantId);

  it('refuses the Bank Summary to a token without a reports scope (401 AuthorizationUnsuccessful); the granular or the legacy scope reads it', async () => {
    const refused = await get(`${BANK_SUMMARY}?fromDate=2026-01-01&toDate=2026-01-01`, without('accounting.reports.banksummary.read')).expect(401);
    assert.equal(refused.body.Detail, 'AuthorizationUnsuccessful');
    assert.equal(refused.body.Status, 401);
    await get(BANK_SUMMARY, 'accounting.reports.banksummary.read offline_access').expect(200);
    await get(BANK_SUMMARY, 'accounting.reports.read offline_access').expect(200);
  });

  it('checks the other routes too: the granular scope, its .read variant for GETs only, and accounting.transactions', async () => {
    await get('/api.xro/2.0/Invoices', 'accounting.contacts').expect(401);
    await get('/api.xro/2.0/Invoices', 'accounting.invoices.read').expect(200);
    await get('/api.xro/2.0/Invoices', 'accounting.transactions.read').expect(200);
    await get('/api.xro/2.0/Payments', 'accounting.invoices').expect(401);
    await get('/api.xro/2.0/BankTransactions', 'accounting.payments').expect(401);
    await get('/api.xro/2.0/ManualJournals', 'accounting.transactions').expect(200);
    await get('/api.xro/2.0/Accounts', 'accounting.settings.read').expect(200);
    const write = (path: string, scope: string) =>
      request(app)
        .put(path)
        .set('authorization', `Bearer ${sim.grantOAuth(APP.clientId, [tenantId], scope).access_token}`)
        .set('xero-tenant-id', tenantId)
        .send({ Contacts: [{ Name: 'Budi' }] });
    await write('/api.xro/2.0/Contacts', 'accounting.contacts.read').expect(401);
    await write('/api.xro/2.0/Contacts', 'accounting.contacts').expect(200);
  });

  it('a Custom Connection token carries the scopes the connection was authorised with; asking for another is invalid_scope', async () => {
    sim.addOrganisation({
      clientId: 'narrow',
      clientSecret: 'narrow-s',
      name: 'Narrow',
      shortCode: '!SC2',
      baseCurrency: 'IDR',
      scopes: 'accounting.invoices accounting.settings',
    });
    const token = (scope?: string) =>
      request(app)
        .post('/connect/token')
        .auth('narrow', 'narrow-s')
        .type('form')
        .send({ grant_type: 'client_credentials', ...(scope === undefined ? {} : { scope }) });
    assert.equal((await token('accounting.invoices accounting.reports.banksummary.read').expect(400)).body.error, 'invalid_scope');
    const all = (await token().expect(200)).body;
    assert.equal(all.scope, 'accounting.invoices accounting.settings');
    await request(app).get(BANK_SUMMARY).set('authorization', `Bearer ${all.access_token}`).expect(401);
    await request(app).get('/api.xro/2.0/Invoices').set('authorization', `Bearer ${all.access_token}`).expect(200);
  });
});

/** The admin's balances when the connection lacks the Bank Summary's scope, and payment jobs meeting a missing scope. */
describeEachDatabase('Xero scopes: a connection without a scope a call needs', ({ db }) => {
  let h: OAuthHarness;
  let n = 0;
  beforeEach(async () => {
    h = await createOAuthHarness(db());
    await clearAdminTables(db());
    await addUser(h.stores, 'ops@example.com', null, h.clock());
  });
  afterEach(() => h.close());

  const xeroBalance = async (merchantId: string) => {
    const ops = await signedIn(h.app, 'ops@example.com');
    const { $ } = await page(ops, `/admin?merchant=${merchantId}&lang=en`);
    const row = $('#balances-table tr[data-currency=IDR]');
    return { xero: row.find('.xero').text().trim().replace(/\s/g, ' '), state: row.find('.state').text().trim() };
  };

  it('without accounting.reports.banksummary.read the balances say to reconnect, and the token is refreshed at most once', async () => {
    const { merchant } = await oauthMerchantReadyToSell(h, ++n, { scope: without('accounting.reports.banksummary.read') });
    for (let i = 0; i < 3; i++) {
      const shown = await xeroBalance(merchant.id);
      assert.equal(shown.xero, 'Xero did not grant accounting.reports.banksummary.read: reconnect to Xero', JSON.stringify(shown));
      assert.notEqual(shown.state, 'Balanced');
      h.clock.advance(61_000); // past the minute the dashboard keeps its balances: the next load asks Xero
    }
    assert.ok(h.sims.xero.test.oauth.tokenCalls('refresh_token') <= 1, `refreshed ${h.sims.xero.test.oauth.tokenCalls('refresh_token')} times`);
    assert.equal(h.sims.xero.test.countRequests({ pathPrefix: BANK_SUMMARY }), 4, 'three page loads, one retry after the one refresh');
  });

  it('a Custom Connection authorised without it: the gateway gets a token for what it was given, and the balances say to reconnect', async () => {
    const k = ++n;
    const org = h.sims.xero.addOrganisation({
      clientId: `narrow-${k}`,
      clientSecret: `narrow-secret-${k}`,
      name: 'Warung Sempit',
      shortCode: `!NS${k}`,
      baseCurrency: 'IDR',
      scopes: without('accounting.reports.banksummary.read', 'offline_access', 'openid', 'profile', 'email'),
    });
    const merchant = await h.stores.merchants.add({
      name: 'Warung Sempit',
      shortCode: `!NS${k}`,
      xero: { clientId: `narrow-${k}`, clientSecret: `narrow-secret-${k}`, tenantId: '' },
      xenditSecretKey: `xnd_development_ns${k}`,
      callbackToken: `ns-token-${k}`,
      clearingAccountId: h.sims.xero.bankAccountFor(org.tenantId, 'Xendit').accountId,
      xeroTestOrganisation: true,
    });
    h.sims.xendit.registerAccount({
      secretKey: `xnd_development_ns${k}`,
      callbackToken: `ns-token-${k}`,
      callbackUrl: `${h.baseUrl}/cb`,
      businessName: 'Warung Sempit',
    });
    const before = h.sims.xero.test.tokenRequests();
    for (let i = 0; i < 3; i++) {
      const shown = await xeroBalance(merchant.id);
      assert.equal(shown.xero, 'Xero did not grant accounting.reports.banksummary.read: reconnect to Xero', JSON.stringify(shown));
    }
    // The list refused (invalid_scope), then none asked for, then one new token after the first 401: none per page load.
    assert.equal(h.sims.xero.test.tokenRequests() - before, 3);
  });

  it('connected with the scopes the gateway asks for at Connect to Xero, the balance shows, Balanced', async () => {
    const ops = await signedIn(h.app, 'ops@example.com');
    const asked = (await startConnect(ops)).searchParams.get('scope') ?? '';
    assert.ok(asked.split(' ').includes('accounting.reports.banksummary.read'), asked);
    const { merchant } = await oauthMerchantReadyToSell(h, ++n, { scope: asked });
    const shown = await xeroBalance(merchant.id);
    assert.equal(shown.xero, 'IDR 0');
    assert.equal(shown.state, 'Balanced');
    assert.equal(h.sims.xero.test.oauth.tokenCalls('refresh_token'), 0);
  });

  it('two operations lacking their scopes, called in turn: the token is refreshed once per operation, not once per call', async () => {
    const { merchant } = await oauthMerchantReadyToSell(h, ++n, { scope: without('accounting.reports.banksummary.read', 'accounting.manualjournals') });
    const creds = (await h.stores.merchants.byId(merchant.id))!.xero;
    for (let i = 0; i < 3; i++) {
      await assert.rejects(h.oauthClient.bankSummary(creds, '2026-12-01'), /did not grant accounting\.reports\.banksummary\.read/);
      await assert.rejects(h.oauthClient.listManualJournals(creds), /did not grant accounting\.manualjournals/);
    }
    assert.equal(h.sims.xero.test.oauth.tokenCalls('refresh_token'), 2);
    // Later, a refused operation is tried with a new token once more, in case the 401 was passing.
    h.clock.advance(11 * 60_000);
    await assert.rejects(h.oauthClient.bankSummary(creds, '2026-12-01'), /did not grant/);
    assert.equal(h.sims.xero.test.oauth.tokenCalls('refresh_token'), 3);
  });

  it('a payment job meeting a scope the connection lacks is tried again twice, 15 minutes apart, then goes to review saying which', async () => {
    const { merchant, tenantId } = await oauthMerchantReadyToSell(h, ++n, { scope: without('accounting.payments') });
    h.sims.xero.addInvoice({
      tenantId,
      invoiceNumber: 'SC-1',
      currency: 'IDR',
      contact: { name: 'Budi' },
      lineItems: [{ description: 'Kopi', quantity: '1', unitAmount: '50000' }],
    });
    const pay = `/pay?${new URLSearchParams({ invoiceNo: 'SC-1', currency: 'IDR', amount: '50000.00', shortCode: merchant.shortCode })}`;
    await request(h.app).get(pay).expect(303);
    await h.sims.xendit.pay(h.sims.xendit.listInvoices().at(-1)!.id);
    await h.worker.drain();
    const mine = async () => (await h.stores.jobs.list()).filter((j) => j.merchantId === merchant.id);
    assert.equal((await mine()).filter((j) => j.state === 'needs_review').length, 0, "a 401 that may be passing is not a person's yet");
    for (let i = 0; i < 2; i++) {
      h.clock.advance(15 * 60_000 + 1000);
      await h.worker.drain();
    }
    const jobs = await mine();
    const stuck = jobs.find((j) => j.state === 'needs_review');
    assert.ok(stuck, JSON.stringify(jobs.map((j) => [j.kind, j.state, j.lastError])));
    assert.match(stuck.lastError ?? '', /Xero did not grant accounting\.payments: reconnect to Xero/);
    assert.equal(stuck.attempts, 3);
    assert.ok(h.sims.xero.test.oauth.tokenCalls('refresh_token') <= 3, 'at most one refresh per attempt');
  });
});
