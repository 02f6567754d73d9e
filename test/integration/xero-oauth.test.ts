import { strict as assert } from 'node:assert';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { sql } from 'kysely';
import { Writable } from 'node:stream';
import { createLogger } from '../../app/bin/bootstrap.js';
import { createApp } from '../../app/server.js';
import { describeEachDatabase } from '../helpers/db.js';
import { addUser, csrfOf, PASSWORD, signedIn, type Agent } from '../helpers/admin.js';
import { addMerchantAwaitingXero } from '../../app/admin/merchants/connect-link.js';
import { STEP_UP_MS } from '../../app/admin/web.js';
import { awaitingXero } from '../../app/store/merchants.js';
import { APP, consent, connectThroughXero, createConnectCast, startConnect, type OAuthHarness } from '../helpers/xero-oauth.js';
import { adminMerchantPath, paths } from '../../app/paths.js';

describeEachDatabase('Connect to Xero (OAuth 2.0)', ({ db }) => {
  let h: OAuthHarness;
  let ops: Agent;
  let orgA: string;
  let orgB: string;
  beforeEach(async () => {
    ({ h, ops, orgA, orgB } = await createConnectCast(db(), { client: 'cc', shortCodes: ['!WS1', '!WS2'] }));
  });
  afterEach(() => h.close());

  const merchantByShortCode = async (shortCode: string) => (await h.stores.merchants.list()).find((m) => m.shortCode === shortCode);

  it('connects one organisation: PKCE and state at Xero, ShortCode from Xero, tokens sealed', async () => {
    const authorize = await startConnect(ops);
    assert.equal(authorize.origin + authorize.pathname, `${h.sims.xeroUrl}/identity/connect/authorize`);
    const q = authorize.searchParams;
    assert.equal(q.get('client_id'), APP.clientId);
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.match(q.get('code_challenge') ?? '', /^[\w-]{43}$/);
    assert.match(q.get('state') ?? '', /^[\w-]{43}$/);
    assert.equal(q.get('redirect_uri'), `${h.baseUrl}${paths.adminXeroCallback}`);
    for (const s of [
      'accounting.invoices',
      'accounting.payments',
      'accounting.banktransactions',
      'accounting.settings',
      'accounting.contacts',
      'offline_access',
      'openid',
    ]) {
      assert.ok(q.get('scope')?.split(' ').includes(s), `scope ${s}`);
    }
    const res = await ops.get(await consent(h.sims, authorize, { tenants: [orgA] })).expect(303);
    const m = await merchantByShortCode('!WS1');
    assert.ok(m, 'merchant created from the organisation');
    assert.equal(res.headers.location, `${adminMerchantPath(m.id, 'adminMerchantXendit')}?xero=connected`);
    const after = cheerio.load((await ops.get(res.headers.location).expect(200)).text);
    assert.equal(after('[data-flash="xero-connected"]').text(), 'Connected to Xero.');
    assert.equal(m.name, 'Warung Satu');
    assert.equal(m.xeroConnection, 'oauth');
    assert.equal(m.xero.tenantId, orgA);
    assert.equal(m.status, 'onboarding');
    assert.equal(h.sims.xero.test.oauth.tokenCalls('authorization_code'), 1);
    const row = await db().selectFrom('xero_tokens').selectAll().where('merchant_id', '=', m.id).executeTakeFirstOrThrow();
    const tokens = await h.stores.xeroTokens.current(m.id);
    assert.ok(tokens && tokens.accessToken.startsWith('sim_oat_') && tokens.refreshToken.startsWith('sim_ort_'));
    assert.ok(!row.token_set_enc.includes(tokens.accessToken) && !row.token_set_enc.includes(tokens.refreshToken), 'sealed at rest');
    // The stored connection works: the gateway reads the organisation with it.
    assert.equal((await h.oauthClient.getOrganisation(m.xero)).shortCode, '!WS1');
  });

  it('logs neither the authorisation code nor the state nor any token', async () => {
    const lines: string[] = [];
    const logger = createLogger({ logLevel: 'debug' }, new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) }));
    const logged = createApp({ ...h.deps, logger });
    h.serve(logged);
    const agent = await signedIn(logged, 'ops@example.com');
    const authorize = await startConnect(agent);
    const back = await consent(h.sims, authorize, { tenants: [orgA] });
    await agent.get(back).expect(303);
    const m = (await merchantByShortCode('!WS1'))!;
    await h.oauthClient.getOrganisation(m.xero);
    const tokens = (await h.stores.xeroTokens.current(m.id))!;
    const text = lines.join('');
    assert.match(text, /admin\/xero\/callback/, 'the callback request is logged');
    for (const secret of [
      new URL(back, h.baseUrl).searchParams.get('code')!,
      authorize.searchParams.get('state')!,
      tokens.accessToken,
      tokens.refreshToken,
      APP.clientSecret,
    ]) {
      assert.ok(!text.includes(secret), `a secret reached the log: ${lines.find((l) => l.includes(secret))}`);
    }
  });

  it('lets the user pick the organisation when several were connected', async () => {
    const res = await connectThroughXero(h, ops, [orgA, orgB], 200);
    const $ = cheerio.load(res.text);
    const options = $('input[name=tenantId]')
      .map((_i, el) => $(el).attr('value'))
      .get();
    assert.deepEqual(options.sort(), [orgA, orgB].sort());
    assert.equal(await merchantByShortCode('!WS2'), undefined, 'nothing saved before the choice');
    const picked = await ops
      .post(paths.adminXeroOrganisation)
      .type('form')
      .send({ _csrf: $('input[name=_csrf]').val(), pick: $('input[name=pick]').val(), tenantId: orgB })
      .expect(303);
    const m = await merchantByShortCode('!WS2');
    assert.ok(m);
    assert.equal(picked.headers.location, `${adminMerchantPath(m.id, 'adminMerchantXendit')}?xero=connected`);
    assert.equal(m.xero.tenantId, orgB);
    assert.equal(await merchantByShortCode('!WS1'), undefined);
    // The choice is single use.
    const again = await ops
      .post(paths.adminXeroOrganisation)
      .type('form')
      .send({ _csrf: $('input[name=_csrf]').val(), pick: $('input[name=pick]').val(), tenantId: orgA })
      .expect(400);
    assert.match(cheerio.load(again.text)('[data-reason]').text(), /expired or was already made/);
    assert.equal(await merchantByShortCode('!WS1'), undefined);
  });

  const reasonOf = (html: string) => cheerio.load(html)('[data-reason]').text();
  const merchantCount = async () => (await h.stores.merchants.list()).length;

  describe('refusals: a page with the reason, 4xx, nothing saved', () => {
    it('state missing or unknown', async () => {
      const before = await merchantCount();
      assert.match(reasonOf((await ops.get(`${paths.adminXeroCallback}?code=abc`).expect(400)).text), /no state/);
      assert.match(
        reasonOf((await ops.get(`${paths.adminXeroCallback}?code=abc&state=${'x'.repeat(43)}`).expect(400)).text),
        /does not belong to a connection started here/,
      );
      assert.equal(await merchantCount(), before);
    });

    it('state expired (ten minutes)', async () => {
      const authorize = await startConnect(ops);
      const back = await consent(h.sims, authorize, { tenants: [orgA] });
      h.clock.advance(10 * 60_000 + 1000);
      assert.match(reasonOf((await ops.get(back).expect(400)).text), /expired/);
      assert.equal(await merchantByShortCode('!WS1'), undefined);
      assert.equal(h.sims.xero.test.oauth.tokenCalls('authorization_code'), 0, 'the code was not even exchanged');
    });

    it('state replayed', async () => {
      const authorize = await startConnect(ops);
      const back = await consent(h.sims, authorize, { tenants: [orgA] });
      await ops.get(back).expect(303);
      const count = await merchantCount();
      assert.match(reasonOf((await ops.get(back).expect(400)).text), /already used/);
      assert.equal(await merchantCount(), count);
    });

    it('state from another session (same user in another browser, or another user)', async () => {
      await addUser(h.stores, 'ops2@example.com', null);
      const authorize = await startConnect(ops);
      const back = await consent(h.sims, authorize, { tenants: [orgA] });
      const sameUserElsewhere = await signedIn(h.app, 'ops@example.com');
      const otherOperator = await signedIn(h.app, 'ops2@example.com');
      assert.match(reasonOf((await sameUserElsewhere.get(back).expect(403)).text), /another browser session/);
      await otherOperator.get(back).expect(403);
      assert.equal(await merchantByShortCode('!WS1'), undefined);
      // The session that started it still may finish it.
      await ops.get(back).expect(303);
      assert.ok(await merchantByShortCode('!WS1'));
    });

    it('the user denied consent at Xero (access_denied)', async () => {
      const authorize = await startConnect(ops);
      const back = await consent(h.sims, authorize, 'deny');
      assert.match(back, /error=access_denied/);
      assert.match(reasonOf((await ops.get(back).expect(400)).text), /did not allow access/);
      assert.equal(await merchantByShortCode('!WS1'), undefined);
    });

    it('Xero refuses the code exchange (code used twice at Xero)', async () => {
      const authorize = await startConnect(ops);
      const back = new URL(await consent(h.sims, authorize, { tenants: [orgA] }), h.baseUrl);
      const code = back.searchParams.get('code')!;
      // Someone else redeemed the code first (Xero allows it once).
      const again = await startConnect(ops);
      const codeOfAgain = new URL(await consent(h.sims, again, { tenants: [orgA] }), h.baseUrl);
      codeOfAgain.searchParams.set('code', code);
      await ops.get(back.pathname + back.search).expect(303);
      assert.match(reasonOf((await ops.get(codeOfAgain.pathname + codeOfAgain.search).expect(400)).text), /Xero refused the authorisation code/);
      assert.equal(await merchantCount(), 2, 'the harness merchant and the one connected once');
    });

    it('organisation already connected to another merchant (OAuth or Custom Connection)', async () => {
      await connectThroughXero(h, ops, [orgA], 303);
      const count = await merchantCount();
      assert.match(reasonOf((await connectThroughXero(h, ops, [orgA], 409)).text), /already connected to another merchant/);
      // The harness merchant holds its organisation through a Custom Connection.
      assert.match(reasonOf((await connectThroughXero(h, ops, [h.tenantId], 409)).text), /already connected to another merchant/);
      assert.equal(await merchantCount(), count);
    });

    it('CSRF token missing on connect and on disconnect', async () => {
      await ops.post(paths.adminXeroConnect).type('form').send({ merchantId: '' }).expect(403);
      assert.equal(Number((await sql<{ n: string }>`select count(*) as n from xero_oauth_states`.execute(db())).rows[0].n), 0);
      await connectThroughXero(h, ops, [orgA], 303);
      const m = (await merchantByShortCode('!WS1'))!;
      await ops.post(adminMerchantPath(m.id, 'adminMerchantXeroDisconnect')).type('form').send({}).expect(403);
      assert.ok(await h.stores.xeroTokens.current(m.id), 'still connected');
    });

    it('wrong user: a merchant user cannot connect, reconnect or disconnect another merchant (404)', async () => {
      await connectThroughXero(h, ops, [orgA], 303);
      const m = (await merchantByShortCode('!WS1'))!;
      await addUser(h.stores, 'owner@toko.test', h.merchant.id);
      const other = await signedIn(h.app, 'owner@toko.test');
      const own = await other.get(adminMerchantPath(h.merchant.id)).expect(200);
      const csrf = cheerio.load(own.text)('input[name=_csrf]').first().val() as string;
      await other.post(paths.adminXeroConnect).type('form').send({ _csrf: csrf, merchantId: m.id }).expect(404);
      await other.post(paths.adminXeroConnect).type('form').send({ _csrf: csrf, merchantId: '' }).expect(404);
      await other.post(adminMerchantPath(m.id, 'adminMerchantXeroDisconnect')).type('form').send({ _csrf: csrf }).expect(404);
      assert.ok(await h.stores.xeroTokens.current(m.id), 'still connected');
    });
  });

  it('connecting or reconnecting Xero needs the step-up password: a session past it gets the password page (401) and nothing is started', async () => {
    // A merchant waiting for Xero, whose owner's session cookie was stolen after the step-up window.
    const { merchant: pending } = await addMerchantAwaitingXero(
      { stores: h.stores, clock: h.clock, publicUrl: h.baseUrl, logger: h.deps.logger },
      { name: 'Toko Menunggu' },
    );
    await addUser(h.stores, 'owner@menunggu.test', pending.id);
    const owner = await signedIn(h.app, 'owner@menunggu.test');
    h.clock.advance(STEP_UP_MS + 1000); // ops and the owner signed in before
    const states = async () => Number((await sql<{ n: string }>`select count(*) as n from xero_oauth_states`.execute(db())).rows[0].n);
    const before = await states();
    const post = async (agent: Agent, from: string, url: string, body: Record<string, string>) => {
      const form = await agent.get(from).expect(200);
      return agent
        .post(url)
        .type('form')
        .send({ _csrf: csrfOf(form.text), ...body });
    };
    const cases: [agent: Agent, from: string, url: string, body: Record<string, string>][] = [
      [owner, adminMerchantPath(pending.id), paths.adminXeroConnect, { merchantId: pending.id }],
      [ops, paths.adminMerchantNew, paths.adminXeroConnect, { merchantId: '' }],
      [ops, paths.adminMerchantNew, paths.adminMerchantNew, { clientId: 'cc-a', clientSecret: 'cc-a-secret' }],
      [owner, adminMerchantPath(pending.id), adminMerchantPath(pending.id, 'adminMerchantPaymentService'), { themes: 'theme-1' }],
    ];
    for (const [agent, from, url, body] of cases) {
      const asked = await post(agent, from, url, body);
      assert.equal(asked.status, 401, url);
      assert.equal(cheerio.load(asked.text)('form[action="/admin/reauth"] input[name=back]').val(), from, url);
    }
    assert.equal(await states(), before, 'no authorisation started at Xero');
    assert.equal(await merchantByShortCode('!WS1'), undefined, 'no merchant from the Custom Connection');
    assert.ok(awaitingXero((await h.stores.merchants.byId(pending.id))!));

    const asked = await post(owner, adminMerchantPath(pending.id), paths.adminXeroConnect, { merchantId: pending.id });
    await owner
      .post(paths.adminReauth)
      .type('form')
      .send({ _csrf: csrfOf(asked.text), password: PASSWORD, back: adminMerchantPath(pending.id) })
      .expect(303)
      .expect('location', adminMerchantPath(pending.id));
    const authorize = await startConnect(owner, pending.id, adminMerchantPath(pending.id));
    assert.equal(authorize.origin + authorize.pathname, `${h.sims.xeroUrl}/identity/connect/authorize`);
    assert.equal(await states(), before + 1);
  });

  it('CSP form-action allows exactly the configured login origin (and only with OAuth on), besides the Xendit checkout', async () => {
    const res = await ops.get(paths.adminMerchantNew).expect(200);
    const formAction = /form-action ([^;]*)/.exec(res.headers['content-security-policy'])?.[1];
    const checkout = new URL(h.sims.xenditUrl).origin; // where /pay's part-payment form is sent on to
    assert.equal(formAction, `'self' ${new URL(h.sims.xeroUrl).origin} ${checkout}`);
    assert.equal(cheerio.load(res.text)(`form[action="${paths.adminXeroConnect}"]`).length, 1, 'Connect to Xero button');
    const { createApp } = await import('../../app/server.js');
    const plain = createApp({ ...h.deps, xeroOAuth: undefined });
    const off = await (await signedIn(plain, 'ops@example.com')).get(paths.adminMerchantNew).expect(200);
    assert.equal(/form-action ([^;]*)/.exec(off.headers['content-security-policy'])?.[1], `'self' ${checkout}`);
    assert.equal(cheerio.load(off.text)(`form[action="${paths.adminXeroConnect}"]`).length, 0);
  });

  it('disconnects (revoke + DELETE connection + forget tokens) and reconnects from the merchant page', async () => {
    await connectThroughXero(h, ops, [orgA], 303);
    const m = (await merchantByShortCode('!WS1'))!;
    const before = await ops.get(adminMerchantPath(m.id)).expect(200);
    let $ = cheerio.load(before.text);
    assert.equal($('[data-xero=connected]').length, 1);
    const grant = h.sims.xero.test.oauth.grants()[0];
    assert.equal(grant.connections.size, 1);
    await ops
      .post(adminMerchantPath(m.id, 'adminMerchantXeroDisconnect'))
      .type('form')
      .send({ _csrf: $('input[name=_csrf]').first().val() })
      .expect(422); // no confirmation: nothing happens
    assert.equal(grant.connections.size, 1);
    await ops
      .post(adminMerchantPath(m.id, 'adminMerchantXeroDisconnect'))
      .type('form')
      .send({ _csrf: $('input[name=_csrf]').first().val(), confirm: 'yes' })
      .expect(303);
    assert.equal(grant.connections.size, 0, 'connection deleted at Xero');
    assert.equal(h.sims.xero.test.oauth.revocations(), 1);
    assert.equal(h.sims.xero.test.oauth.grants().length, 0, 'token revoked at Xero');
    assert.equal(await h.stores.xeroTokens.current(m.id), null);
    assert.ok((await h.stores.merchants.byId(m.id))!.xeroDisconnected);
    $ = cheerio.load((await ops.get(adminMerchantPath(m.id)).expect(200)).text);
    assert.match($('[data-xero=disconnected]').text(), /Xero disconnected — reconnect/);
    assert.equal($(`form[action="${adminMerchantPath(m.id, 'adminMerchantXeroDisconnect')}"]`).length, 0);

    // Reconnecting with another organisation is refused; with its own it works.
    assert.match(reasonOf((await connectThroughXero(h, ops, [orgB], 409, m.id, adminMerchantPath(m.id))).text), /but this merchant is Warung Satu/);
    const ok = await connectThroughXero(h, ops, [orgA], 303, m.id, adminMerchantPath(m.id));
    assert.equal(ok.headers.location, `${adminMerchantPath(m.id)}?xero=reconnected`);
    const after = (await h.stores.merchants.byId(m.id))!;
    assert.equal(after.xeroDisconnected, null);
    assert.equal((await h.oauthClient.getOrganisation(after.xero)).shortCode, '!WS1');
  });
});

