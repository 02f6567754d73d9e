import { strict as assert } from 'node:assert';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { PASSWORD, formFields, page, seedAdminCast, signedIn, versionOf } from '../helpers/admin.js';
import { hashPassword } from '../../app/admin/auth/passwords.js';
import { adminMerchantPath } from '../../app/paths.js';
import { XERO_LISTS_KEEP_MS } from '../../app/admin/merchants/xero-lists.js';

/**
 * The accounts page cost 5 Xero calls a load and the settings page 4, out of the admin's share of
 * the merchant's Xero day: a staff user reloading them could spend it, and no owner could save for
 * the rest of the day. Their Xero lists are kept a minute per merchant in the process.
 */
describeEachDatabase("admin: the accounts and settings pages' Xero lists, kept a minute", ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db(), { xeroLimits: {} });
    h.sims.xero.test.useClock(h.clock);
    await seedAdminCast(h, db());
    await h.stores.users.add(
      { email: 'staff@toko.test', passwordHash: await hashPassword(PASSWORD), role: 'merchant', merchantId: h.merchant.id, merchantRole: 'staff' },
      h.clock(),
    );
  });
  afterEach(async () => {
    h.sims.xero.test.useClock();
    await h.close();
  });

  const xeroCalls = () => h.sims.xero.test.countRequests({ pathPrefix: '/api.xro/' });
  const accountsPath = () => adminMerchantPath(h.merchant.id, 'adminMerchantAccounts');
  const settingsPath = () => adminMerchantPath(h.merchant.id, 'adminMerchantSettings');

  it('pages reloaded within the minute read Xero once; the owner saves against the lists as read; a minute later they are read again', async () => {
    const staff = await signedIn(h.app, 'staff@toko.test');
    h.sims.xero.test.clearRequests();
    for (let i = 0; i < 10; i++) {
      const { $ } = await page(staff, accountsPath());
      assert.ok($('#f-feeAccountCode option[value="404"]').length, `load ${i + 1} lists the expense accounts`);
      h.clock.advance(2_000);
    }
    assert.equal(xeroCalls(), 5, 'the organisation, bank accounts and three account classes, once for 10 loads');
    for (let i = 0; i < 10; i++) {
      await page(staff, settingsPath());
      h.clock.advance(2_000);
    }
    assert.equal(xeroCalls(), 7, 'the settings page adds only its tax rates and line accounts (the organisation and bank accounts are kept)');

    // The owner's save is checked against the lists as kept: no Xero call, and the page it returns to reads none.
    const owner = await signedIn(h.app, 'a@toko.test');
    const form = await page(owner, accountsPath());
    await owner
      .post(accountsPath())
      .type('form')
      .send({ ...formFields(form.$, 'form[action$="/accounts"]'), withholdingAccountCode: '404' })
      .expect(303);
    await page(owner, settingsPath());
    assert.equal(xeroCalls(), 7);
    assert.equal((await h.stores.merchants.byId(h.merchant.id))!.withholdingAccountCode, '404');

    h.clock.advance(XERO_LISTS_KEEP_MS);
    await page(staff, accountsPath());
    assert.equal(xeroCalls(), 12, 'read again past the minute');
    await page(staff, settingsPath());
    assert.equal(xeroCalls(), 14);
  });

  it('a bank account the gateway creates in Xero is shown at once; a change of the Xero connection reads the lists again', async () => {
    const owner = await signedIn(h.app, 'a@toko.test');
    const accounts = await page(owner, accountsPath());
    assert.equal(accounts.$('#f-clearing_USD').length, 0, 'no USD bank account yet');
    await owner.post(adminMerchantPath(h.merchant.id, 'adminMerchantXenditBank')).type('form').send({ _csrf: accounts.csrf(), currency: 'USD' }).expect(303);
    const after = await page(owner, accountsPath());
    assert.ok(
      after
        .$('option')
        .map((_, el) => after.$(el).text())
        .get()
        .some((t) => t.includes('Xendit USD')),
      'the new account is offered',
    );

    h.sims.xero.test.clearRequests();
    await page(owner, accountsPath());
    assert.equal(xeroCalls(), 0);
    await h.stores.xeroConnections.disconnect(h.merchant.id, 'test', h.clock());
    const shown = await owner.get(accountsPath());
    assert.ok(xeroCalls() > 0, `the disconnected connection is asked, not answered from memory (${shown.status})`);
  });

  it('an account archived in Xero within the minute may still be chosen from the kept list; the save says it was saved, and the next read no longer offers it', async () => {
    const owner = await signedIn(h.app, 'a@toko.test');
    const form = await page(owner, accountsPath());
    const salesOptions = form.$('#f-salesAccountCode option').length;
    const revenue = h.sims.xero.test.organisation(h.tenantId).accounts.find((a) => a.code === '200')!;
    h.sims.xero.test.archiveAccount(h.tenantId, revenue.accountId);
    await owner
      .post(accountsPath())
      .type('form')
      .send({ ...formFields(form.$, 'form[action$="/accounts"]'), salesAccountCode: '200' })
      .expect(303);
    h.clock.advance(XERO_LISTS_KEEP_MS);
    const later = cheerio.load((await owner.get(accountsPath()).expect(200)).text);
    assert.equal(later('#f-salesAccountCode option').length, salesOptions - 1, 'the archived account is no longer offered');
  });
  it('an account made in Xero within the minute, chosen by hand, is checked against Xero read again: saved, not refused', async () => {
    const owner = await signedIn(h.app, 'a@toko.test');
    const form = await page(owner, settingsPath());
    const savings = h.sims.xero.addAccount(h.tenantId, { code: '093', name: 'Savings', type: 'BANK' }).accountId;
    h.sims.xero.test.clearRequests();
    await owner
      .post(adminMerchantPath(h.merchant.id, 'adminMerchantSettlement'))
      .type('form')
      .send({ _csrf: form.csrf(), version: versionOf(form.$, 'form[action$="/settings/settlement"]'), settlement_IDR: savings })
      .expect(303);
    assert.deepEqual(await h.stores.settlements.accounts(h.merchant.id), { IDR: savings });
    assert.equal(xeroCalls(), 2, 'the organisation and bank accounts read again once');
    const shown = await page(owner, settingsPath());
    assert.equal(shown.$(`option[value="${savings}"]`).length, 1, 'and offered from then on');
  });
});
