import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { connect } from '../../app/store/db.js';
import type { Db } from '../../app/store/db.js';
import { runCli } from '../../app/bin/cli/index.js';
import { addMerchantAwaitingXero, issueConnectLink } from '../../app/admin/merchants/connect-link.js';
import { awaitingXero, type Merchant } from '../../app/store/merchants.js';
import { adminMerchantPath, paths } from '../../app/paths.js';
import { createPostgresDatabase } from '../helpers/db.js';
import { SECRETS_KEY } from '../helpers/harness.js';
import { csrfOf, type Agent } from '../helpers/admin.js';
import { APP, consent, createConnectCast, type OAuthHarness } from '../helpers/xero-oauth.js';

/**
 * Xero offers Custom Connections only in AU, NZ, UK and US
 * (developer.xero.com/documentation/guides/oauth2/custom-connections: "Availability"), so merchants in
 * Indonesia, the Philippines, Thailand, Vietnam and Malaysia are onboarded by a one-time link that their
 * own Xero user opens to complete Connect to Xero.
 */
describe('connect links (merchants outside Custom Connection countries)', function () {
  let made: { url: string; drop(): Promise<void> };
  let db: Db;
  let h: OAuthHarness;
  let ops: Agent;
  let orgA: string;
  let orgB: string;
  before(async () => {
    made = await createPostgresDatabase({ migrated: true });
    db = connect(made.url, { poolSize: 5 });
  });
  after(async () => {
    await db.destroy();
    await made.drop();
  });
  beforeEach(async () => {
    ({ h, ops, orgA, orgB } = await createConnectCast(db, { client: 'cl', shortCodes: ['!CL1', '!CL2'] }));
  });
  afterEach(() => h.close());

  const linkDeps = () => ({ stores: h.stores, clock: h.clock, publicUrl: h.baseUrl, logger: h.deps.logger });
  const add = async (name = 'Toko Tautan') => addMerchantAwaitingXero(linkDeps(), { name });
  const pathOf = (url: string) => new URL(url).pathname;
  const reload = async (id: string) => (await h.stores.merchants.byId(id))!;

  /** A browser opens the link and presses "Continue to Xero"; returns Xero's consent page URL. */
  async function startLink(link: string, browser: Agent): Promise<URL> {
    const page = await browser.get(pathOf(link)).expect(200);
    const started = await browser
      .post(pathOf(link))
      .type('form')
      .send({ _csrf: csrfOf(page.text) })
      .expect(303);
    const authorize = new URL(started.headers.location);
    assert.equal(authorize.origin + authorize.pathname, `${h.sims.xeroUrl}/identity/connect/authorize`);
    return authorize;
  }

  /** A browser with no admin account opens the link, continues to Xero and consents; returns Xero's callback answer. */
  async function useLink(link: string, tenants: string[], browser: Agent = request.agent(h.app), status = 200) {
    return browser.get(await consent(h.sims, await startLink(link, browser), { tenants })).expect(status);
  }

  it('creates a merchant waiting for Xero that no pay link reaches, and the link completes Connect to Xero for it', async () => {
    const { merchant, link } = await add();
    assert.ok(awaitingXero(merchant));
    assert.equal(merchant.status, 'onboarding');
    assert.ok(merchant.xeroDisconnected, 'its jobs wait and the admin says Xero is not connected yet');
    assert.match(link.url, new RegExp(`^${h.baseUrl}/admin/connect/[\\w-]{43}$`));
    const stored = await db.selectFrom('xero_connect_links').selectAll().where('merchant_id', '=', merchant.id).executeTakeFirstOrThrow();
    const token = link.url.split('/').pop()!;
    assert.equal(stored.token_hash, createHash('sha256').update(token).digest('base64url'), 'only the hash is stored');
    assert.equal(stored.expires_at.getTime() - h.clock().getTime(), 7 * 86_400_000);
    const pay = await request(h.app).get(`/pay?invoiceNo=INV-1&currency=IDR&amount=100&shortCode=${encodeURIComponent(merchant.shortCode)}`);
    assert.ok(pay.status >= 400 && pay.status < 500, `a placeholder ShortCode pays nothing: ${pay.status}`);

    const page = await request(h.app).get(pathOf(link.url)).expect(200);
    assert.match(cheerio.load(page.text)('main, body').text(), /Toko Tautan/);
    const done = await useLink(link.url, [orgA]);
    assert.match(cheerio.load(done.text)('[data-connected]').text(), /Warung Satu/);

    const connected = await reload(merchant.id);
    assert.equal(connected.shortCode, '!CL1', 'the ShortCode comes from Xero');
    assert.equal(connected.xero.tenantId, orgA);
    assert.equal(connected.xeroDisconnected, null);
    assert.equal(connected.name, 'Toko Tautan', "the operator's name is kept");
    assert.equal((await h.oauthClient.getOrganisation(connected.xero)).shortCode, '!CL1', 'the stored tokens work');
    assert.ok((await db.selectFrom('xero_connect_links').select('used_at').where('merchant_id', '=', merchant.id).executeTakeFirstOrThrow()).used_at);
    // The operator finishes in the admin: the merchant's pages work and show it connected.
    const golive = await ops.get(adminMerchantPath(merchant.id)).expect(200);
    assert.equal(cheerio.load(golive.text)('[data-xero=connected]').length, 1);
  });

  it('works once: a used link shows a page saying so and connects nothing', async () => {
    const { merchant, link } = await add();
    await useLink(link.url, [orgA]);
    const again = await request(h.app).get(pathOf(link.url)).expect(410);
    assert.match(cheerio.load(again.text)('[data-reason]').text(), /already used/);
    assert.equal((await reload(merchant.id)).shortCode, '!CL1');
  });

  it('opening the link (a mail scanner, a preview) does not use it up', async () => {
    const { link } = await add();
    for (let i = 0; i < 3; i++) await request(h.app).get(pathOf(link.url)).expect(200);
    await useLink(link.url, [orgA]);
  });

  it('expires: refused after the link days, and when it expired while the user was at Xero', async () => {
    const { merchant, link } = await add();
    // Started a minute before expiry, back from Xero a minute after: nothing is connected.
    h.clock.advance(7 * 86_400_000 - 60_000);
    const browser = request.agent(h.app);
    const authorize = await startLink(link.url, browser);
    h.clock.advance(120_000);
    const back = await browser.get(await consent(h.sims, authorize, { tenants: [orgA] })).expect(410);
    assert.ok(cheerio.load(back.text)('[data-reason]').text().length > 0);
    assert.ok(awaitingXero(await reload(merchant.id)), 'nothing connected');
    const late = await request(h.app).get(pathOf(link.url)).expect(410);
    assert.match(cheerio.load(late.text)('[data-reason]').text(), /expired/);
  });

  it('refuses unknown, malformed and tampered tokens with a friendly page, writing nothing', async () => {
    const { link } = await add();
    const token = link.url.split('/').pop()!;
    const tampered = (token[0] === 'A' ? 'B' : 'A') + token.slice(1);
    for (const t of [tampered, 'x'.repeat(43), 'short', '..%2F..%2Fadmin', 'A'.repeat(500)]) {
      const res = await request(h.app).get(paths.adminConnectLink.replace(':token', t));
      assert.ok(res.status === 404, `${t}: ${res.status}`);
    }
    const before = await db
      .selectFrom('xero_oauth_states')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const browser = request.agent(h.app);
    const page = await browser.get(pathOf(link.url)).expect(200);
    await browser
      .post(paths.adminConnectLink.replace(':token', tampered))
      .type('form')
      .send({ _csrf: csrfOf(page.text) })
      .expect(404);
    const after = await db
      .selectFrom('xero_oauth_states')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(after.n), Number(before.n), 'no authorisation request for a bad link');
  });

  it("Xero's answer completes only in the browser that opened the link", async () => {
    const { merchant, link } = await add();
    const browser = request.agent(h.app);
    const authorize = await startLink(link.url, browser);
    const back = await consent(h.sims, authorize, { tenants: [orgA] });
    const stranger = request.agent(h.app);
    await stranger.get(paths.adminLogin).expect(200); // an anonymous session of its own
    await stranger.get(back).expect(403);
    assert.ok(awaitingXero(await reload(merchant.id)));
  });

  it('a new link replaces the unused one; an organisation already here is refused and the link stays usable', async () => {
    const first = await add('Toko Satu');
    const second = await add('Toko Dua');
    await useLink(first.link.url, [orgA]);
    const refused = await useLink(second.link.url, [orgA], request.agent(h.app), 409);
    assert.match(cheerio.load(refused.text)('[data-reason]').text(), /Warung Satu/);
    assert.ok(awaitingXero(await reload(second.merchant.id)));
    const fresh = await issueConnectLink(linkDeps(), await reload(second.merchant.id));
    await request(h.app).get(pathOf(second.link.url)).expect(404);
    await useLink(fresh.url, [orgB]);
    assert.equal((await reload(second.merchant.id)).shortCode, '!CL2');
  });

  it('with several organisations the link holder picks one', async () => {
    const { merchant, link } = await add();
    const browser = request.agent(h.app);
    const pick = await useLink(link.url, [orgA, orgB], browser);
    const $ = cheerio.load(pick.text);
    const done = await browser
      .post(paths.adminXeroOrganisation)
      .type('form')
      .send({ _csrf: csrfOf(pick.text), pick: $('input[name=pick]').val(), tenantId: orgB })
      .expect(200);
    assert.equal(cheerio.load(done.text)('[data-connected]').length, 1);
    assert.equal((await reload(merchant.id)).xero.tenantId, orgB);
  });

  describe('operator CLI', () => {
    let dataDir: string;
    before(() => {
      dataDir = mkdtempSync(join(tmpdir(), 'gw-cli-link-'));
    });
    after(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = (extra: Record<string, string> = {}) => ({
      DATA_DIR: dataDir,
      DATABASE_URL: made.url,
      SECRETS_KEY,
      PUBLIC_URL: h.baseUrl,
      XERO_API_URL: h.sims.xeroUrl,
      XERO_IDENTITY_URL: h.sims.xeroUrl,
      XERO_LOGIN_URL: h.sims.xeroUrl,
      XENDIT_API_URL: h.sims.xenditUrl,
      DEMO: 'false',
      LOG_LEVEL: 'silent',
      ...extra,
    });
    async function cli(argv: string[], extra?: Record<string, string>) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(argv, env(extra), { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    }
    const withApp = { XERO_CLIENT_ID: APP.clientId, XERO_CLIENT_SECRET: APP.clientSecret };

    it('merchants add without Xero credentials prints a connect link that completes onboarding; connect-link replaces it', async () => {
      const added = await cli(['merchants', 'add', '--name', 'Toko CLI', '--json'], withApp);
      assert.equal(added.code, 0, added.err);
      const { id, connectLink } = JSON.parse(added.out) as { id: string; connectLink: string };
      const fresh = await cli(['merchants', 'connect-link', id], withApp);
      assert.equal(fresh.code, 0, fresh.err);
      const newLink = /(https?:\/\/\S+\/admin\/connect\/[\w-]{43})/.exec(fresh.out)?.[1];
      assert.ok(newLink, fresh.out);
      await request(h.app).get(pathOf(connectLink)).expect(404);
      await useLink(newLink, [orgB]);
      const m: Merchant = (await reload(id))!;
      assert.equal(m.shortCode, '!CL2');
      const listed = JSON.parse((await cli(['merchants', 'list', '--json'], withApp)).out) as { id: string; shortCode: string }[];
      assert.equal(listed.find((r) => r.id === id)?.shortCode, '!CL2');
    });

    it('explains what is missing: no Xero app configured, or options that come from Xero', async () => {
      const noApp = await cli(['merchants', 'add', '--name', 'Toko X']);
      assert.equal(noApp.code, 64);
      assert.match(noApp.err, /XERO_CLIENT_ID/);
      assert.match(noApp.err, /AU, NZ, UK, US/);
      const shortCode = await cli(['merchants', 'add', '--name', 'Toko X', '--short-code', '!X1'], withApp);
      assert.equal(shortCode.code, 64);
      assert.match(shortCode.err, /--short-code/);
      const help = await cli(['--help']);
      assert.match(help.out + help.err, /AU, NZ, UK and US/);
    });
  });
});
