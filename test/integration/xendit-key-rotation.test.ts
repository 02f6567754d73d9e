import { strict as assert } from 'node:assert';
import request from 'supertest';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { addUser, clearAdminTables, page, signedIn, type Agent } from '../helpers/admin.js';
import { adminMerchantPath } from '../../app/paths.js';
import { reconcile } from '../../app/jobs/sync/reconcile.js';
import { enqueue } from '../../app/jobs/enqueue.js';
import { xenditKeyHint } from '../../app/store/merchant-model.js';

/**
 * A Xendit key rotated within the same business (a new key of the same account: it reaches the
 * same invoices) leaves a 'creating' checkout whose click died behind. What Xendit says under its
 * external id, asked with the new key, is Xendit's word: nothing made, the row is closed quietly
 * (no xenditKeyRetired alert: no invoice is payable anywhere). A key of another business cannot
 * say so: that still supersedes the checkout and tells the merchant.
 */
describeEachDatabase("Xendit key rotated within the same business: a dead click's checkout", ({ db }) => {
  let h: Harness;
  let ops: Agent;
  beforeEach(async () => {
    h = await createHarness(db());
    await clearAdminTables(db());
    await addUser(h.stores, 'ops@example.com', null);
    ops = await signedIn(h.app, 'ops@example.com');
  });
  afterEach(() => h.close());

  const oldKey = () => h.merchant.xenditSecretKey;
  /** The alerts about a retired key (saving keys also raises settingsChanged, as any change). */
  const alerts = async () =>
    (await h.stores.db.selectFrom('alerts').select('kind').where('merchant_id', '=', h.merchant.id).where('kind', '=', 'xenditKeyRetired').execute()).map(
      (a) => a.kind,
    );
  const rows = () =>
    h.stores.db
      .selectFrom('checkouts')
      .select(['status', 'closed_reason', 'external_id', 'xendit_invoice_id'])
      .where('merchant_id', '=', h.merchant.id)
      .execute();
  // Closed quietly: kept as expired without an invoice (a create Xendit processes late still finds its row), live no more.
  const closedQuietly = async () =>
    assert.deepEqual(
      (await rows()).map((r) => [r.status, r.xendit_invoice_id]),
      [['expired', null]],
    );
  const runReconcile = () =>
    reconcile({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) }, { minAgeMinutes: 5, batch: 10 });

  /** A click whose create Xendit answered 500 without making anything (or, `made`, made one and the answer was lost). */
  async function deadClick(made = false) {
    // The account has an invoice already, so Xendit tells which business a key is (its user_id).
    h.sims.xendit.createInvoice({ account: oldKey(), amount: 1000, currency: 'IDR' });
    const inv = h.addInvoice({});
    if (made) h.sims.xendit.faults.dropResponseAfterSave(1, { method: 'POST', path: '/v2/invoices' });
    else h.sims.xendit.faults.failNext(1, 500, { method: 'POST', path: '/v2/invoices' });
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(503);
    h.sims.xendit.faults.reset();
    assert.deepEqual(
      (await rows()).map((r) => r.status),
      ['creating'],
    );
    return inv;
  }

  /** The operator saves a new test key in the admin: the same business's, or (confirmed) another's. */
  async function newKey(sameBusiness: boolean) {
    const key = sameBusiness ? 'xnd_development_Rotated5566' : 'xnd_development_OtherBiz7788';
    const userId = sameBusiness ? h.sims.xendit.test.account(oldKey())!.userId : undefined;
    h.sims.xendit.registerAccount({ secretKey: key, callbackToken: h.merchant.callbackToken, businessName: 'x', ...(userId ? { userId } : {}) });
    if (!sameBusiness) h.sims.xendit.createInvoice({ account: key, amount: 1000, currency: 'IDR' });
    const url = adminMerchantPath(h.merchant.id, 'adminMerchantXendit');
    const form = await page(ops, url);
    await ops
      .post(url)
      .type('form')
      .send({ _csrf: form.csrf(), testKey: key, liveKey: '', callbackToken: '', ...(sameBusiness ? {} : { otherBusiness: 'confirmed' }) })
      .expect(303);
    const retire = (await h.stores.jobs.list()).filter((j) => j.kind === 'retire-xendit-key');
    assert.equal(retire.length, sameBusiness ? 0 : 1, 'a rotation within the business retires nothing');
  }

  it('reconcile: Xendit made nothing under its external id, so the row is closed without an alert', async () => {
    await deadClick();
    await newKey(true);
    h.clock.advance(6 * 60_000);
    const summary = await runReconcile();
    assert.deepEqual([summary.unknown, summary.failed], [0, 0], JSON.stringify(summary));
    await closedQuietly();
    assert.deepEqual(await alerts(), [], 'no false alarm about the old key');
  });

  it('its Xero invoice voided: the check closes the row without an alert', async () => {
    const inv = await deadClick();
    await newKey(true);
    h.clock.advance(60_000);
    h.sims.xero.test.invoices.void(inv.invoiceId);
    await enqueue(h.stores.jobs, 'check-invoice', { merchantId: h.merchant.id, xeroInvoiceId: inv.invoiceId, event: 'voided in Xero' }, h.clock());
    await h.worker.drain();
    await closedQuietly();
    assert.deepEqual(await alerts(), []);
  });

  it('Xendit did make it (the answer lost): the new key finds it, no alert, and the next click adopts it', async () => {
    const inv = await deadClick(true);
    const made = h.sims.xendit.listInvoices().at(-1)!;
    await newKey(true);
    h.clock.advance(6 * 60_000);
    const summary = await runReconcile();
    assert.equal(summary.pending, 1, JSON.stringify(summary));
    assert.deepEqual(await alerts(), []);
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    assert.equal(h.sims.xendit.listInvoices().at(-1)!.id, made.id, 'one invoice for the bill');
  });

  it("another business's key (a click under way when it was saved): its lookup says nothing of the old account, so the checkout is superseded and the merchant told", async () => {
    await deadClick();
    // As a click that read the merchant just before the save: its row outlives the retire job's pass.
    await h.stores.merchants.setXenditKeys(h.merchant.id, { test: 'xnd_development_OtherBiz7788' }, h.clock());
    h.sims.xendit.registerAccount({ secretKey: 'xnd_development_OtherBiz7788', callbackToken: h.merchant.callbackToken, businessName: 'y' });
    h.clock.advance(6 * 60_000);
    const summary = await runReconcile();
    assert.equal(summary.unknown, 1, JSON.stringify(summary));
    const [row] = await rows();
    assert.equal(row.status, 'superseded');
    assert.match(String(row.closed_reason), /keyRetiredUnconfirmed/);
    assert.deepEqual(await alerts(), ['xenditKeyRetired']);
  });

  it("another business's key saved in the admin: the retire job asks the old key, finds nothing made, and closes the row quietly", async () => {
    await deadClick();
    await newKey(false);
    h.clock.advance(60_000);
    await h.worker.drain();
    await closedQuietly();
    assert.deepEqual(await alerts(), []);
  });

  it('a rotation within the business moves the backend sales the old key found to the new key as well (not "replaced")', async () => {
    const old = h.merchant.xenditSecretKey;
    const row = { merchant_id: h.merchant.id, xero_contact_id: null, xero_invoice_id: null, last_error: null, xendit_mode: 'test' as const };
    await h.stores.db
      .insertInto('backend_sales')
      .values([
        { ...row, xendit_invoice_id: 'x-mine', xendit_key_hint: xenditKeyHint(old) },
        { ...row, xendit_invoice_id: 'x-other', xendit_key_hint: 'zzzz' },
      ])
      .execute();
    const next = 'xnd_development_SameBizRotated5566';
    await h.stores.merchants.setXenditKeys(h.merchant.id, { test: next }, h.clock(), undefined, undefined, [{ mode: 'test', key: old }]);
    const hints = await h.stores.db.selectFrom('backend_sales').select(['xendit_invoice_id', 'xendit_key_hint']).orderBy('xendit_invoice_id').execute();
    assert.deepEqual(hints, [
      { xendit_invoice_id: 'x-mine', xendit_key_hint: xenditKeyHint(next) },
      { xendit_invoice_id: 'x-other', xendit_key_hint: 'zzzz' },
    ]);
  });
});
