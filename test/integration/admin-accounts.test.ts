import { strict as assert } from 'node:assert';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { addUser, clearAdminTables, csrfOf, page, PASSWORD, signedIn } from '../helpers/admin.js';
import { createApp } from '../../app/server.js';
import { loadConfig } from '../../config/index.js';
import { paths } from '../../app/paths.js';
import { issueSetupLinkIfNeeded, LOGIN_ACCOUNT_LIMIT, LOGIN_IP_LIMIT, LOGIN_LIMIT, STEP_UP_ACCOUNT_LIMIT } from '../../app/admin/auth/service.js';
import { sessionCookie } from '../../app/admin/session.js';
import { STEP_UP_MS } from '../../app/admin/web.js';
import { verifyPassword } from '../../app/admin/auth/passwords.js';

/** How many times `action` runs crypto.scrypt: the module's named export is swapped for a counting one meanwhile. */
async function scryptRuns(action: () => PromiseLike<unknown>): Promise<number> {
  const mutable = crypto as unknown as { scrypt: (...args: unknown[]) => void };
  const original = mutable.scrypt;
  let runs = 0;
  mutable.scrypt = (...args: unknown[]) => {
    runs++;
    original(...args);
  };
  syncBuiltinESMExports(); // so `import { scrypt } from 'node:crypto'` sees it too
  try {
    await action();
  } finally {
    mutable.scrypt = original;
    syncBuiltinESMExports();
  }
  return runs;
}

