/**
 * Issue 14 item 5: Xendit secret keys carry per-product permissions. Onboarding checks every one the
 * gateway uses, names the missing one in plain words and saves nothing; the probes create no invoice.
 */
import { strict as assert } from 'node:assert';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { addUser, clearAdminTables, page, signedIn, type Agent } from '../helpers/admin.js';
import { adminMerchantPath, paths } from '../../app/paths.js';
import type { Merchant } from '../../app/store/merchants.js';
import type { XenditSimAccount } from '../../app/simulators/xendit/index.js';

const XERO = { clientId: 'perm-client', clientSecret: 'perm-secret' };
const TOKEN = 'cb-token-perm';

describeEachDatabase('Xendit key permissions at onboarding', ({ db }) => {
  let h: Harness;
  let ops: Agent;
  let m: Merchant;
  beforeEach(async () => {
    h = await createHarness(db());
    await clearAdminTables(db());
    await addUser(h.stores, 'ops@example.com', null);
    h.sims.xero.addOrganisation({ ...XERO, name: 'Warung Izin', shortCode: '!PRM1', baseCurrency: 'IDR' });
    ops = await signedIn(h.app, 'ops@example.com');
    const form = await page(ops, paths.adminMerchantNew);
    const res = await ops
      .post(paths.adminMerchantNew)
      .type('form')
      .send({ _csrf: form.csrf(), ...XERO })
      .expect(303);
    m = (await h.stores.merchants.byId(/merchants\/([0-9a-f-]{36})\//.exec(res.headers.location)![1]))!;
  });
  afterEach(() => h.close());

  const xenditPage = () => adminMerchantPath(m.id, 'adminMerchantXendit');
  function key(secretKey: string, permissions?: XenditSimAccount['permissions']) {
    h.sims.xendit.registerAccount({ secretKey, callbackToken: TOKEN, businessName: 'Warung Izin', ...(permissions ? { permissions } : {}) });
    return secretKey;
  }
  async function submit(testKey: string, status: number) {
    const form = await page(ops, xenditPage());
    return ops.post(xenditPage()).type('form').send({ _csrf: form.csrf(), testKey, liveKey: '', callbackToken: TOKEN }).expect(status);
  }

  it("the simulator answers a call outside the key's permissions as Xendit does: 403 REQUEST_FORBIDDEN_ERROR", async () => {
    const k = key('xnd_development_NoTxnRead0001', { invoices: 'write', transactions: 'none' });
    const res = await fetch(`${h.sims.xenditUrl}/transactions?limit=1`, { headers: { authorization: `Basic ${Buffer.from(`${k}:`).toString('base64')}` } });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { error_code: string }).error_code, 'REQUEST_FORBIDDEN_ERROR');
  });

  it('a key without "Transactions: Read" is refused, naming it; nothing saved, no invoice created by the check', async () => {
    const k = key('xnd_development_NoTxnRead0002', { invoices: 'write', transactions: 'none' });
    const invoicesBefore = h.sims.xendit.listInvoices().length;
    const res = await submit(k, 422);
    assert.equal(
      cheerio.load(res.text)('#e-testKey').text(),
      "This Xendit key is not allowed to read transactions, for Xendit's fee (Transactions: Read). In Xendit, Settings → API keys, give the key those permissions (or create one that has them) and enter it again.",
    );
    const s = (await h.stores.merchants.byId(m.id))!;
    assert.deepEqual(s.xenditKeys, { test: '', live: '' });
    assert.equal(s.callbackToken, '', 'nothing saved');
    assert.equal(h.sims.xendit.listInvoices().length, invoicesBefore, 'probing created no invoice a customer could pay');
  });

  it('a read-only invoices key is refused for creating and expiring invoices', async () => {
    const res = await submit(key('xnd_development_ReadOnly0003', { invoices: 'read', transactions: 'read' }), 422);
    assert.match(
      cheerio.load(res.text)('#e-testKey').text(),
      /^This Xendit key is not allowed to create invoices \(Money-in: Write\), expire invoices \(Money-in: Write\)\./,
    );
  });

  it('a key without "Refunds: Read" is refused (refunds made at Xendit could not reach Xero); one with read only may be saved', async () => {
    const res = await submit(key('xnd_development_NoRefunds0005', { invoices: 'write', transactions: 'read', refunds: 'none' }), 422);
    assert.match(
      cheerio.load(res.text)('#e-testKey').text(),
      /^This Xendit key is not allowed to read refunds, to record refunds made at Xendit \(Refunds: Read\)\./,
    );
    assert.equal((await h.stores.merchants.byId(m.id))!.xenditKeys.test, '', 'nothing saved');
    await submit(key('xnd_development_ReadRefund0006', { invoices: 'write', transactions: 'read', refunds: 'read' }), 303);
  });

  it('a key with every permission is saved, and the checks leave no invoice behind', async () => {
    const k = key('xnd_development_Everything0004');
    const before = h.sims.xendit.listInvoices().length;
    assert.deepEqual(await h.sims.xenditClient.checkSecretKey(k), []);
    await submit(k, 303);
    assert.equal((await h.stores.merchants.byId(m.id))!.xenditKeys.test, k);
    assert.equal(h.sims.xendit.listInvoices().length, before);
  });

  it('a key of an account holding two currencies passes the checks (its transactions are listed a currency at a time) and tells its business', async () => {
    const k = key('xnd_development_TwoCurrency0007');
    for (const currency of ['IDR', 'PHP'] as const) h.sims.xendit.test.movement(k, { type: 'TOPUP', currency, amount: 10_000, cashflow: 'MONEY_IN' });
    assert.deepEqual(await h.sims.xenditClient.checkSecretKey(k), []);
    assert.equal(await h.sims.xenditClient.businessOf(k), h.sims.xendit.test.account(k)?.userId, 'no invoice: told by a transaction');
  });

  it('the simulator answers GET /transactions/{id}: the transaction, 404 for an id it does not hold, 403 without "Transactions: Read"', async () => {
    const k = key('xnd_development_TxnById0008');
    const { id } = h.sims.xendit.test.movement(k, { type: 'TOPUP', currency: 'PHP', amount: 10_000, cashflow: 'MONEY_IN' });
    const get = (secret: string, txn: string) =>
      fetch(`${h.sims.xenditUrl}/transactions/${txn}`, { headers: { authorization: `Basic ${Buffer.from(`${secret}:`).toString('base64')}` } });
    const found = await get(k, id);
    assert.equal(found.status, 200);
    assert.equal(((await found.json()) as { id: string }).id, id);
    const missing = await get(k, 'txn_00000000-0000-0000-0000-000000000000');
    assert.equal(missing.status, 404);
    const other = key('xnd_development_TxnById0009');
    assert.equal((await get(other, id)).status, 404, "another account's transaction");
    const forbidden = await get(key('xnd_development_TxnById0010', { invoices: 'write', transactions: 'none' }), id);
    assert.equal(forbidden.status, 403);
    assert.equal(((await forbidden.json()) as { error_code: string }).error_code, 'REQUEST_FORBIDDEN_ERROR');
  });

  it('Transactions: Read is probed by an id that cannot exist, never by a listing a currency could be refused for', async () => {
    const k = key('xnd_development_NoTxnMulti0011', { invoices: 'write', transactions: 'none' });
    for (const currency of ['IDR', 'PHP'] as const) h.sims.xendit.test.movement(k, { type: 'TOPUP', currency, amount: 10_000, cashflow: 'MONEY_IN' });
    const from = h.sims.xendit.test.requests().length;
    assert.deepEqual(await h.sims.xenditClient.checkSecretKey(k), ['read_transactions']);
    const asked = h.sims.xendit.test
      .requests()
      .slice(from)
      .filter((r) => r.path.startsWith('/transactions'))
      .map((r) => r.path);
    assert.deepEqual(asked, ['/transactions/txn_00000000-0000-0000-0000-000000000000']);
  });

  it('the business is read from transactions without a currency first, and a currency refused (400) is passed for the next', async () => {
    const k = key('xnd_development_OneCurrency0012');
    h.sims.xendit.test.movement(k, { type: 'TOPUP', currency: 'PHP', amount: 10_000, cashflow: 'MONEY_IN' });
    const userId = h.sims.xendit.test.account(k)?.userId;
    const transactionCalls = (from: number) =>
      h.sims.xendit.test
        .requests()
        .slice(from)
        .filter((r) => r.path === '/transactions').length;
    let from = h.sims.xendit.test.requests().length;
    assert.equal(await h.sims.xenditClient.businessOf(k), userId);
    assert.equal(transactionCalls(from), 1, 'one listing, no currency named');
    // Refused twice (standing for a listing Xendit will not answer as asked): the next currencies still tell it.
    h.sims.xendit.faults.failNext(2, 400, { method: 'GET', path: '/transactions' });
    from = h.sims.xendit.test.requests().length;
    assert.equal(await h.sims.xenditClient.businessOf(k), userId);
    assert.equal(transactionCalls(from), 3);
  });
});
