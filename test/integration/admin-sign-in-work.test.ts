import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { addUser, clearAdminTables, page, PASSWORD } from '../helpers/admin.js';
import { createApp } from '../../app/server.js';
import { paths } from '../../app/paths.js';
import { LOGIN_IP_LIMIT, LOGIN_NETWORK_LIMIT } from '../../app/admin/auth/service.js';
import { hashPassword, verifyPassword } from '../../app/admin/auth/passwords.js';
import { createPasswordWork, type PasswordHasher } from '../../app/admin/auth/password-work.js';

/** A hasher whose checks end when the test says: each waits until `finishNext`, then verifies for real. */
function heldHasher() {
  const held: (() => void)[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let started = 0;
  const hasher: PasswordHasher = {
    hash: () => Promise.reject(new Error('not used here')),
    verify: (password, stored) =>
      new Promise<boolean>((resolve, reject) => {
        started++;
        held.push(() => verifyPassword(password, stored).then(resolve, reject));
        for (const w of waiters.filter((x) => x.n <= started)) w.resolve();
      }),
  };
  return {
    hasher,
    started: () => started,
    /** Resolves once n checks have started. */
    startedAt: (n: number) => new Promise<void>((resolve) => (n <= started ? resolve() : waiters.push({ n, resolve }))),
    finishNext: () => held.shift()!(),
  };
}

describeEachDatabase('admin: how much password hashing sign-ins may cause', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    // As behind one load balancer: the tests tell clients apart by X-Forwarded-For.
    h = await createHarness(db(), { env: { TRUST_PROXY: '1' } });
    await clearAdminTables(db());
    await addUser(h.stores, 'ops@example.com', null, h.clock());
  });
  afterEach(() => h.close());

  it(`pauses failed sign-ins from one IPv6 /48 after ${LOGIN_NETWORK_LIMIT}, however many /64s and e-mails they rotate through, and from one IPv4 /24 alike`, async () => {
    assert.ok(LOGIN_NETWORK_LIMIT > LOGIN_IP_LIMIT, 'one client alone never reaches its network limit');
    // The counters are under test, not scrypt: an unknown e-mail's check ends at once (the real one
    // takes as long as a known one's, see passwords.ts), which saves 120 scrypt runs.
    const quick: PasswordHasher = {
      hash: hashPassword,
      verify: (password, stored) => (stored === undefined ? Promise.resolve(false) : verifyPassword(password, stored)),
    };
    const app = createApp({ ...h.deps, passwords: createPasswordWork(quick) });
    // One browser for the guesses; a signed-in one would need the new session's CSRF token.
    const agent = request.agent(app);
    const csrf = (await page(agent, paths.adminLogin)).csrf();
    const attempt = (xff: string, email: string, password = 'a wrong guess') =>
      agent.post(paths.adminLogin).set('X-Forwarded-For', xff).type('form').send({ _csrf: csrf, email, password });
    const signIn = async (xff: string) => {
      const browser = request.agent(app);
      const token = (await page(browser, paths.adminLogin)).csrf();
      return browser.post(paths.adminLogin).set('X-Forwarded-For', xff).type('form').send({ _csrf: token, email: 'ops@example.com', password: PASSWORD });
    };

    // A new /64 of 2001:db8:5::/48 and a new e-mail each time: under every per-client, per-pair and per-e-mail limit.
    for (let i = 0; i < LOGIN_NETWORK_LIMIT; i++) await attempt(`2001:db8:5:${(i + 1).toString(16)}::1`, `guess${i}@example.com`).expect(401);
    const blocked = await attempt('2001:db8:5:ffff::1', 'ops@example.com', PASSWORD).expect(429);
    assert.ok(Number(blocked.headers['retry-after']) > 0 && Number(blocked.headers['retry-after']) <= 900);
    assert.match(cheerio.load(blocked.text)('h1').text(), /Too many sign-in attempts/);
    assert.equal((await signIn('2001:db8:6:1::1')).status, 303, 'another /48');

    // IPv4: a new address of 198.51.100.0/24 each time.
    for (let i = 0; i < LOGIN_NETWORK_LIMIT; i++) await attempt(`198.51.100.${i + 1}`, `v4guess${i}@example.com`).expect(401);
    await attempt('198.51.100.250', 'ops@example.com', PASSWORD).expect(429);
    assert.equal((await signIn('198.51.101.1')).status, 303, 'another /24');

    h.clock.advance(15 * 60_000);
    assert.equal((await signIn('2001:db8:5:ffff::1')).status, 303, 'the next window');
  });

  it('answers a sign-in 429 "busy" with Retry-After when every password check slot and queue place is taken, and checks no password for it', async () => {
    const held = heldHasher();
    // One check at a time and one waiting: this process's cap, made small (createApp makes the default).
    const app = createApp({ ...h.deps, passwords: createPasswordWork(held.hasher, { atOnce: 1, queued: 1 }) });
    /** A new browser at this forwarded address: the sign-in form, then the e-mail and password. */
    const signIn = async (xff: string, password: string) => {
      const agent = request.agent(app);
      const csrf = (await page(agent, paths.adminLogin)).csrf();
      return agent.post(paths.adminLogin).set('X-Forwarded-For', xff).type('form').send({ _csrf: csrf, email: 'ops@example.com', password });
    };

    const first = signIn('203.0.113.1', PASSWORD);
    await held.startedAt(1);
    // Of two more, one waits for the slot and the other finds the queue full: it is answered at once,
    // while the first check is still held.
    const others = [signIn('203.0.113.2', 'a wrong guess'), signIn('203.0.113.3', 'a wrong guess')];
    const busy = await Promise.race(others);
    assert.equal(busy.status, 429);
    assert.equal(busy.headers['retry-after'], '5');
    assert.equal(busy.headers['cache-control'], 'no-store');
    assert.equal(cheerio.load(busy.text)('h1').text().trim(), 'Sign-in is busy');
    assert.match(cheerio.load(busy.text)('main p').first().text(), /try again in 5 seconds/);
    assert.equal(held.started(), 1, 'the refused sign-in checked no password');

    held.finishNext();
    assert.equal((await first).status, 303);
    await held.startedAt(2); // the one that waited gets the slot
    held.finishNext();
    const statuses = (await Promise.all(others)).map((r) => r.status).sort();
    assert.deepEqual(statuses, [401, 429]);
    assert.equal(held.started(), 2);

    // Nothing is held any more: a sign-in goes through.
    const again = signIn('203.0.113.4', PASSWORD);
    await held.startedAt(3);
    held.finishNext();
    assert.equal((await again).status, 303);
  });
});