describeEachDatabase('admin: accounts and security', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    // As behind one load balancer: the tests tell clients apart by X-Forwarded-For.
    h = await createHarness(db(), { env: { TRUST_PROXY: '1' } });
    await clearAdminTables(db());
  });
  afterEach(() => h.close());

  const deps = () => ({ ...h.deps, publicUrl: h.deps.config.publicUrl });
  const setupPath = (url: string) => new URL(url).pathname;
  const cookieOf = (res: request.Response) => ([] as string[]).concat(res.headers['set-cookie'] ?? []);

  describe('first-run setup link', () => {
    it("an e-mail a merchant's user already has is a field error (not a 500), and the link still works", async () => {
      await addUser(h.stores, 'a@toko.test', h.merchant.id);
      const url = await issueSetupLinkIfNeeded(deps());
      const agent = request.agent(h.app);
      const form = await page(agent, setupPath(url!));
      const taken = await agent
        .post(setupPath(url!))
        .type('form')
        .send({ _csrf: form.csrf(), email: 'A@toko.test', password: PASSWORD, confirm: PASSWORD })
        .expect(422);
      const $ = cheerio.load(taken.text);
      assert.equal($('#e-email').text(), 'A user with this e-mail already exists.');
      assert.equal($('#f-email').val(), 'A@toko.test');
      assert.equal(await h.stores.users.hasOperator(), false);
      await agent.post(setupPath(url!)).type('form').send({ _csrf: form.csrf(), email: 'ops@example.com', password: PASSWORD, confirm: PASSWORD }).expect(303);
      assert.equal((await h.stores.users.byEmail('ops@example.com'))?.role, 'operator');
    });

    it('creates the first operator once, signs them in, and is spent afterwards', async () => {
      const url = await issueSetupLinkIfNeeded(deps());
      assert.ok(url?.startsWith(`${h.baseUrl}/admin/setup/`));
      const token = url!.split('/').at(-1)!;
      const stored = await db().selectFrom('setup_tokens').selectAll().execute();
      assert.equal(stored.length, 1);
      assert.notEqual(stored[0].token_hash, token, 'only a hash of the token is stored');

      const agent = request.agent(h.app);
      const form = await page(agent, setupPath(url!));
      assert.equal(form.$('form input[name=email]').length, 1);

      const mismatch = await agent
        .post(setupPath(url!))
        .type('form')
        .send({ _csrf: form.csrf(), email: 'ops@example.com', password: PASSWORD, confirm: 'something else!' })
        .expect(422);
      assert.match(cheerio.load(mismatch.text)('#e-confirm').text(), /do not match/);
      const short = await agent
        .post(setupPath(url!))
        .type('form')
        .send({ _csrf: form.csrf(), email: 'not-an-email', password: 'short', confirm: 'short' })
        .expect(422);
      const $short = cheerio.load(short.text);
      assert.match($short('#e-email').text(), /valid e-mail/);
      assert.match($short('#e-password').text(), /12 characters/);
      assert.equal($short('#f-email').val(), 'not-an-email', 'what was typed is kept');
      assert.equal(await h.stores.users.hasOperator(), false);

      await agent
        .post(setupPath(url!))
        .type('form')
        .send({ _csrf: form.csrf(), email: ' Ops@Example.com ', password: PASSWORD, confirm: PASSWORD })
        .expect(303)
        .expect('location', paths.admin);
      const op = await h.stores.users.byEmail('ops@example.com');
      assert.equal(op?.role, 'operator');
      assert.match(op!.passwordHash, /^scrypt\$32768\$8\$1\$/);
      assert.ok(await verifyPassword(PASSWORD, op!.passwordHash));
      const dash = await page(agent, paths.admin);
      assert.match(dash.$('nav.adminnav').text(), /ops@example\.com \(operator\)/);

      await request(h.app).get(setupPath(url!)).expect(410);
      const again = await agent
        .post(setupPath(url!))
        .type('form')
        .send({ _csrf: dash.csrf(), email: 'second@example.com', password: PASSWORD, confirm: PASSWORD })
        .expect(410);
      assert.match(cheerio.load(again.text)('h1').text(), /setup link no longer works/);
      assert.equal((await h.stores.users.list()).length, 1);
      assert.equal(await issueSetupLinkIfNeeded(deps()), null, 'no new link once an operator exists');
    });

    it('refuses an expired link (24 h) and an unknown one with the same page', async () => {
      const url = await issueSetupLinkIfNeeded(deps());
      h.clock.advance(24 * 3600_000 + 1000);
      const res = await request(h.app).get(setupPath(url!)).expect(410);
      assert.match(cheerio.load(res.text)('h1').text(), /setup link no longer works/);
      await request(h.app).get('/admin/setup/not-a-real-token').expect(410);
      const agent = request.agent(h.app);
      const login = await page(agent, paths.adminLogin);
      await agent.post(setupPath(url!)).type('form').send({ _csrf: login.csrf(), email: 'ops@example.com', password: PASSWORD, confirm: PASSWORD }).expect(410);
      assert.equal(await h.stores.users.hasOperator(), false);
    });

    it('spends every live link with the first use (links from several starts)', async () => {
      const first = await issueSetupLinkIfNeeded(deps());
      const second = await issueSetupLinkIfNeeded(deps());
      const agent = request.agent(h.app);
      const form = await page(agent, setupPath(first!));
      await agent
        .post(setupPath(first!))
        .type('form')
        .send({ _csrf: form.csrf(), email: 'ops@example.com', password: PASSWORD, confirm: PASSWORD })
        .expect(303);
      await request(h.app).get(setupPath(second!)).expect(410);
    });

    it('refuses a setup post without the CSRF token (403) and creates nothing', async () => {
      const url = await issueSetupLinkIfNeeded(deps());
      const agent = request.agent(h.app);
      await page(agent, setupPath(url!));
      const res = await agent.post(setupPath(url!)).type('form').send({ email: 'ops@example.com', password: PASSWORD, confirm: PASSWORD }).expect(403);
      assert.match(cheerio.load(res.text)('h1').text(), /form has expired/);
      await request(h.app)
        .post(setupPath(url!))
        .type('form')
        .send({ _csrf: 'x'.repeat(43), email: 'ops@example.com', password: PASSWORD, confirm: PASSWORD })
        .expect(403);
      assert.equal(await h.stores.users.hasOperator(), false);
    });
  });

  describe('sign in and out', () => {
    beforeEach(async () => {
      await addUser(h.stores, 'ops@example.com', null, h.clock());
    });

    it('sends visitors without a session to the sign-in page', async () => {
      for (const path of [paths.admin, paths.adminUsers, '/admin/payments/00000000-0000-4000-8000-000000000000']) {
        await request(h.app).get(path).expect(303).expect('location', paths.adminLogin);
      }
    });

    it('signs in with a new HttpOnly, SameSite=Lax session cookie, stored hashed server side', async () => {
      const agent = request.agent(h.app);
      const form = await agent.get(paths.adminLogin).expect(200);
      const anonymous = cookieOf(form)[0];
      assert.match(anonymous, /^sid=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
      const res = await agent
        .post(paths.adminLogin)
        .type('form')
        .send({ _csrf: csrfOf(form.text), email: 'OPS@example.com', password: PASSWORD })
        .expect(303);
      const signedCookie = cookieOf(res)[0];
      assert.notEqual(signedCookie.split(';')[0], anonymous.split(';')[0], 'the session id changes at sign-in');
      const sessions = await db().selectFrom('sessions').selectAll().execute();
      assert.equal(sessions.length, 1, 'the anonymous session was replaced');
      assert.ok(sessions[0].user_id);
      assert.ok(!signedCookie.includes(sessions[0].id_hash), 'the table holds a hash, not the cookie');
      await agent.get(paths.admin).expect(200);
    });

    it('shows a form error for a wrong password or unknown e-mail (401) and 422 for a malformed form', async () => {
      const agent = request.agent(h.app);
      const form = await page(agent, paths.adminLogin);
      for (const email of ['ops@example.com', 'nobody@example.com']) {
        const res = await agent.post(paths.adminLogin).type('form').send({ _csrf: form.csrf(), email, password: 'wrong password' }).expect(401);
        const $ = cheerio.load(res.text);
        assert.match($('.errorsummary').text(), /Wrong e-mail or password/);
        assert.equal($('#f-email').val(), email);
        assert.equal($('#f-password').val(), undefined, 'passwords are never echoed');
      }
      const bad = await agent.post(paths.adminLogin).type('form').send({ _csrf: form.csrf(), email: 'nope', password: '' }).expect(422);
      assert.match(cheerio.load(bad.text)('#e-password').text(), /Enter your password/);
      await agent.get(paths.admin).expect(303);
    });

    it('spends the same scrypt work on an invited user (no password yet) as on a wrong password or an unknown e-mail', async () => {
      await h.stores.users.add({ email: 'invited@toko.test', passwordHash: '', role: 'merchant', merchantId: h.merchant.id, merchantRole: 'staff' }, h.clock());
      const agent = request.agent(h.app);
      const csrf = (await page(agent, paths.adminLogin)).csrf();
      // Counted, not timed: how many scrypt derivations one sign-in runs.
      const runs: Record<string, number> = {};
      for (const email of ['invited@toko.test', 'ops@example.com', 'nobody@example.com']) {
        runs[email] = await scryptRuns(() => agent.post(paths.adminLogin).type('form').send({ _csrf: csrf, email, password: 'a wrong guess' }).expect(401));
      }
      assert.deepEqual(runs, { 'invited@toko.test': 1, 'ops@example.com': 1, 'nobody@example.com': 1 });
    });

    it('refuses a sign-in without the CSRF token (403)', async () => {
      const agent = request.agent(h.app);
      await agent.get(paths.adminLogin).expect(200);
      await agent.post(paths.adminLogin).type('form').send({ email: 'ops@example.com', password: PASSWORD }).expect(403);
      await agent.get(paths.admin).expect(303);
    });

    it(`throttles after ${LOGIN_LIMIT} attempts per IP and e-mail, shared by every web process, for 15 minutes`, async () => {
      const other = createApp({ ...h.deps }); // a second web process over the same database
      const agents = [request.agent(h.app), request.agent(other)];
      const csrfs = await Promise.all(agents.map(async (a) => (await page(a, paths.adminLogin)).csrf()));
      for (let i = 0; i < LOGIN_LIMIT; i++) {
        await agents[i % 2]
          .post(paths.adminLogin)
          .type('form')
          .send({ _csrf: csrfs[i % 2], email: 'ops@example.com', password: `guess ${i}` })
          .expect(401);
      }
      const blocked = await agents[0].post(paths.adminLogin).type('form').send({ _csrf: csrfs[0], email: 'ops@example.com', password: PASSWORD }).expect(429);
      assert.ok(Number(blocked.headers['retry-after']) > 0 && Number(blocked.headers['retry-after']) <= 900);
      assert.match(cheerio.load(blocked.text)('h1').text(), /Too many sign-in attempts/);

      // Another address is not locked out by someone guessing from elsewhere.
      const elsewhere = request.agent(h.app);
      const form = await page(elsewhere, paths.adminLogin);
      await elsewhere
        .post(paths.adminLogin)
        .set('X-Forwarded-For', '203.0.113.9')
        .type('form')
        .send({ _csrf: form.csrf(), email: 'ops@example.com', password: PASSWORD })
        .expect(303);

      h.clock.advance(15 * 60_000 + 1000);
      await agents[1].post(paths.adminLogin).type('form').send({ _csrf: csrfs[1], email: 'ops@example.com', password: PASSWORD }).expect(303);
    });

    it(`throttles one client (IPv6 by /64) guessing across e-mails after ${LOGIN_IP_LIMIT} attempts, and one account guessed from many clients after ${LOGIN_ACCOUNT_LIMIT}`, async () => {
      const agent = request.agent(h.app);
      const csrf = (await page(agent, paths.adminLogin)).csrf();
      const attempt = (xff: string, email: string, password = 'a wrong guess') =>
        agent.post(paths.adminLogin).set('X-Forwarded-For', xff).type('form').send({ _csrf: csrf, email, password });
      // One /64, a new address and a new e-mail each time: under every per-(IP, e-mail) limit.
      for (let i = 0; i < LOGIN_IP_LIMIT; i++) await attempt(`2001:db8:1:2::${(i + 1).toString(16)}`, `guess${i}@example.com`).expect(401);
      const blocked = await attempt('2001:db8:1:2::ffff', 'ops@example.com', PASSWORD).expect(429);
      assert.ok(Number(blocked.headers['retry-after']) > 0 && Number(blocked.headers['retry-after']) <= 900);
      assert.match(cheerio.load(blocked.text)('p').first().text(), /Try again in \d+ min\./);
      await attempt('2001:db8:1:3::1', 'ops@example.com', PASSWORD).expect(303);

      // Many clients, one account: the account is paused for everyone until the window ends.
      await clearAdminTables(db());
      await addUser(h.stores, 'ops@example.com', null, h.clock());
      h.clock.advance(15 * 60_000);
      const fresh = request.agent(h.app);
      const token = (await page(fresh, paths.adminLogin)).csrf();
      const guess = (xff: string, password = 'a wrong guess') =>
        fresh.post(paths.adminLogin).set('X-Forwarded-For', xff).type('form').send({ _csrf: token, email: 'ops@example.com', password });
      for (let i = 0; i < LOGIN_ACCOUNT_LIMIT; i++) await guess(`198.51.100.${i + 1}`).expect(401);
      await guess('203.0.113.200', PASSWORD).expect(429);
      h.clock.advance(15 * 60_000);
      await guess('203.0.113.200', PASSWORD).expect(303);
    });

    it(`writes no row for a sign-in refused by its client's ${LOGIN_IP_LIMIT}: one client trying ever new e-mails adds about that many rows, not one per e-mail`, async () => {
      const rows = async () => ({
        pairs: (await db().selectFrom('login_attempts').select('key').execute()).length,
        accounts: (await db().selectFrom('rate_limits').select('key').where('key', 'like', 'login-account:%').execute()).length,
      });
      const before = await rows();
      const agent = request.agent(h.app);
      const csrf = (await page(agent, paths.adminLogin)).csrf();
      const statuses: number[] = [];
      for (let i = 0; i < 200; i++) {
        const res = await agent
          .post(paths.adminLogin)
          .set('X-Forwarded-For', '203.0.113.66')
          .type('form')
          .send({ _csrf: csrf, email: `guess${i}@example.com`, password: 'a wrong guess' });
        statuses.push(res.status);
      }
      assert.equal(statuses.filter((s) => s === 401).length, LOGIN_IP_LIMIT, statuses.join(' '));
      assert.equal(statuses.filter((s) => s === 429).length, 200 - LOGIN_IP_LIMIT);
      const after = await rows();
      assert.ok(after.pairs - before.pairs <= LOGIN_IP_LIMIT + 1, `login_attempts rows: ${after.pairs - before.pairs}`);
      assert.ok(after.accounts - before.accounts <= LOGIN_IP_LIMIT + 1, `login-account rows: ${after.accounts - before.accounts}`);
    });

    /** A new browser at this forwarded address: the sign-in form, then the e-mail and password. */
    const signInFrom = async (xff: string, email: string, password: string) => {
      const agent = request.agent(h.app);
      const csrf = (await page(agent, paths.adminLogin)).csrf();
      const res = await agent.post(paths.adminLogin).set('X-Forwarded-For', xff).type('form').send({ _csrf: csrf, email, password });
      return { agent, status: res.status };
    };

    it(`lets a signed-in operator step up while their e-mail is paused by ${LOGIN_ACCOUNT_LIMIT + 1} failed sign-ins from many clients`, async () => {
      const operator = await signedIn(h.app, 'ops@example.com');
      for (let i = 0; i <= LOGIN_ACCOUNT_LIMIT; i++) {
        const { status } = await signInFrom(`198.51.100.${i + 1}`, 'ops@example.com', 'a wrong guess');
        assert.equal(status, i < LOGIN_ACCOUNT_LIMIT ? 401 : 429, `guess ${i + 1}`);
      }
      assert.equal((await signInFrom('203.0.113.77', 'ops@example.com', PASSWORD)).status, 429, 'the e-mail is paused for a client without a session');

      // Their session proves who they are: the step-up is held only to its own (IP, e-mail) limit,
      // even from an address that never signed in (a phone on another network).
      h.clock.advance(STEP_UP_MS + 1000);
      const csrf = (await page(operator, paths.admin)).csrf();
      await operator
        .post(paths.adminReauth)
        .set('X-Forwarded-For', '203.0.113.77')
        .type('form')
        .send({ _csrf: csrf, password: PASSWORD, back: paths.adminUsers })
        .expect(303)
        .expect('location', paths.adminUsers);
    });

    it(`caps what a stolen session may guess at the step-up: ${STEP_UP_ACCOUNT_LIMIT} failures from any addresses, then 429 even with the password, until the window ends`, async () => {
      const thief = await signedIn(h.app, 'ops@example.com');
      h.clock.advance(STEP_UP_MS + 1000);
      const csrf = (await page(thief, paths.admin)).csrf();
      const stepUp = (xff: string, password: string) =>
        thief.post(paths.adminReauth).set('X-Forwarded-For', xff).type('form').send({ _csrf: csrf, password, back: paths.adminUsers });
      for (let i = 0; i < STEP_UP_ACCOUNT_LIMIT; i++) {
        const res = await stepUp(`2001:db8:${i + 1}::1`, 'a wrong guess');
        assert.notEqual(res.status, 429, `guess ${i + 1}`);
        assert.notEqual(res.headers.location, paths.adminUsers, `guess ${i + 1} did not step up`);
      }
      await stepUp('2001:db8:ff::1', PASSWORD).expect(429);
      // Sign-in guessers do not fill it: the step-up counter is the session's alone.
      assert.equal((await signInFrom('198.51.100.9', 'ops@example.com', PASSWORD)).status, 303, 'signing in is not paused by failed step-ups');
      h.clock.advance(15 * 60_000);
      await stepUp('2001:db8:ff::1', PASSWORD).expect(303).expect('location', paths.adminUsers);
    });

    it(`counts wrong current passwords on My account against the step-up's ${STEP_UP_ACCOUNT_LIMIT}: a stolen session cannot guess there without end`, async () => {
      const thief = await signedIn(h.app, 'ops@example.com');
      const csrf = (await page(thief, paths.adminAccount)).csrf();
      const NEW = 'a brand new passphrase';
      const change = (xff: string, current: string) =>
        thief.post(paths.adminAccount).set('X-Forwarded-For', xff).type('form').send({ _csrf: csrf, current, password: NEW, confirm: NEW });
      // A new /64 each time: under every per-(IP, e-mail) limit.
      for (let i = 0; i < STEP_UP_ACCOUNT_LIMIT; i++) await change(`2001:db8:${i + 1}::1`, 'a wrong guess').expect(422);
      const refused = await change('2001:db8:ff::1', 'a wrong guess').expect(429);
      assert.match(cheerio.load(refused.text)('h1').text(), /Too many sign-in attempts/);
      // The same cap as the step-up's: it is full there too.
      await thief
        .post(paths.adminReauth)
        .set('X-Forwarded-For', '2001:db8:fe::1')
        .type('form')
        .send({ _csrf: csrf, password: 'a wrong guess', back: paths.adminUsers })
        .expect(429);
      assert.ok(await verifyPassword(PASSWORD, (await h.stores.users.byEmail('ops@example.com'))!.passwordHash), 'unchanged');

      h.clock.advance(15 * 60_000);
      const ok = await change('2001:db8:ff::1', PASSWORD).expect(200);
      assert.equal(cheerio.load(ok.text)('[data-changed]').length, 1);
      assert.ok(await verifyPassword(NEW, (await h.stores.users.byEmail('ops@example.com'))!.passwordHash));
    });

    it(`counts only failed sign-ins against a client's ${LOGIN_IP_LIMIT}, and a client that signed in as an e-mail is not paused by others' failures`, async () => {
      // An office behind one address: its operator signs in many times a day.
      for (let i = 0; i <= LOGIN_IP_LIMIT; i++) assert.equal((await signInFrom('203.0.113.5', 'ops@example.com', PASSWORD)).status, 303, `sign-in ${i + 1}`);
      // Someone else there guesses across e-mails until the address is paused...
      for (let i = 0; i < LOGIN_IP_LIMIT; i++)
        assert.equal((await signInFrom('203.0.113.5', `guess${i}@example.com`, 'a wrong guess')).status, 401, `guess ${i + 1}`);
      assert.equal((await signInFrom('203.0.113.5', 'someone@example.com', 'a wrong guess')).status, 429);
      // ...which does not pause the operator, who signed in from there within the day.
      assert.equal((await signInFrom('203.0.113.5', 'ops@example.com', PASSWORD)).status, 303);
    });

    it(`pauses an e-mail after ${LOGIN_ACCOUNT_LIMIT} failed sign-ins from many clients, even concurrent ones, for clients without a session, except where it signed in`, async () => {
      const laptop = await signInFrom('192.0.2.44', 'ops@example.com', PASSWORD);
      assert.equal(laptop.status, 303);
      const dash = await page(laptop.agent, paths.admin);
      await laptop.agent.post(paths.adminLogout).set('X-Forwarded-For', '192.0.2.44').type('form').send({ _csrf: dash.csrf() }).expect(303);

      // A burst: every guess is counted before its password is checked, so none slips past the limit.
      const fresh = request.agent(h.app);
      const token = (await page(fresh, paths.adminLogin)).csrf();
      const statuses = await Promise.all(
        Array.from({ length: LOGIN_ACCOUNT_LIMIT + 5 }, (_, i) =>
          fresh
            .post(paths.adminLogin)
            .set('X-Forwarded-For', `198.51.100.${i + 1}`)
            .type('form')
            .send({ _csrf: token, email: 'ops@example.com', password: 'a wrong guess' })
            .then((r) => r.status),
        ),
      );
      assert.equal(statuses.filter((s) => s === 401).length, LOGIN_ACCOUNT_LIMIT, statuses.join(' '));
      assert.equal(statuses.filter((s) => s === 429).length, 5, statuses.join(' '));

      assert.equal((await signInFrom('203.0.113.200', 'ops@example.com', PASSWORD)).status, 429, 'a new client waits for the window to end');
      // The laptop, signed out, signed in from its address within the day: a guesser elsewhere cannot pause it.
      const form = await page(laptop.agent, paths.adminLogin);
      await laptop.agent
        .post(paths.adminLogin)
        .set('X-Forwarded-For', '192.0.2.44')
        .type('form')
        .send({ _csrf: form.csrf(), email: 'ops@example.com', password: PASSWORD })
        .expect(303);
      h.clock.advance(15 * 60_000);
      assert.equal((await signInFrom('203.0.113.200', 'ops@example.com', PASSWORD)).status, 303);
    });

    it('shows the sign-in page to strangers without writing a session row per visit', async () => {
      for (let i = 0; i < 5; i++) await request(h.app).get(paths.adminLogin).expect(200);
      const browser = request.agent(h.app);
      const first = await page(browser, paths.adminLogin);
      const again = await page(browser, paths.adminLogin);
      assert.equal(again.csrf(), first.csrf(), 'the form token is stable for this browser');
      assert.equal((await db().selectFrom('sessions').selectAll().execute()).length, 0);
      // Another browser's token is refused; the browser's own signs in.
      const other = (await page(request.agent(h.app), paths.adminLogin)).csrf();
      await browser.post(paths.adminLogin).type('form').send({ _csrf: other, email: 'ops@example.com', password: PASSWORD }).expect(403);
      await browser.post(paths.adminLogin).type('form').send({ _csrf: first.csrf(), email: 'ops@example.com', password: PASSWORD }).expect(303);
      assert.equal((await db().selectFrom('sessions').selectAll().execute()).length, 1);
    });

    it('signs out (POST with CSRF): the session is gone server side', async () => {
      const agent = await signedIn(h.app, 'ops@example.com');
      const dash = await page(agent, paths.admin);
      await agent.post(paths.adminLogout).type('form').send({}).expect(403);
      await agent.get(paths.admin).expect(200);
      const out = await agent.post(paths.adminLogout).type('form').send({ _csrf: dash.csrf() }).expect(303).expect('location', paths.adminLogin);
      assert.match(cookieOf(out)[0], /^sid=;.*Expires=Thu, 01 Jan 1970/);
      assert.equal((await db().selectFrom('sessions').selectAll().execute()).length, 0);
      await agent.get(paths.admin).expect(303);
    });

    it('ends a session after 12 hours', async () => {
      const agent = await signedIn(h.app, 'ops@example.com');
      h.clock.advance(12 * 3600_000 + 1000);
      await agent.get(paths.admin).expect(303).expect('location', paths.adminLogin);
    });

    it('names the cookie __Host-sid and marks it Secure when PUBLIC_URL is https', async () => {
      const app = createApp({ ...h.deps, config: loadConfig({ PUBLIC_URL: 'https://pay.example.com', DEMO: 'false', LOG_LEVEL: 'silent' }) });
      const res = await request(app).get(paths.adminLogin).expect(200);
      assert.match(cookieOf(res)[0], /^__Host-sid=[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
      assert.deepEqual(
        sessionCookie({ publicUrl: 'http://internal:3000', production: true }).options.secure,
        true,
        'Secure in production even behind plain http',
      );
      assert.equal(sessionCookie({ publicUrl: 'http://localhost:3000', production: false }).name, 'sid');
    });
  });

  describe('merchant users', () => {
    beforeEach(async () => {
      await addUser(h.stores, 'ops@example.com', null, h.clock());
    });

    const inviteLinkOf = (html: string) => new URL(cheerio.load(html)('[data-user-link] code').text()).pathname;

    it('an operator invites a merchant user, who chooses their own password through a one-time link', async () => {
      const ops = await signedIn(h.app, 'ops@example.com');
      const form = await page(ops, paths.adminUsers);
      assert.deepEqual(
        form
          .$('#f-merchantId option')
          .map((_, o) => form.$(o).text())
          .get(),
        ['Toko Test'],
      );
      const invited = await ops
        .post(paths.adminUsers)
        .type('form')
        .send({ _csrf: form.csrf(), email: 'owner@toko.test', merchantId: h.merchant.id, merchantRole: 'owner' })
        .expect(200);
      const link = inviteLinkOf(invited.text);
      assert.match(link, /^\/admin\/welcome\/[\w-]{43}$/);
      const stored = await h.stores.users.byEmail('owner@toko.test');
      assert.equal(stored?.passwordHash, '', 'nobody chose a password for them');
      // No password signs in before the link is used.
      const before = request.agent(h.app);
      const login = await before.get(paths.adminLogin);
      await before
        .post(paths.adminLogin)
        .type('form')
        .send({ _csrf: csrfOf(login.text), email: 'owner@toko.test', password: '' })
        .expect(422);

      const browser = request.agent(h.app);
      const welcome = await browser.get(link).expect(200);
      await browser
        .post(link)
        .type('form')
        .send({ _csrf: csrfOf(welcome.text), password: 'short', confirm: 'short' })
        .expect(422);
      await browser
        .post(link)
        .type('form')
        .send({ _csrf: csrfOf(welcome.text), password: 'a long chosen password', confirm: 'a long chosen password' })
        .expect(303)
        .expect('location', paths.admin);
      const dash = await page(browser, paths.admin);
      assert.match(dash.$('h1').text(), /Toko Test/);
      await request(h.app).get(link).expect(410);
      const owner = await signedIn(h.app, 'owner@toko.test', 'a long chosen password');
      const mine = await page(owner, paths.adminUsers);
      assert.deepEqual(
        mine
          .$('tbody tr')
          .map((_, tr) => mine.$(tr).attr('data-user'))
          .get(),
        ['owner@toko.test'],
        "an owner sees only their merchant's users",
      );
    });

    it('shows field errors (422) for a bad e-mail, unknown merchant, taken e-mail', async () => {
      const ops = await signedIn(h.app, 'ops@example.com');
      const form = await page(ops, paths.adminUsers);
      const post = (body: Record<string, string>) =>
        ops
          .post(paths.adminUsers)
          .type('form')
          .send({ _csrf: form.csrf(), merchantRole: 'staff', ...body });
      let $ = cheerio.load((await post({ email: 'x', merchantId: 'nope' }).expect(422)).text);
      assert.match($('#e-email').text(), /valid e-mail/);
      assert.match($('#e-merchantId').text(), /Choose a merchant/);
      $ = cheerio.load((await post({ email: 'a@b.co', merchantId: '00000000-0000-4000-8000-000000000000' }).expect(422)).text);
      assert.match($('#e-merchantId').text(), /Choose a merchant/);
      $ = cheerio.load((await post({ email: 'ops@example.com', merchantId: h.merchant.id }).expect(422)).text);
      assert.match($('#e-email').text(), /already exists/);
      assert.equal($('#f-merchantId option[selected]').val(), h.merchant.id, 'the chosen merchant stays selected');
      assert.equal((await h.stores.users.list()).length, 1);
    });

    it('refuses without CSRF (403), and hides user management from staff users (404)', async () => {
      const ops = await signedIn(h.app, 'ops@example.com');
      await ops.post(paths.adminUsers).type('form').send({ email: 'owner@toko.test', merchantId: h.merchant.id, merchantRole: 'owner' }).expect(403);
      await h.stores.users.add(
        { ...(await addUser(h.stores, 'tmp@toko.test', h.merchant.id, h.clock())), email: 'staff@toko.test', merchantRole: 'staff' },
        h.clock(),
      );
      const staff = await signedIn(h.app, 'staff@toko.test');
      const dash = await page(staff, paths.admin);
      assert.equal(dash.$('nav.adminnav a[href="/admin/users"]').length, 0, 'no Users link for staff');
      await staff.get(paths.adminUsers).expect(404);
      await staff
        .post(paths.adminUsers)
        .type('form')
        .send({ _csrf: dash.csrf(), email: 'mine@toko.test', merchantId: h.merchant.id, merchantRole: 'owner' })
        .expect(404);
      assert.equal((await h.stores.users.list()).length, 3);
    });
  });
});
