import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { addUser, clearAdminTables, csrfOf, page, PASSWORD, signedIn, type Agent } from '../helpers/admin.js';
import { adminMerchantPath, paths } from '../../app/paths.js';
import { STEP_UP_MS } from '../../app/admin/web.js';
import { schedule } from '../../app/jobs/schedules.js';
import { disableUser } from '../../app/admin/users/service.js';
import { OperatorsOnly } from '../../app/errors.js';

/** Issue 15 items 8 and 9: roles, invites, resets, disabling, one's own password, the step-up and the audit log. */
describeEachDatabase('admin: users, roles, step-up and the audit log', ({ db }) => {
  let h: Harness;
  let ops: Agent;
  beforeEach(async () => {
    h = await createHarness(db());
    await clearAdminTables(db());
    await addUser(h.stores, 'ops@example.com', null);
    await addUser(h.stores, 'owner@toko.test', h.merchant.id);
    await h.stores.users.add(
      {
        email: 'staff@toko.test',
        passwordHash: (await h.stores.users.byEmail('owner@toko.test'))!.passwordHash,
        role: 'merchant',
        merchantId: h.merchant.id,
        merchantRole: 'staff',
      },
      h.clock(),
    );
    ops = await signedIn(h.app, 'ops@example.com');
  });
  afterEach(() => h.close());

  const xendit = () => adminMerchantPath(h.merchant.id, 'adminMerchantXendit');
  const userId = async (email: string) => (await h.stores.users.byEmail(email))!.id;
  const postForm = async (agent: Agent, from: string, url: string, body: Record<string, string>) => {
    const form = await page(agent, from);
    return agent
      .post(url)
      .type('form')
      .send({ _csrf: form.csrf(), ...body });
  };

  it('staff read but cannot change keys, mode, accounts, settings, the Xero connection or users (403 page, nothing written)', async () => {
    const staff = await signedIn(h.app, 'staff@toko.test');
    await page(staff, xendit());
    await page(staff, adminMerchantPath(h.merchant.id, 'adminMerchantSettings'));
    const before = await h.stores.merchants.byId(h.merchant.id);
    for (const [url, body] of [
      [xendit(), { callbackToken: 'stolen-token-0000' }],
      [adminMerchantPath(h.merchant.id, 'adminMerchantXenditMode'), { mode: 'test' }],
      [adminMerchantPath(h.merchant.id, 'adminMerchantAccounts'), { clearingAccountId: 'evil', feeAccountCode: '404' }],
      [adminMerchantPath(h.merchant.id, 'adminMerchantXenditBank'), { currency: 'IDR' }],
      [adminMerchantPath(h.merchant.id, 'adminMerchantSettings'), { overpayments: 'on' }],
    ] as const) {
      const res = await postForm(staff, xendit(), url, body);
      assert.equal(res.status, 403, url);
      assert.match(cheerio.load(res.text)('h1').text(), /Only owners/);
    }
    assert.equal((await postForm(staff, xendit(), paths.adminUsers, { email: 'x@toko.test', merchantId: h.merchant.id, merchantRole: 'owner' })).status, 404);
    assert.deepEqual(await h.stores.merchants.byId(h.merchant.id), before);
    // The owner may.
    const owner = await signedIn(h.app, 'owner@toko.test');
    assert.equal((await postForm(owner, xendit(), xendit(), { callbackToken: 'new-token-1234' })).status, 303);
  });

  it('disabling a user signs them out at once and keeps them out; nobody disables themselves', async () => {
    const staff = await signedIn(h.app, 'staff@toko.test');
    await page(staff, paths.admin);
    const owner = await signedIn(h.app, 'owner@toko.test');
    await postForm(owner, paths.adminUsers, paths.adminUserDisable.replace(':userId', await userId('staff@toko.test')), { confirm: 'yes' }).then((r) =>
      assert.equal(r.status, 200),
    );
    await staff.get(paths.admin).expect(303).expect('location', paths.adminLogin);
    const again = request.agent(h.app);
    const login = await again.get(paths.adminLogin);
    await again
      .post(paths.adminLogin)
      .type('form')
      .send({ _csrf: csrfOf(login.text), email: 'staff@toko.test', password: PASSWORD })
      .expect(401);
    const self = await postForm(owner, paths.adminUsers, paths.adminUserDisable.replace(':userId', await userId('owner@toko.test')), { confirm: 'yes' });
    assert.equal(self.status, 403);
    // An owner cannot reach another merchant's users or operators.
    const opsDisable = await postForm(owner, paths.adminUsers, paths.adminUserDisable.replace(':userId', await userId('ops@example.com')), { confirm: 'yes' });
    assert.equal(opsDisable.status, 404);
    const unconfirmed = await postForm(ops, paths.adminUsers, paths.adminUserDisable.replace(':userId', await userId('owner@toko.test')), {});
    assert.equal(unconfirmed.status, 422, 'disabling needs the confirmation');
  });

  it("an owner's account is disabled only by an operator: a co-owner who has signed in shows no button and is refused with a 403 page; an invited co-owner who never did, and staff, are disabled by owners", async () => {
    await addUser(h.stores, 'owner2@toko.test', h.merchant.id);
    await h.stores.users.add({ email: 'new-owner@toko.test', passwordHash: '', role: 'merchant', merchantId: h.merchant.id, merchantRole: 'owner' }, h.clock());
    const owner = await signedIn(h.app, 'owner@toko.test');
    const coOwner = await signedIn(h.app, 'owner2@toko.test');
    const buttons = async (agent: Agent) => {
      const users = cheerio.load((await agent.get(paths.adminUsers).expect(200)).text);
      return (email: string) => users(`[data-user="${email}"] form[action$="/disable"]`).length;
    };
    const asOwner = await buttons(owner);
    assert.deepEqual([asOwner('owner2@toko.test'), asOwner('new-owner@toko.test'), asOwner('staff@toko.test')], [0, 1, 1]);
    const disable = (agent: Agent, email: string) =>
      userId(email).then((id) => postForm(agent, paths.adminUsers, paths.adminUserDisable.replace(':userId', id), { confirm: 'yes' }));
    const refused = await disable(owner, 'owner2@toko.test');
    assert.equal(refused.status, 403);
    assert.match(cheerio.load(refused.text)('h1').text(), /operator/i);
    assert.equal((await h.stores.users.byEmail('owner2@toko.test'))!.disabledAt, null, 'a co-owner who signed in is not disabled');
    // A pending invitation (an owner invited by mistake, or to the wrong address) is revoked by the owner: the link stops working.
    assert.equal((await disable(owner, 'new-owner@toko.test')).status, 200);
    assert.ok((await h.stores.users.byEmail('new-owner@toko.test'))!.disabledAt, 'the invited co-owner is disabled');
    await page(coOwner, paths.admin);
    // An operator sees the button and disables an owner; an owner still disables staff.
    const asOps = await buttons(ops);
    assert.deepEqual([asOps('owner2@toko.test'), asOps('owner@toko.test')], [1, 1]);
    assert.equal((await disable(ops, 'owner2@toko.test')).status, 200);
    await coOwner.get(paths.admin).expect(303).expect('location', paths.adminLogin);
    assert.equal((await disable(owner, 'staff@toko.test')).status, 200);
  });

  it("an owner revokes only their own merchant's pending invitations: another merchant's invited owner is not found (404), nothing changes", async () => {
    const other = await h.stores.merchants.add({
      name: 'Warung Lain',
      shortCode: '!OTHER2',
      xero: { clientId: 'other', clientSecret: 'other-secret', tenantId: '' },
      xenditSecretKey: 'xnd_development_other',
      callbackToken: 'other-token',
      clearingAccountId: 'acc-other',
    });
    const elsewhere = await h.stores.users.add(
      { email: 'invited@lain.test', passwordHash: '', role: 'merchant', merchantId: other.id, merchantRole: 'owner' },
      h.clock(),
    );
    const owner = await signedIn(h.app, 'owner@toko.test');
    const res = await postForm(owner, paths.adminUsers, paths.adminUserDisable.replace(':userId', elsewhere.id), { confirm: 'yes' });
    assert.equal(res.status, 404);
    assert.equal((await h.stores.users.byEmail('invited@lain.test'))!.disabledAt, null);
  });

  it('an invited co-owner who sets their password while an owner revokes the invitation is not disabled: the owner is refused (403)', async () => {
    const invited = await h.stores.users.add(
      { email: 'late@toko.test', passwordHash: '', role: 'merchant', merchantId: h.merchant.id, merchantRole: 'owner' },
      h.clock(),
    );
    const owner = (await h.stores.users.byEmail('owner@toko.test'))!;
    // The owner's page was read while the invitation was pending; the password is set before the disable is written.
    const stale = { ...invited };
    await h.stores.users.setPassword(invited.id, (await h.stores.users.byEmail('owner@toko.test'))!.passwordHash, null);
    const users = { ...h.stores.users, byId: async (id: string) => (id === invited.id ? stale : h.stores.users.byId(id)) };
    await assert.rejects(disableUser({ ...h.deps, publicUrl: h.deps.config.publicUrl, stores: { ...h.stores, users } }, owner, invited.id), OperatorsOnly);
    assert.equal((await h.stores.users.byEmail('late@toko.test'))!.disabledAt, null);
  });

  it('a password-reset link works once, ends the old sessions, and the old password stops working', async () => {
    const owner = await signedIn(h.app, 'owner@toko.test');
    const res = await postForm(ops, paths.adminUsers, paths.adminUserPasswordLink.replace(':userId', await userId('owner@toko.test')), {});
    const link = new URL(cheerio.load(res.text)('[data-user-link] code').text()).pathname;
    const browser = request.agent(h.app);
    const form = await browser.get(link).expect(200);
    await browser
      .post(link)
      .type('form')
      .send({ _csrf: csrfOf(form.text), password: 'another long password', confirm: 'another long password' })
      .expect(303);
    await owner.get(paths.admin).expect(303).expect('location', paths.adminLogin);
    await signedIn(h.app, 'owner@toko.test', 'another long password');
    await request(h.app).get(link).expect(410);
    h.clock.advance(25 * 3_600_000);
    const late = await postForm(
      await signedIn(h.app, 'ops@example.com'),
      paths.adminUsers,
      paths.adminUserPasswordLink.replace(':userId', await userId('staff@toko.test')),
      {},
    );
    const lateLink = new URL(cheerio.load(late.text)('[data-user-link] code').text()).pathname;
    h.clock.advance(24 * 3_600_000 + 1);
    await request(h.app).get(lateLink).expect(410);
  });

  it("nobody takes over a peer's account with a reset link: an owner's password is reset by an operator, another operator's from the server; invites and staff resets still work", async () => {
    await addUser(h.stores, 'owner2@toko.test', h.merchant.id);
    await addUser(h.stores, 'ops2@example.com', null);
    await h.stores.users.add({ email: 'new-owner@toko.test', passwordHash: '', role: 'merchant', merchantId: h.merchant.id, merchantRole: 'owner' }, h.clock());
    const owner = await signedIn(h.app, 'owner@toko.test');
    const linkFor = async (agent: Agent, email: string) => {
      const res = await postForm(agent, paths.adminUsers, paths.adminUserPasswordLink.replace(':userId', await userId(email)), {});
      return { status: res.status, link: cheerio.load(res.text)('[data-user-link] code').text() };
    };
    const users = cheerio.load((await owner.get(paths.adminUsers).expect(200)).text);
    const button = (email: string) => users(`[data-user="${email}"] form[action$="/password-link"]`).length;
    assert.deepEqual([button('owner2@toko.test'), button('staff@toko.test'), button('new-owner@toko.test')], [0, 1, 1]);
    const refused = await linkFor(owner, 'owner2@toko.test');
    assert.deepEqual(refused, { status: 403, link: '' }, "an owner gets no link to a co-owner's account");
    assert.match((await linkFor(owner, 'staff@toko.test')).link, /^http/, "a staff user's reset");
    assert.match((await linkFor(owner, 'new-owner@toko.test')).link, /^http/, 'a co-owner who never set a password: a new invite');
    assert.match((await linkFor(ops, 'owner2@toko.test')).link, /^http/, "an operator resets an owner's password");
    assert.deepEqual(await linkFor(ops, 'ops2@example.com'), { status: 403, link: '' }, "another operator's: from the server");
    await signedIn(h.app, 'owner2@toko.test');
    await signedIn(h.app, 'ops2@example.com');
  });

  it("changing one's own password needs the current one and signs out the other sessions", async () => {
    const phone = await signedIn(h.app, 'owner@toko.test');
    const laptop = await signedIn(h.app, 'owner@toko.test');
    const wrong = await postForm(laptop, paths.adminAccount, paths.adminAccount, {
      current: 'nope',
      password: 'a brand new password',
      confirm: 'a brand new password',
    });
    assert.equal(wrong.status, 422);
    const ok = await postForm(laptop, paths.adminAccount, paths.adminAccount, {
      current: PASSWORD,
      password: 'a brand new password',
      confirm: 'a brand new password',
    });
    assert.equal(cheerio.load(ok.text)('[data-changed]').length, 1);
    await page(laptop, paths.admin);
    await phone.get(paths.admin).expect(303).expect('location', paths.adminLogin);
  });

  it('the step-up: a change of where money goes needs the password again after a few minutes, then goes through', async () => {
    const owner = await signedIn(h.app, 'owner@toko.test');
    h.clock.advance(STEP_UP_MS + 1000);
    const asked = await postForm(owner, xendit(), xendit(), { callbackToken: 'new-token-5678' })
      .then((r) => r)
      .catch((e) => e);
    assert.equal(asked.status, 401);
    const $ = cheerio.load(asked.text);
    assert.equal($('form[action="/admin/reauth"] input[name=password]').length, 1);
    assert.equal((await h.stores.merchants.byId(h.merchant.id))!.callbackToken, h.merchant.callbackToken, 'nothing changed');
    const bad = await owner
      .post(paths.adminReauth)
      .type('form')
      .send({ _csrf: csrfOf(asked.text), password: 'wrong', back: xendit() });
    assert.equal(bad.status, 401);
    await owner
      .post(paths.adminReauth)
      .type('form')
      .send({ _csrf: csrfOf(asked.text), password: PASSWORD, back: 'https://evil.example/admin' })
      .expect(303)
      .expect('location', paths.admin);
    assert.equal((await postForm(owner, xendit(), xendit(), { callbackToken: 'new-token-5678' })).status, 303);
    assert.equal((await h.stores.merchants.byId(h.merchant.id))!.callbackToken, 'new-token-5678');
  });

  it('after the step-up the user is back on the page of the form, without any Referer (helmet sends no-referrer)', async () => {
    const owner = await signedIn(h.app, 'owner@toko.test');
    h.clock.advance(STEP_UP_MS + 1000);
    const cases: [from: string, url: string, body: Record<string, string>][] = [
      [xendit(), xendit(), { callbackToken: 'new-token-5678' }],
      [xendit(), adminMerchantPath(h.merchant.id, 'adminMerchantXenditMode'), { mode: 'test' }],
      [adminMerchantPath(h.merchant.id, 'adminMerchantSettings'), adminMerchantPath(h.merchant.id, 'adminMerchantSettlement'), {}],
      [paths.adminUsers, paths.adminUserDisable.replace(':userId', await userId('staff@toko.test')), { confirm: 'yes' }],
    ];
    for (const [from, url, body] of cases) {
      const asked = await postForm(owner, from, url, body);
      assert.equal(asked.status, 401, url);
      const back = cheerio.load(asked.text)('form[action="/admin/reauth"] input[name=back]').val();
      assert.equal(back, from, url);
    }
    const asked = await postForm(owner, paths.adminUsers, paths.adminUserDisable.replace(':userId', await userId('staff@toko.test')), { confirm: 'yes' });
    await owner
      .post(paths.adminReauth)
      .type('form')
      .send({ _csrf: csrfOf(asked.text), password: PASSWORD, back: cheerio.load(asked.text)('input[name=back]').val() as string })
      .expect(303)
      .expect('location', paths.adminUsers);
  });

  it("an owner inviting another merchant's user (or an operator) adds nobody, is told plainly, and that address's owner is e-mailed who tried, once", async () => {
    const other = await h.stores.merchants.add({
      name: 'Warung Lain',
      shortCode: '!OTHER1',
      xero: { clientId: 'other', clientSecret: 'other-secret', tenantId: '' },
      xenditSecretKey: 'xnd_development_other',
      callbackToken: 'other-token',
      clearingAccountId: 'acc-other',
    });
    await addUser(h.stores, 'b@lain.test', other.id);
    const owner = await signedIn(h.app, 'owner@toko.test');
    const invite = async (agent: Agent, email: string) => {
      const res = await postForm(agent, paths.adminUsers, paths.adminUsers, { email, merchantId: h.merchant.id, merchantRole: 'staff' });
      assert.equal(res.status, 422, email);
      return cheerio.load(res.text)('#e-email').text();
    };
    const alerts = async () =>
      (await db().selectFrom('alerts').select(['merchant_id', 'kind', 'message']).where('kind', '=', 'inviteElsewhere').orderBy('id').execute()).map(
        (a) => a.merchant_id,
      );
    const elsewhere = /^This address cannot be added to this merchant: it already has an account on this gateway/;
    assert.match(await invite(owner, 'B@Lain.test'), elsewhere);
    assert.match(await invite(owner, 'b@lain.test'), elsewhere, 'asked again');
    assert.match(await invite(owner, 'ops@example.com'), elsewhere);
    assert.deepEqual(await alerts(), [other.id, null], 'one alert per address and merchant: the other merchant, and the operators');
    const b = (await h.stores.users.byEmail('b@lain.test'))!;
    assert.deepEqual([b.merchantId, b.merchantRole, b.hasPassword], [other.id, 'owner', true], 'that user is unchanged');
    assert.ok(!(await h.stores.audit.forMerchant(h.merchant.id)).some((e) => e.action === 'user_invited'));

    // One's own merchant's user: the message as before, nobody told. Operators see every user: the same.
    assert.equal(await invite(owner, 'staff@toko.test'), 'A user with this e-mail already exists.');
    assert.equal(await invite(ops, 'b@lain.test'), 'A user with this e-mail already exists.');
    assert.equal((await alerts()).length, 2);

    h.clock.advance(5 * 60_000);
    await schedule(h, 'send-alerts', 5);
    await h.worker.drain();
    const mails = await h.stores.alerts.outbox(10);
    const toB = mails.find((m) => m.recipient === 'b@lain.test');
    assert.ok(toB, mails.map((m) => m.recipient).join());
    assert.match(toB.body, /An owner of the merchant "Toko Test" tried to invite b@lain\.test to their merchant\. Nothing was changed/);
    assert.ok(!mails.some((m) => m.recipient === 'owner@toko.test'), 'the inviter is not mailed');
  });

  it("the audit log names who changed what, with key fingerprints only, for the merchant's users", async () => {
    const owner = await signedIn(h.app, 'owner@toko.test');
    await postForm(owner, xendit(), xendit(), { callbackToken: 'secret-token-9876' });
    await postForm(ops, paths.adminUsers, paths.adminUsers, { email: 'new@toko.test', merchantId: h.merchant.id, merchantRole: 'staff' });
    const staff = await signedIn(h.app, 'staff@toko.test');
    const log = await page(staff, adminMerchantPath(h.merchant.id, 'adminMerchantAudit'));
    const rows = log
      .$('tr[data-action]')
      .map((_, tr) => `${log.$(tr).attr('data-action')}|${log.$(tr).find('td').eq(1).text()}|${log.$(tr).find('td').eq(3).text()}`)
      .get();
    assert.ok(
      rows.some((r) => r === 'xendit_keys_changed|owner@toko.test|callbackToken: …9876'),
      rows.join('\n'),
    );
    assert.ok(
      rows.some((r) => r.startsWith('user_invited|ops@example.com|') && r.includes('email: new@toko.test') && r.includes('role: staff')),
      rows.join('\n'),
    );
    assert.ok(!log.res.text.includes('secret-token-9876'), 'no secret in the log');
    // Operators see it too.
    await page(ops, adminMerchantPath(h.merchant.id, 'adminMerchantAudit'));
  });

  it('warns before a new key of another Xendit business replaces the stored one, and saves it only when confirmed', async () => {
    const owner = await signedIn(h.app, 'owner@toko.test');
    const stored = h.merchant.xenditKeys.test;
    const business = h.sims.xendit.test.account(stored)!.userId;
    // The business has invoices (its user_id tells whose key it is); a rotated key of the same business and one of another.
    await request(h.app)
      .get(h.payUrl(h.addInvoice({}).invoiceNumber))
      .expect(303);
    h.sims.xendit.registerAccount({ secretKey: 'xnd_development_SameBusiness0001', callbackToken: 't', businessName: 'Toko Test', userId: business });
    h.sims.xendit.registerAccount({ secretKey: 'xnd_development_OtherBusiness0002', callbackToken: 't', businessName: 'Someone Else' });
    const invoiceOf = (secretKey: string) =>
      h.sims.xenditClient.createInvoice(secretKey, {
        externalId: `elsewhere-${secretKey.slice(-4)}`,
        currency: 'IDR',
        amount: 1000000,
        description: 'elsewhere',
        successRedirectUrl: 'https://example.com/ok',
        failureRedirectUrl: 'https://example.com/no',
        invoiceDurationSeconds: 3600,
      });
    // Without an invoice or transaction, the other account's business is unknown: no warning is possible.
    const unknown = await postForm(owner, xendit(), xendit(), { testKey: 'xnd_development_OtherBusiness0002' });
    assert.equal(unknown.status, 303);
    assert.equal((await postForm(owner, xendit(), xendit(), { testKey: stored })).status, 303, 'back to the first key');
    await invoiceOf('xnd_development_OtherBusiness0002');
    const other = await postForm(owner, xendit(), xendit(), { testKey: 'xnd_development_OtherBusiness0002' });
    assert.equal(other.status, 422);
    const $ = cheerio.load(other.text);
    assert.match($('#e-testKey').text(), /different Xendit business/);
    assert.equal($('[data-other-business]').length, 1);
    assert.equal((await h.stores.merchants.byId(h.merchant.id))!.xenditKeys.test, stored, 'not saved');
    assert.equal((await postForm(owner, xendit(), xendit(), { testKey: 'xnd_development_OtherBusiness0002', otherBusiness: 'confirmed' })).status, 303);
    const audit = await h.stores.audit.forMerchant(h.merchant.id);
    assert.equal(audit[0].detail.otherBusiness, true, 'the audit log says the key moved to another business');
    // A rotated key of the first business, replacing the other business's key: warned again; a same-business rotation is not.
    assert.equal((await postForm(owner, xendit(), xendit(), { testKey: 'xnd_development_SameBusiness0001' })).status, 422);
    assert.equal((await postForm(owner, xendit(), xendit(), { testKey: stored, otherBusiness: 'confirmed' })).status, 303);
    assert.equal((await postForm(owner, xendit(), xendit(), { testKey: 'xnd_development_SameBusiness0001' })).status, 303);
  });
});
