import { strict as assert } from 'node:assert';
import request from 'supertest';
import { sql } from 'kysely';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { clearAdminTables } from '../helpers/admin.js';
import { paths } from '../../app/paths.js';
import { scheduleHousekeeping, startSchedules } from '../../app/jobs/schedules.js';
import { loadConfig } from '../../config/index.js';

const FLOOD = 10_000;

describeEachDatabase('housekeeping', ({ db }) => {
  let h: Harness;
  // Mocha fails a timed-out test but does not stop its body: afterEach waits for it, or the next
  // beforeEach's truncate deadlocks with the writes it is still making.
  let running: Promise<unknown> | undefined;
  beforeEach(async () => {
    h = await createHarness(db());
    await clearAdminTables(db());
    await sql`truncate xero_oauth_states`.execute(db());
  });
  afterEach(async () => {
    await running?.catch(() => undefined);
    running = undefined;
    await h.close();
  });

  const rows = async (table: 'sessions' | 'login_attempts' | 'rate_limits' | 'xero_oauth_states') =>
    Number(
      (
        await db()
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  async function runHousekeeping() {
    assert.ok(await scheduleHousekeeping(h, 10));
    await h.worker.drain();
  }

  it(`keeps the tables bounded under a flood of ${FLOOD} sign-in pages, sessions, login attempts and clients`, async function () {
    this.timeout(120_000);
    await (running = floodThenPrune());
  });

  async function floodThenPrune() {
    // Anonymous GET /admin/login writes no session (the cookie carries the form's CSRF token).
    for (let i = 0; i < 100; i += 20) {
      await Promise.all(Array.from({ length: 20 }, () => request(h.app).get(paths.adminLogin).expect(200)));
    }
    assert.equal(await rows('sessions'), 0);
    // Signed-in sessions left behind (12 hours each), written in one statement: 10 000 sign-ins
    // over HTTP take minutes and housekeeping cannot tell the difference.
    const user = await h.stores.users.add({ email: 'ops@example.com', passwordHash: 'x', role: 'operator', merchantId: null }, h.clock());
    await h.stores.sessions.create(
      { idHash: 'signed-in', userId: user.id, csrfToken: 'c', expiresAt: new Date(h.clock().getTime() + 12 * 3600_000) },
      h.clock(),
    );
    await sql`
      insert into sessions (id_hash, user_id, csrf_token, created_at, expires_at)
      select s.id_hash || '-' || g, s.user_id, s.csrf_token, s.created_at, s.expires_at
      from sessions s cross join generate_series(1, ${FLOOD - 1}::int) g`.execute(db());
    assert.equal(await rows('sessions'), FLOOD);
    for (let i = 0; i < 300; i++) await h.stores.sessions.countAttempt(`guess-${i}`, h.clock(), 15 * 60_000);
    for (let i = 0; i < 300; i += 50)
      await h.stores.rateLimits.hit(Array.from({ length: 50 }, (_, j) => ({ key: `pay:ip:203.0.${i}.${j}`, windowStart: h.clock() })));
    for (let i = 0; i < 20; i++)
      await h.stores.xeroConnections.createState(
        {
          stateHash: `s${i}`,
          sessionHash: 'x',
          userId: user.id,
          merchantId: null,
          codeVerifier: 'v',
          nonce: 'n',
          expiresAt: new Date(h.clock().getTime() + 10 * 60_000),
        },
        h.clock(),
      );

    await runHousekeeping(); // nothing has expired yet
    assert.equal(await rows('sessions'), FLOOD);
    assert.equal(await rows('login_attempts'), 300);

    h.clock.advance(24 * 3600_000 + 60_000);
    const live = await request.agent(h.app).get(paths.adminLogin).expect(200); // a visitor on the page: a cookie, no row
    assert.ok(live.headers['set-cookie']);
    await runHousekeeping();
    assert.deepEqual(
      {
        sessions: await rows('sessions'),
        loginAttempts: await rows('login_attempts'),
        rateLimits: await rows('rate_limits'),
        oauthStates: await rows('xero_oauth_states'),
      },
      { sessions: 0, loginAttempts: 0, rateLimits: 0, oauthStates: 0 },
    );
  }

  it('is scheduled by the worker even with reconciliation and the listing turned off', async () => {
    await sql`delete from jobs where kind = 'housekeeping'`.execute(db());
    const config = loadConfig({
      DEMO: 'false',
      RECONCILE_INTERVAL_MINUTES: '0',
      BACKEND_LISTING_INTERVAL_MINUTES: '0',
      HOUSEKEEPING_INTERVAL_MINUTES: '5',
      XERO_KEEPALIVE_DAYS: '0',
      OPEN_CHECKOUT_CHECK_MINUTES: '0',
      ALERT_DIGEST_MINUTES: '0',
      OPEN_INVOICE_SYNC_MINUTES: '0',
      REFUND_LIST_MINUTES: '0',
      WITHDRAWAL_LIST_MINUTES: '0',
    });
    let woken!: () => void;
    const wake = new Promise<void>((resolve) => (woken = resolve));
    const stop = startSchedules({ stores: h.stores, clock: h.clock, logger: pino({ level: 'silent' }), config }, { ...h.worker, wake: () => woken() });
    try {
      await wake;
    } finally {
      stop();
    }
    const kinds = (await db().selectFrom('jobs').select('kind').where('state', '=', 'queued').execute()).map((j) => j.kind);
    assert.deepEqual(kinds, ['housekeeping']);
  });
});