describeEachDatabase("Connect to Xero with the gateway's app at its Xero tier's connection cap", ({ db }) => {
  let h: OAuthHarness;
  let ops: Agent;
  let orgA: string;
  let orgB: string;
  beforeEach(async () => {
    ({ h, ops, orgA, orgB } = await createConnectCast(db(), { client: 'cap', shortCodes: ['!CP1', '!CP2'] }));
  });
  afterEach(() => h.close());

  it('a sixth organisation on the Starter tier: Xero ends the consent on its own page and the gateway stores nothing; a connected one reconnects', async () => {
    h.sims.xero.test.oauth.limitConnections(APP.clientId, 5);
    const others = ['3', '4', '5', '6'].map(
      (n) =>
        h.sims.xero.addOrganisation({ clientId: `cap-${n}`, clientSecret: `cap-${n}-s`, name: `Warung ${n}`, shortCode: `!CP${n}`, baseCurrency: 'IDR' })
          .tenantId,
    );
    await connectThroughXero(h, ops, [orgA], 303);
    h.sims.xero.grantOAuth(APP.clientId, others); // four more elsewhere: five in all
    const before = (await h.stores.merchants.list()).length;

    const back = await consent(h.sims, await startConnect(ops), { tenants: [orgB] });
    assert.match(back, /^\/connectionLimit\?/, "sent to Xero's page, not back to the gateway");
    const page = await request(h.sims.xeroUrl).get(back).expect(200);
    assert.match(page.text, /has reached their Xero connection limit/);
    assert.equal((await h.stores.merchants.list()).length, before, 'no merchant added');

    // Already connected: reconnecting it is not one more connection.
    const m = (await h.stores.merchants.list()).find((x) => x.shortCode === '!CP1')!;
    const again = await connectThroughXero(h, ops, [orgA], 303, m.id, adminMerchantPath(m.id));
    assert.equal(again.headers.location, `${adminMerchantPath(m.id)}?xero=reconnected`);
  });
});
