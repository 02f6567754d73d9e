import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { addUser, clearAdminTables, page, signedIn, type Agent } from '../helpers/admin.js';
import { adminMerchantPath, disputeCallbackPathFor, paths, refundCallbackPathFor } from '../../app/paths.js';
import type { Merchant } from '../../app/store/merchants.js';

const TEST_KEY = 'xnd_development_BothKeysTest9911';
const LIVE_KEY = 'xnd_production_BothKeysLive4455';
const TOKEN = 'cb-token-both-keys';
const XERO = { clientId: 'both-keys-client', clientSecret: 'both-keys-secret' };

describeEachDatabase('admin: Xendit test and live keys, and the active mode', ({ db }) => {
  let h: Harness;
  let ops: Agent;
  let m: Merchant;
  let tenantId: string;
  beforeEach(async () => {
    h = await createHarness(db());
    await clearAdminTables(db());
    await addUser(h.stores, 'ops@example.com', null);
    await addUser(h.stores, 'a@toko.test', h.merchant.id);
    tenantId = h.sims.xero.addOrganisation({ ...XERO, name: 'Warung Dua Kunci', shortCode: '!TWO2', baseCurrency: 'IDR' }).tenantId;
    ops = await signedIn(h.app, 'ops@example.com');
    const form = await page(ops, paths.adminMerchantNew);
    const res = await ops
      .post(paths.adminMerchantNew)
      .type('form')
      .send({ _csrf: form.csrf(), ...XERO })
      .expect(303);
    m = (await h.stores.merchants.byId(/merchants\/([0-9a-f-]{36})\//.exec(res.headers.location)![1]))!;
    // Two Xendit accounts (test and live mode of one business), both calling back to this merchant.
    for (const secretKey of [TEST_KEY, LIVE_KEY])
      h.sims.xendit.registerAccount({
        secretKey,
        callbackToken: TOKEN,
        callbackUrl: `${h.baseUrl}/callbacks/xendit/${m.id}`,
        businessName: 'Warung Dua Kunci',
      });
  });
  afterEach(() => h.close());

  const xenditPage = () => adminMerchantPath(m.id, 'adminMerchantXendit');
  const modePath = () => adminMerchantPath(m.id, 'adminMerchantXenditMode');
  async function post(agent: Agent, url: string, body: Record<string, string>, status: number) {
    const form = await page(agent, xenditPage());
    return agent
      .post(url)
      .type('form')
      .send({ _csrf: form.csrf(), ...body })
      .expect(status);
  }
  const stored = async () => (await h.stores.merchants.byId(m.id))!;

  it('stores both keys, each checked with Xendit, shows only their last 4 characters, and keeps them encrypted', async () => {
    const res = await post(ops, xenditPage(), { testKey: TEST_KEY, liveKey: LIVE_KEY, callbackToken: TOKEN }, 303);
    assert.equal(res.headers.location, `${xenditPage()}?saved=1`);
    const s = await stored();
    assert.deepEqual(s.xenditKeys, { test: TEST_KEY, live: LIVE_KEY });
    assert.equal(s.mode, 'test', 'with nothing in use yet, the test key becomes active');
    assert.equal(s.xenditSecretKey, TEST_KEY);

    const { $, res: shown } = await page(ops, `${xenditPage()}?saved=1`);
    assert.equal($('#h-testKey').text(), 'Stored: …9911. Leave empty to keep it.');
    assert.equal($('#h-liveKey').text(), 'Stored: …4455. Leave empty to keep it.');
    assert.equal($('#active-mode').text(), 'Active: test mode.');
    assert.equal($('#f-mode-test').attr('checked'), 'checked');
    for (const secret of [TEST_KEY, LIVE_KEY, TOKEN]) assert.ok(!shown.text.includes(secret), 'a secret was shown back');
    const row = await db().selectFrom('merchants').selectAll().where('id', '=', m.id).executeTakeFirstOrThrow();
    for (const col of [row.xendit_test_key_enc, row.xendit_live_key_enc, row.xendit_secret_key_enc]) {
      assert.ok(col && !col.includes('BothKeys'), 'sealed at rest');
    }

    // An empty field keeps what is stored; a new test key replaces only the test key (and the one in use).
    h.sims.xendit.registerAccount({ secretKey: 'xnd_development_Replaced0001', callbackToken: TOKEN, businessName: 'x' });
    await post(ops, xenditPage(), { testKey: 'xnd_development_Replaced0001', liveKey: '', callbackToken: '' }, 303);
    const after = await stored();
    assert.deepEqual(after.xenditKeys, { test: 'xnd_development_Replaced0001', live: LIVE_KEY });
    assert.equal(after.xenditSecretKey, 'xnd_development_Replaced0001');
    assert.equal(after.callbackToken, TOKEN);
  });

  it('refuses a test key in the live field and a live key in the test field, with a clear message, saving nothing', async () => {
    const swapped = await post(ops, xenditPage(), { testKey: LIVE_KEY, liveKey: TEST_KEY, callbackToken: TOKEN }, 422);
    const $ = cheerio.load(swapped.text);
    assert.equal($('#e-liveKey').text(), 'This is a test key (xnd_development_…): paste it in the test key field. Live payments need the xnd_production_ key.');
    assert.equal($('#e-testKey').text(), 'This is a live key (xnd_production_…): paste it in the live key field.');
    assert.equal($('#f-liveKey').attr('aria-invalid'), 'true');
    assert.ok(!swapped.text.includes(LIVE_KEY) && !swapped.text.includes(TEST_KEY), 'what was typed is not echoed');
    const none = await post(ops, xenditPage(), { testKey: '', liveKey: '', callbackToken: '' }, 422);
    assert.equal(cheerio.load(none.text)('#e-testKey').text(), 'Enter at least one secret key.');
    assert.equal(cheerio.load(none.text)('#e-callbackToken').text(), 'Enter the callback verification token.');
    // A good test key and a live key Xendit refuses: nothing at all is stored.
    const refused = await post(ops, xenditPage(), { testKey: TEST_KEY, liveKey: 'xnd_production_Unknown000', callbackToken: TOKEN }, 422);
    assert.match(cheerio.load(refused.text)('#e-liveKey').text(), /Xendit did not accept this secret key/);
    const s = await stored();
    assert.deepEqual(s.xenditKeys, { test: '', live: '' });
    assert.equal(s.xenditSecretKey, '');
    assert.equal(s.callbackToken, '');
  });

  it('a key pasted with a line break, space or invisible character inside is refused saying so; spaces and line breaks at its ends are trimmed', async () => {
    const half = TEST_KEY.slice(0, 20);
    const rest = TEST_KEY.slice(20);
    const inside = [`${half}\n${rest}`, `${half}\r\n${rest}`, `${half} ${rest}`, `${half}\u00a0${rest}`, `${half}\u200b${rest}`, `${half}\u00ad${rest}`];
    for (const testKey of inside) {
      const res = await post(ops, xenditPage(), { testKey, liveKey: '', callbackToken: TOKEN }, 422);
      assert.equal(
        cheerio.load(res.text)('#e-testKey').text(),
        'This key has a space, a line break or an invisible character inside it (often added when a key is copied from an e-mail or a chat). Copy it again from Xendit (Settings → API keys) in one piece, or remove them.',
        JSON.stringify(testKey),
      );
    }
    const live = await post(ops, xenditPage(), { testKey: '', liveKey: `${LIVE_KEY.slice(0, 20)}\n${LIVE_KEY.slice(20)}`, callbackToken: TOKEN }, 422);
    assert.match(cheerio.load(live.text)('#e-liveKey').text(), /line break/);
    const id = await post(ops, `${xenditPage()}?lang=id`, { testKey: `${half}\n${rest}`, liveKey: '', callbackToken: TOKEN }, 422);
    assert.match(cheerio.load(id.text)('#e-testKey').text(), /pindah baris/);
    assert.deepEqual((await stored()).xenditKeys, { test: '', live: '' }, 'nothing stored');

    await post(ops, xenditPage(), { testKey: `  ${TEST_KEY}\r\n`, liveKey: '', callbackToken: TOKEN }, 303);
    assert.equal((await stored()).xenditKeys.test, TEST_KEY);
  });

  it('refuses a token or key with a NUL, space or control character as a field error, storing nothing; a good save is audited', async () => {
    for (const callbackToken of [`${TOKEN}\u0000`, 'cb token', 'cb\u0007token', 'tokén']) {
      const res = await post(ops, xenditPage(), { testKey: TEST_KEY, liveKey: '', callbackToken }, 422);
      assert.match(cheerio.load(res.text)('#e-callbackToken').text(), /letters, digits and punctuation only/);
    }
    for (const testKey of [`${TEST_KEY}\u0000`, 'xnd_development_a b', 'xnd_development_a\u0001']) {
      const res = await post(ops, xenditPage(), { testKey, liveKey: '', callbackToken: TOKEN }, 422);
      assert.match(cheerio.load(res.text)('#e-testKey').text(), /^This key has a space, a line break or an invisible character inside it/);
    }
    const s = await stored();
    assert.deepEqual([s.xenditKeys, s.callbackToken], [{ test: '', live: '' }, '']);
    assert.equal((await h.stores.audit.forMerchant(m.id)).length, 0);

    await post(ops, xenditPage(), { testKey: TEST_KEY, liveKey: '', callbackToken: TOKEN }, 303);
    const [entry] = await h.stores.audit.forMerchant(m.id);
    assert.equal(entry.action, 'xendit_keys_changed');
    assert.deepEqual(entry.detail, { testKey: '…9911', liveKey: null, callbackToken: '…keys' });
  });

  it('switches the active mode: /pay, the callback and the recording job then use the live key', async () => {
    await post(ops, xenditPage(), { testKey: TEST_KEY, liveKey: '', callbackToken: TOKEN }, 303);
    const noLive = await post(ops, modePath(), { mode: 'live' }, 422);
    assert.equal(cheerio.load(noLive.text)('#e-mode').text(), 'Store the live key first: there is no live key to switch to.');
    assert.equal((await stored()).mode, 'test');
    await post(ops, modePath(), { mode: 'bogus' }, 422);

    await post(ops, xenditPage(), { testKey: '', liveKey: LIVE_KEY, callbackToken: '' }, 303);
    assert.equal((await stored()).mode, 'test', 'storing the live key alone does not switch');
    const switched = await post(ops, modePath(), { mode: 'live' }, 303);
    assert.equal(switched.headers.location, `${xenditPage()}?switched=1`);
    const s = await stored();
    assert.equal(s.mode, 'live');
    assert.equal(s.xenditSecretKey, LIVE_KEY);
    const shown = await page(ops, switched.headers.location);
    assert.equal(shown.$('p.notice').text(), 'Switched: the live key is now used for new payment links, callbacks and jobs.');
    assert.equal(shown.$('#active-mode').text(), 'Active: live mode.');

    // Go live with a clearing account, then pay an invoice: it is made with the live key's account.
    const clearing = h.sims.xero.bankAccountFor(tenantId, 'Xendit');
    await h.stores.merchants.setAccounts(
      m.id,
      { clearingAccountId: clearing.accountId, clearingAccounts: {}, feeAccountCode: '404', salesAccountCode: null },
      h.clock(),
    );
    await h.stores.merchants.activateIfComplete(m.id, h.clock());
    const inv = h.sims.xero.addInvoice({
      tenantId,
      type: 'ACCREC',
      status: 'AUTHORISED',
      currency: 'IDR',
      invoiceNumber: 'INV-LIVE-1',
      contact: { name: 'Ani' },
      lineItems: [{ description: 'Teh', quantity: '1', unitAmount: '50000' }],
    });
    await request(h.app)
      .get(`/pay?invoiceNo=INV-LIVE-1&currency=IDR&amount=50000.00&shortCode=${encodeURIComponent('!TWO2')}`)
      .expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    const liveAccount = h.sims.xendit.test.account(LIVE_KEY)!;
    assert.equal(x.user_id, liveAccount.userId, 'the Xendit invoice belongs to the live account');
    const cb = await h.sims.xendit.pay(x.id);
    assert.equal(cb?.responseStatus, 200);
    await h.worker.drain();
    const p = (await h.stores.payments.byXenditInvoice(m.id, x.id))!;
    assert.equal(p.syncState, 'recorded', 'the job re-read the invoice at Xendit with the live key');
    assert.equal(h.sims.xero.invoicesOf(tenantId).find((i) => i.invoiceId === inv.invoiceId)!.status, 'PAID');
  });

  /** Both keys stored (the test key active), a clearing account: /pay works for the merchant. */
  async function payable() {
    await post(ops, xenditPage(), { testKey: TEST_KEY, liveKey: LIVE_KEY, callbackToken: TOKEN }, 303);
    const clearing = h.sims.xero.bankAccountFor(tenantId, 'Xendit');
    await h.stores.merchants.setAccounts(
      m.id,
      { clearingAccountId: clearing.accountId, clearingAccounts: {}, feeAccountCode: '404', salesAccountCode: null },
      h.clock(),
    );
    await h.stores.merchants.activateIfComplete(m.id, h.clock());
  }
  let invoices = 0;
  function invoice() {
    const invoiceNumber = `INV-KEY-${++invoices}`;
    const inv = h.sims.xero.addInvoice({
      tenantId,
      type: 'ACCREC',
      status: 'AUTHORISED',
      currency: 'IDR',
      invoiceNumber,
      contact: { name: 'Ani' },
      lineItems: [{ description: 'Teh', quantity: '1', unitAmount: '50000' }],
    });
    return { ...inv, invoiceNumber };
  }
  const click = (invoiceNumber: string, status = 303) =>
    request(h.app)
      .get(`/pay?invoiceNo=${invoiceNumber}&currency=IDR&amount=50000.00&shortCode=${encodeURIComponent('!TWO2')}`)
      .expect(status);
  const receipt = async (x: { success_redirect_url?: string }) => {
    const url = new URL(x.success_redirect_url!);
    return cheerio.load(
      (
        await request(h.app)
          .get(url.pathname + url.search)
          .expect(200)
      ).text,
    );
  };

  it('switching test → live expires the open checkouts with the test key: the next click gets a new checkout in the live account', async () => {
    await payable();
    const inv = invoice();
    const first = await click(inv.invoiceNumber);
    const old = h.sims.xendit.listInvoices().at(-1)!;
    assert.equal(first.headers.location, old.invoice_url);
    assert.equal(old.user_id, h.sims.xendit.test.account(TEST_KEY)!.userId);

    await post(ops, modePath(), { mode: 'live' }, 303);
    await h.worker.drain();
    assert.equal(h.sims.xendit.getInvoice(old.id)!.status, 'EXPIRED', 'expired at Xendit with the test key');
    const stale = await db().selectFrom('checkouts').selectAll().where('xendit_invoice_id', '=', old.id).executeTakeFirstOrThrow();
    assert.equal(stale.status, 'expired');

    // Within ten minutes of the old checkout's expiry, too: it was closed, not left open for the new key to retire.
    h.clock.advance(23 * 3600_000 + 55 * 60_000);
    const next = await click(inv.invoiceNumber);
    const made = h.sims.xendit.listInvoices().at(-1)!;
    assert.notEqual(made.id, old.id);
    assert.equal(next.headers.location, made.invoice_url);
    assert.equal(made.user_id, h.sims.xendit.test.account(LIVE_KEY)!.userId, 'made with the live key');
    await h.sims.xendit.pay(made.id);
    await h.worker.drain();
    assert.equal((await h.stores.payments.byXenditInvoice(m.id, made.id))!.syncState, 'recorded');
  });

  it('live → test: a live checkout paid before it could be expired is recorded in Xero with the live key, and its receipt is not a test one', async () => {
    await payable();
    await post(ops, modePath(), { mode: 'live' }, 303);
    const inv = invoice();
    await click(inv.invoiceNumber);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    assert.equal(x.user_id, h.sims.xendit.test.account(LIVE_KEY)!.userId);
    // Paid at Xendit as the mode is switched back; its callback comes afterwards.
    await h.sims.xendit.pay(x.id, { sendCallback: false });
    await post(ops, modePath(), { mode: 'test' }, 303);
    await request(h.app)
      .post(`/callbacks/xendit/${m.id}`)
      .set('x-callback-token', TOKEN)
      .send({ id: x.id, external_id: x.external_id, status: 'PAID' })
      .expect(200);
    await h.worker.drain();

    const p = (await h.stores.payments.byXenditInvoice(m.id, x.id))!;
    assert.equal(p.syncState, 'recorded', 'read with the live key, which can see it');
    assert.equal(h.sims.xero.invoicesOf(tenantId).find((i) => i.invoiceId === inv.invoiceId)!.status, 'PAID');
    const $ = await receipt(x);
    assert.equal($('#test-mode').length, 0, 'a live payment: no test-mode banner, whatever key is active now');
    assert.equal((await db().selectFrom('jobs').select('state').where('state', '=', 'needs_review').execute()).length, 0, 'nothing left for a person');
  });

  it('test → live: a test checkout paid before it could be expired stays a test payment (kept out of Xero), with the test banner', async () => {
    await payable();
    const inv = invoice();
    await click(inv.invoiceNumber);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    await h.sims.xendit.pay(x.id, { sendCallback: false });
    await post(ops, modePath(), { mode: 'live' }, 303);
    await h.worker.drain();
    const p = (await h.stores.payments.byXenditInvoice(m.id, x.id))!;
    assert.equal(p.syncState, 'test_mode', 'found paid with the test key when expiring it: test money, not booked');
    assert.equal(h.sims.xero.invoicesOf(tenantId).find((i) => i.invoiceId === inv.invoiceId)!.status, 'AUTHORISED');
    assert.equal((await receipt(x))('#test-mode').length, 1);
  });

  it("a checkout kept 'creating' (Xendit's answer lost) when the mode switches: once its click is surely done, what the old key made is expired", async () => {
    await payable();
    const inv = invoice();
    h.sims.xendit.faults.dropResponseAfterSave(1, { method: 'POST', path: '/v2/invoices' });
    await click(inv.invoiceNumber, 503);
    const made = h.sims.xendit.listInvoices().at(-1)!;
    await post(ops, modePath(), { mode: 'live' }, 303);
    await h.worker.drain();
    assert.equal(h.sims.xendit.getInvoice(made.id)!.status, 'PENDING', 'its click may still be creating it: left for now');
    h.clock.advance(31_000);
    await h.worker.drain();
    assert.equal(h.sims.xendit.getInvoice(made.id)!.status, 'EXPIRED', 'looked up by its external id with the test key, and expired');
    const row = await db().selectFrom('checkouts').selectAll().where('external_id', '=', made.external_id).executeTakeFirstOrThrow();
    assert.deepEqual([row.status, row.xendit_invoice_id], ['expired', made.id]);
    await click(inv.invoiceNumber);
    assert.equal(h.sims.xendit.listInvoices().at(-1)!.user_id, h.sims.xendit.test.account(LIVE_KEY)!.userId);
  });

  it('a key rotated within the same Xendit business leaves open checkouts open: the new key reaches the same invoices', async () => {
    await payable();
    const inv = invoice();
    await click(inv.invoiceNumber);
    const open = h.sims.xendit.listInvoices().at(-1)!;
    const rotated = 'xnd_development_Rotated5566';
    h.sims.xendit.registerAccount({ secretKey: rotated, callbackToken: TOKEN, businessName: 'x', userId: h.sims.xendit.test.account(TEST_KEY)!.userId });
    await post(ops, xenditPage(), { testKey: rotated, liveKey: '', callbackToken: '' }, 303);
    await h.worker.drain();
    const row = await db().selectFrom('checkouts').selectAll().where('xendit_invoice_id', '=', open.id).executeTakeFirstOrThrow();
    assert.equal(row.status, 'open');
    assert.equal(h.sims.xendit.listInvoices().find((x) => x.id === open.id)!.status, 'PENDING');
    await click(inv.invoiceNumber);
    assert.equal(h.sims.xendit.listInvoices().length, 1, 'the next click reuses it');
  });

  it("another business's key: a checkout the old key can no longer expire is superseded with why, an alert names the key, and the next click makes a new one", async () => {
    await payable();
    const inv = invoice();
    await click(inv.invoiceNumber);
    const old = h.sims.xendit.listInvoices().at(-1)!;
    const other = 'xnd_development_OtherBiz7788';
    h.sims.xendit.registerAccount({ secretKey: other, callbackToken: TOKEN, businessName: 'Another business' });
    // Both accounts must have an invoice for Xendit to tell which business a key is.
    h.sims.xendit.createInvoice({ account: other, amount: 1000, currency: 'IDR' });
    const warned = await post(ops, xenditPage(), { testKey: other, liveKey: '', callbackToken: '' }, 422);
    assert.match(cheerio.load(warned.text)('#e-testKey').text(), /different Xendit business/, 'warned first');
    await post(ops, xenditPage(), { testKey: other, liveKey: '', callbackToken: '', otherBusiness: 'confirmed' }, 303);
    // The old key lost its invoice permissions before the worker used it (403, as a revoked key's 401).
    h.sims.xendit.test.updateAccount(TEST_KEY, { permissions: { invoices: 'none', transactions: 'none' } });
    await h.worker.drain();

    const stale = await db().selectFrom('checkouts').selectAll().where('xendit_invoice_id', '=', old.id).executeTakeFirstOrThrow();
    assert.equal(stale.status, 'superseded');
    assert.match(String(stale.closed_reason), /keyRetiredUnconfirmed/);
    const alerts = await db().selectFrom('alerts').selectAll().where('merchant_id', '=', m.id).execute();
    assert.ok(
      alerts.some((a) => /…9911/.test(JSON.stringify(a.message))),
      'the merchant is told which key left an invoice payable',
    );
    await click(inv.invoiceNumber);
    const made = h.sims.xendit.listInvoices().at(-1)!;
    assert.notEqual(made.id, old.id);
    assert.equal(made.user_id, h.sims.xendit.test.account(other)!.userId);
  });

  it('a new key saved after the stored one was revoked at Xendit: saved, and open checkouts retired as for another business (the business cannot be compared)', async () => {
    await payable();
    const inv = invoice();
    await click(inv.invoiceNumber);
    const old = h.sims.xendit.listInvoices().at(-1)!;
    // The merchant deleted the old key in Xendit's dashboard first, then made a new one.
    h.sims.xendit.test.revokeKey(TEST_KEY);
    const fresh = 'xnd_development_AfterRevoke3344';
    h.sims.xendit.registerAccount({ secretKey: fresh, callbackToken: TOKEN, businessName: 'x', userId: h.sims.xendit.test.account(TEST_KEY)!.userId });
    await post(ops, xenditPage(), { testKey: fresh, liveKey: '', callbackToken: '' }, 303);
    assert.equal((await stored()).xenditSecretKey, fresh);
    const row = await db().selectFrom('checkouts').selectAll().where('xendit_invoice_id', '=', old.id).executeTakeFirstOrThrow();
    assert.equal(row.status, 'superseded', 'not reused: which business the new key is of is unknown');
    assert.equal(await h.count('jobs'), 1, 'its retire-xendit-key job queued');
    await h.worker.drain();
    // The revoked key cannot expire it: kept superseded with why, and the merchant told which key's account holds it.
    const after = await db().selectFrom('checkouts').selectAll().where('xendit_invoice_id', '=', old.id).executeTakeFirstOrThrow();
    assert.match(String(after.closed_reason), /keyRetiredUnconfirmed/);
    const alerts = await db().selectFrom('alerts').selectAll().where('merchant_id', '=', m.id).execute();
    assert.ok(alerts.some((a) => /…9911/.test(JSON.stringify(a.message))));
    await click(inv.invoiceNumber);
    const made = h.sims.xendit.listInvoices().at(-1)!;
    assert.notEqual(made.id, old.id, 'the next click makes a new checkout with the new key');
  });

  it("another business's key: a checkout paid in the old key's account before it could be expired goes to review naming that key", async () => {
    await payable();
    const inv = invoice();
    await click(inv.invoiceNumber);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    await h.sims.xendit.pay(x.id, { sendCallback: false });
    const other = 'xnd_development_OtherBiz7788';
    h.sims.xendit.registerAccount({ secretKey: other, callbackToken: TOKEN, businessName: 'Another business' });
    h.sims.xendit.createInvoice({ account: other, amount: 1000, currency: 'IDR' });
    await post(ops, xenditPage(), { testKey: other, liveKey: '', callbackToken: '', otherBusiness: 'confirmed' }, 303);
    await h.worker.drain();

    const job = (await db().selectFrom('jobs').selectAll().where('kind', '=', 'record-payment').executeTakeFirstOrThrow())!;
    assert.equal(job.state, 'needs_review');
    assert.match(
      String(job.last_error),
      new RegExp(`Xendit has no invoice ${x.id} under this merchant's keys: .*made with the test key …9911, since replaced`),
    );
    assert.equal((await db().selectFrom('checkouts').select('status').where('xendit_invoice_id', '=', x.id).executeTakeFirstOrThrow()).status, 'paid');
  });

  it("answers 403 without the CSRF token and 404 to another merchant's user", async () => {
    await post(ops, xenditPage(), { testKey: TEST_KEY, liveKey: LIVE_KEY, callbackToken: TOKEN }, 303);
    await ops.post(modePath()).type('form').send({ mode: 'live' }).expect(403);
    assert.equal((await stored()).mode, 'test');
    const merchantUser = await signedIn(h.app, 'a@toko.test');
    const own = await page(merchantUser, adminMerchantPath(h.merchant.id, 'adminMerchantXendit'));
    assert.equal(own.$('#refund-webhook-url').val(), h.baseUrl + refundCallbackPathFor(h.merchant.id), 'the URLs to paste at Xendit');
    assert.equal(own.$('#dispute-webhook-url').val(), h.baseUrl + disputeCallbackPathFor(h.merchant.id));
    await merchantUser.post(modePath()).type('form').send({ _csrf: own.csrf(), mode: 'live' }).expect(404);
    await merchantUser.post(xenditPage()).type('form').send({ _csrf: own.csrf(), testKey: TEST_KEY }).expect(404);
    assert.equal((await stored()).mode, 'test');
    // Their own merchant: allowed.
    await merchantUser.post(adminMerchantPath(h.merchant.id, 'adminMerchantXenditMode')).type('form').send({ _csrf: own.csrf(), mode: 'test' }).expect(303);
  });

  it('speaks Indonesian with ?lang=id', async () => {
    const { $ } = await page(ops, `${xenditPage()}?lang=id`);
    assert.equal($('html').attr('lang'), 'id');
    assert.equal($('label[for=f-testKey]').text(), 'Secret key uji coba (xnd_development_…)');
    assert.equal($('label[for=f-liveKey]').text(), 'Secret key live (xnd_production_…)');
    assert.equal($('#mode-heading').text(), 'Key yang dipakai');
    const swapped = await post(ops, xenditPage(), { testKey: '', liveKey: TEST_KEY, callbackToken: TOKEN }, 422);
    assert.equal(
      cheerio.load(swapped.text)('#e-liveKey').text(),
      'Ini key uji coba (xnd_development_…): tempel di kolom key uji coba. Pembayaran live memerlukan key xnd_production_.',
    );
  });
});
