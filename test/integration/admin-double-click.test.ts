import { strict as assert } from 'node:assert';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { atOnce, formFields, page, reauth, seedAdminCast, signedIn, type Agent } from '../helpers/admin.js';
import { adminMerchantPath, paths } from '../../app/paths.js';
import { INVITE_AGAIN_MS } from '../../app/admin/users/service.js';

/**
 * A careless user double-clicks Save: the browser sends the form twice with the version it was
 * shown with, and shows the answer to the second. That answer said "Someone saved this form …
 * Nothing was saved", though the first click had saved exactly what was sent.
 */
describeEachDatabase('admin: a double click of Save', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    await seedAdminCast(h, db());
  });
  afterEach(() => h.close());

  const settingsPath = () => adminMerchantPath(h.merchant.id, 'adminMerchantSettings');
  const accountsPath = () => adminMerchantPath(h.merchant.id, 'adminMerchantAccounts');
  const settlementPath = () => adminMerchantPath(h.merchant.id, 'adminMerchantSettlement');
  const stored = async () => (await h.stores.merchants.byId(h.merchant.id))!;
  const actions = async () => (await h.stores.audit.forMerchant(h.merchant.id)).map((e) => e.action);
  /** One form as shown, sent twice: each click's answer. */
  const twice = async (agent: Agent, url: string, body: Record<string, string | string[]>) => [
    await agent.post(url).type('form').send(body),
    await agent.post(url).type('form').send(body),
  ];

  it('the settings form: the second click is answered as saved (the same redirect), nothing written twice', async () => {
    const owner = await signedIn(h.app, 'a@toko.test');
    const { $ } = await page(owner, settingsPath());
    const [first, second] = await twice(owner, settingsPath(), { ...formFields($, 'form[action$="/settings"]'), overpayments: 'true', feePosting: 'off' });
    assert.equal(first.status, 303);
    assert.equal(second.status, 303, cheerio.load(second.text)('.errorsummary').text());
    assert.equal(second.headers.location, first.headers.location);
    const shown = await page(owner, second.headers.location);
    assert.equal(shown.$('p.notice[role=status]').length, 1, 'the saved notice');
    assert.equal((await stored()).overpayments, true);
    assert.deepEqual(await actions(), ['settings_changed'], 'one change recorded');
    // A form of that version with other values is still refused: it would undo the first save.
    const stale = await owner
      .post(settingsPath())
      .type('form')
      .send({ ...formFields($, 'form[action$="/settings"]'), overpayments: 'false', feePosting: 'off' })
      .expect(409);
    assert.match(cheerio.load(stale.text)('.errorsummary').text(), /Someone saved this form/);
  });

  it('the settings form clicked twice at the same moment: both answered as saved, one change', async () => {
    const owner = await signedIn(h.app, 'a@toko.test');
    const { $ } = await page(owner, settingsPath());
    const body = { ...formFields($, 'form[action$="/settings"]'), overpayments: 'true' };
    const answers = await atOnce(db(), h.merchant.id, [
      () => owner.post(settingsPath()).type('form').send(body),
      () => owner.post(settingsPath()).type('form').send(body),
    ]);
    assert.deepEqual(
      answers.map((r) => r.status),
      [303, 303],
    );
    assert.deepEqual(await actions(), ['settings_changed']);
  });

  it('the accounts form: the second click is answered as saved, nothing written or recorded twice', async () => {
    const owner = await signedIn(h.app, 'a@toko.test');
    const { $ } = await page(owner, accountsPath());
    const [first, second] = await twice(owner, accountsPath(), { ...formFields($, 'form[action$="/accounts"]'), withholdingAccountCode: '404' });
    assert.equal(first.status, 303);
    assert.equal(second.status, 303, cheerio.load(second.text)('.errorsummary').text());
    assert.equal(second.headers.location, `${accountsPath()}?saved=1`);
    assert.equal((await stored()).withholdingAccountCode, '404');
    assert.deepEqual(await actions(), ['accounts_changed']);
  });

  it('the settlement form: the second click is answered as saved, nothing written or recorded twice', async () => {
    const savings = h.sims.xero.addAccount(h.tenantId, { code: '093', name: 'Savings', type: 'BANK' }).accountId;
    const owner = await signedIn(h.app, 'a@toko.test');
    const { $ } = await page(owner, settingsPath());
    const [first, second] = await twice(owner, settlementPath(), { ...formFields($, 'form[action$="/settings/settlement"]'), settlement_IDR: savings });
    assert.equal(first.status, 303);
    assert.equal(second.status, 303, cheerio.load(second.text)('.errorsummary').text());
    assert.equal(second.headers.location, `${settingsPath()}?saved=1`);
    assert.deepEqual(await h.stores.settlements.accounts(h.merchant.id), { IDR: savings });
    assert.deepEqual(await actions(), ['settlement_accounts_changed']);
  });

  describe('the invite form', () => {
    /** The invite form sent as the users page shows it; the answer's status and the link it shows once. */
    const invite = async (agent: Agent, csrf: string, email: string, merchantRole = 'staff') => {
      const res = await agent.post(paths.adminUsers).type('form').send({ _csrf: csrf, email, merchantId: h.merchant.id, merchantRole });
      const $ = cheerio.load(res.text);
      return { status: res.status, link: $('[data-user-link] code').text(), error: $('#e-email').text() };
    };
    const opens = async (agent: Agent, url: string) => (await agent.get(new URL(url).pathname)).status;

    it('sent twice by the inviter: the second answer shows a fresh link that works, the first link no longer does; one user', async () => {
      const owner = await signedIn(h.app, 'a@toko.test');
      const { csrf } = await page(owner, paths.adminUsers);
      const first = await invite(owner, csrf(), 'new@toko.test');
      const second = await invite(owner, csrf(), 'new@toko.test');
      assert.equal(first.status, 200);
      assert.equal(second.status, 200, second.error);
      assert.ok(second.link.startsWith(h.baseUrl) && second.link !== first.link, second.link);
      const visitor = await signedIn(h.app, 'b@lain.test');
      assert.equal(await opens(visitor, first.link), 410, 'the earlier link stops working');
      assert.equal(await opens(visitor, second.link), 200);
      assert.equal((await h.stores.users.listForMerchant(h.merchant.id)).filter((u) => u.email === 'new@toko.test').length, 1);
      assert.deepEqual(await actions(), ['password_link_issued', 'user_invited']);
    });

    it('clicked twice at the same moment: both answered with a link, exactly one of which works (the one made after the other committed)', async () => {
      const owner = await signedIn(h.app, 'a@toko.test');
      const { csrf } = await page(owner, paths.adminUsers);
      const both = await Promise.all([invite(owner, csrf(), 'new@toko.test'), invite(owner, csrf(), 'new@toko.test')]);
      assert.deepEqual(
        both.map((r) => r.status),
        [200, 200],
      );
      const visitor = await signedIn(h.app, 'b@lain.test');
      const works = await Promise.all(both.map((r) => opens(visitor, r.link)));
      assert.deepEqual([...works].sort(), [200, 410], 'the second one (made after the first committed) replaced the first');
    });

    it('still "e-mail taken" for another inviter, another role, a user who set a password, or after a few minutes', async () => {
      const owner = await signedIn(h.app, 'a@toko.test');
      const { csrf } = await page(owner, paths.adminUsers);
      assert.equal((await invite(owner, csrf(), 'new@toko.test')).status, 200);
      assert.equal((await invite(owner, csrf(), 'new@toko.test', 'owner')).status, 422, 'another role');
      const ops = await signedIn(h.app, 'ops@example.com');
      const opsForm = await page(ops, paths.adminUsers);
      const byOps = await invite(ops, opsForm.csrf(), 'new@toko.test');
      assert.deepEqual([byOps.status, byOps.error], [422, 'A user with this e-mail already exists.']);
      const taken = await invite(owner, csrf(), 'a@toko.test');
      assert.equal(taken.status, 422, 'a user who set a password');
      h.clock.advance(INVITE_AGAIN_MS + 1000);
      await reauth(owner);
      const late = await invite(owner, csrf(), 'new@toko.test');
      assert.deepEqual([late.status, late.error], [422, 'A user with this e-mail already exists.']);
      assert.deepEqual(await actions(), ['user_invited']);
    });
  });
});
