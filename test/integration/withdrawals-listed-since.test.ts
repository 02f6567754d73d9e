import { strict as assert } from 'node:assert';
import { sql } from 'kysely';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { addUser, clearAdminTables, page, signedIn, type Agent } from '../helpers/admin.js';
import { Crashed, dieAt } from '../helpers/crash.js';
import { adminMerchantPath } from '../../app/paths.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import { listedSince } from '../../app/jobs/sync/key-business.js';
import { JOB_SPECS } from '../../app/jobs/kinds.js';
import type { Stores } from '../../app/store/index.js';
import type { CrashHook } from '../../app/jobs/sync/crash-points.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * A Xendit account's withdrawals and other balance movements are booked out of the clearing account
 * only from when a key of its business was first stored for the merchant (and mode): before that,
 * they took money the gateway never booked in. Listing them from the merchant's creation (or 45
 * days back) left the clearing account short by their sum when a merchant who began in test mode
 * saved the live key of a business it already ran, or saved a key of another business.
 */
describeEachDatabase("withdrawals and movements listed only from when the key's business is the merchant's", ({ db }) => {
  let h: Harness;
  let ops: Agent;
  let suspense: string;
  /** When the test begins; the merchant was added 30 days before it, in test mode. */
  let t0: number;
  /** What the Xendit simulator dates a movement with, when set (else the test's clock). */
  let simAt: Date | null;
  beforeEach(async () => {
    h = await createHarness(db());
    await clearAdminTables(db());
    await addUser(h.stores, 'ops@example.com', null);
    ops = await signedIn(h.app, 'ops@example.com');
    t0 = h.clock().getTime();
    simAt = null;
    h.sims.xendit.test.useClock(() => simAt ?? h.clock());
    await h.stores.db
      .updateTable('merchants')
      .set({ created_at: new Date(t0 - 30 * DAY) })
      .where('id', '=', h.merchant.id)
      .execute();
    const savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
    await h.stores.settlements.saveAndResume(h.merchant.id, { IDR: savings }, (w) => JOB_SPECS['record-withdrawal'].dedupeKey(w), h.clock());
    // Other balance movements booked from 29 days ago: the setting is older than the live key.
    suspense = h.sims.xero.addAccount(h.tenantId, { code: '899', name: 'Xendit other movements', type: 'CURRENT' }).code;
    await h.stores.merchants.setSettings(h.merchant.id, { otherMovementsAccountCode: suspense }, h.clock());
    await h.stores.db
      .updateTable('merchants')
      .set({ other_movements_since: new Date(t0 - 29 * DAY) })
      .where('id', '=', h.merchant.id)
      .execute();
  });
  afterEach(() => {
    h.sims.xendit.test.useClock();
    return h.close();
  });

  const silent = pino({ level: 'silent' });
  const list = (dying?: { stores: Stores; crash: CrashHook }) =>
    listWithdrawalsJob({ stores: dying?.stores ?? h.stores, crash: dying?.crash, xendit: h.sims.xenditClient, clock: h.clock, logger: silent })();
  const transfersOf = (id: string) => h.sims.xero.test.bankTransfers(h.tenantId).filter((t) => t.reference.endsWith(` ${id}`));
  const movementsOf = (id: string) =>
    h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === `Xendit movement ${id}` && t.status === 'AUTHORISED');
  const jobsOf = async (kind: string) => (await h.stores.jobs.list()).filter((j) => j.kind === kind);
  const at = (ms: number) => new Date(t0 + ms);

  /** An account at Xendit with a history: topped up, then withdrawn from and paid out of, on the days given (before the test began). */
  function accountWithHistory(secretKey: string, withdrawnDaysAgo: number[], userId?: string) {
    h.sims.xendit.registerAccount({ secretKey, callbackToken: h.merchant.callbackToken, businessName: 'Toko Lama', ...(userId ? { userId } : {}) });
    simAt = at(-44 * DAY);
    const topUp = h.sims.xendit.test.movement(secretKey, { type: 'TOPUP', currency: 'IDR', amount: 10_000_000, cashflow: 'MONEY_IN' });
    simAt = at(-3 * DAY);
    const payout = h.sims.xendit.test.movement(secretKey, { type: 'DISBURSEMENT', currency: 'IDR', amount: 50_000, cashflow: 'MONEY_OUT' });
    simAt = null;
    const withdrawn = withdrawnDaysAgo.map((d) => h.sims.xendit.test.withdraw(secretKey, 'IDR', 100_000 + d, { at: at(-d * DAY) }).id);
    return { before: withdrawn, movementsBefore: [topUp.id, payout.id] };
  }

  /** The operator saves a key in the admin (`confirm`: the warning that it is another business's, confirmed). */
  async function saveKey(field: 'testKey' | 'liveKey', key: string, confirm = false) {
    const url = adminMerchantPath(h.merchant.id, 'adminMerchantXendit');
    const form = await page(ops, url);
    await ops
      .post(url)
      .type('form')
      .send({ _csrf: form.csrf(), testKey: '', liveKey: '', callbackToken: '', [field]: key, ...(confirm ? { otherBusiness: 'confirmed' } : {}) })
      .expect(303);
  }

  /** After the save: a withdrawal and a payout at Xendit an hour later. */
  function movedAfter(secretKey: string) {
    h.clock.advance(HOUR);
    const withdrawal = h.sims.xendit.test.withdraw(secretKey, 'IDR', 77_000).id;
    const payout = h.sims.xendit.test.movement(secretKey, { type: 'DISBURSEMENT', currency: 'IDR', amount: 33_000, cashflow: 'MONEY_OUT' }).id;
    h.clock.advance(HOUR);
    return { withdrawal, payout };
  }

  /** Listed twice: what moved before the key's business was the merchant's is not booked (nor made a row); what moved after, once. */
  async function bookedFromTheSave(
    history: { before: string[]; movementsBefore: string[] },
    after: { withdrawal: string; payout: string },
    more: string[] = [],
  ) {
    for (let run = 0; run < 2; run++) {
      await list();
      await h.worker.drain();
    }
    for (const id of [...history.before, ...more]) {
      assert.equal(transfersOf(id).length, 0, `withdrawn before the key was saved: not booked (${id})`);
      assert.equal(await h.stores.settlements.byXenditId(h.merchant.id, id), null, id);
    }
    for (const id of history.movementsBefore) assert.equal(movementsOf(id).length, 0, `moved before the key was saved: not booked (${id})`);
    assert.equal(transfersOf(after.withdrawal).length, 1, 'withdrawn after the save: booked once');
    assert.equal((await h.stores.settlements.byXenditId(h.merchant.id, after.withdrawal))?.state, 'recorded');
    assert.equal(movementsOf(after.payout).length, 1, 'paid out after the save: booked once');
    assert.deepEqual(
      (await jobsOf('record-withdrawal')).map((j) => j.payload.xenditTransactionId),
      [after.withdrawal],
    );
  }

  it('A: a merchant begun in test mode saves the live key of its running business three weeks later: the daily withdrawals before it are not booked, those after it once', async () => {
    const LIVE = 'xnd_production_RunningBiz4411';
    const history = accountWithHistory(LIVE, [21, 20, 14, 7, 1]);
    // One withdrawn a week before the save comes back from the bank after it: nothing of it is ours either.
    const bounced = h.sims.xendit.test.withdraw(LIVE, 'IDR', 12_345, { at: at(-7 * DAY + HOUR) }).id;
    // The test key's listing has run all along.
    await list();
    await saveKey('liveKey', LIVE);
    h.clock.advance(30 * 60_000);
    h.sims.xendit.test.reverseWithdrawal(LIVE, bounced, h.clock());
    await bookedFromTheSave(history, movedAfter(LIVE), [bounced]);
    const business = h.sims.xendit.test.account(LIVE)!.userId;
    const rows = await h.stores.db.selectFrom('xendit_listed_since').selectAll().where('merchant_id', '=', h.merchant.id).execute();
    assert.deepEqual(
      rows.filter((r) => r.mode === 'live').map((r) => [r.business_id, new Date(r.since).getTime()]),
      [[business, t0]],
      'listed from the save',
    );
  });

  it("B: a key of another business replaces the test key: that account's 45 days of history are not booked, what moves after the save is, once", async () => {
    const OTHER = 'xnd_development_OtherBiz9911';
    const history = accountWithHistory(OTHER, [40, 20, 2]);
    await list();
    await saveKey('testKey', OTHER, true);
    await bookedFromTheSave(history, movedAfter(OTHER));
  });

  it("a key rotated within the same business keeps when its business became the merchant's: what moved between the two saves is still booked", async () => {
    const LIVE = 'xnd_production_RotatedBiz1',
      NEXT = 'xnd_production_RotatedBiz2';
    const history = accountWithHistory(LIVE, [5]);
    await saveKey('liveKey', LIVE);
    const between = h.sims.xendit.test.withdraw(LIVE, 'IDR', 55_000, { at: at(2 * DAY) }).id;
    h.clock.advance(10 * DAY);
    h.sims.xendit.registerAccount({
      secretKey: NEXT,
      callbackToken: h.merchant.callbackToken,
      businessName: 'Toko Lama',
      userId: h.sims.xendit.test.account(LIVE)!.userId,
    });
    ops = await signedIn(h.app, 'ops@example.com'); // the session of ten days ago has ended
    await saveKey('liveKey', NEXT);
    const after = movedAfter(NEXT);
    for (let run = 0; run < 2; run++) {
      await list();
      await h.worker.drain();
    }
    assert.equal(transfersOf(history.before[0]).length, 0, 'withdrawn before the first key: not booked');
    assert.equal(transfersOf(between).length, 1, 'withdrawn between the two keys: booked once (the rotation did not move the start)');
    assert.equal(transfersOf(after.withdrawal).length, 1);
    const rows = await h.stores.db.selectFrom('xendit_listed_since').selectAll().where('merchant_id', '=', h.merchant.id).where('mode', '=', 'live').execute();
    assert.deepEqual(
      rows.map((r) => new Date(r.since).getTime()),
      [t0],
      'one start for the business: the first save',
    );
  });

  it('a key whose account could not tell its business at the save (nothing in it yet) is listed from the save once its business is found', async () => {
    const LIVE = 'xnd_production_EmptyAtSave77';
    h.sims.xendit.registerAccount({ secretKey: LIVE, callbackToken: h.merchant.callbackToken, businessName: 'Toko Baru' });
    await saveKey('liveKey', LIVE);
    assert.equal((await h.stores.xenditBusinesses.of(h.merchant.id, 'live'))?.businessId, null, 'not known at the save');
    simAt = at(DAY);
    h.sims.xendit.test.movement(LIVE, { type: 'TOPUP', currency: 'IDR', amount: 1_000_000, cashflow: 'MONEY_IN' });
    simAt = null;
    const withdrawn = h.sims.xendit.test.withdraw(LIVE, 'IDR', 400_000, { at: at(DAY + HOUR) }).id;
    h.clock.advance(2 * DAY);
    await list();
    await h.worker.drain();
    assert.equal(transfersOf(withdrawn).length, 1, 'withdrawn after the save, before the first listing that found the business: booked');
    assert.equal((await h.stores.xenditBusinesses.of(h.merchant.id, 'live'))?.listedSince?.getTime(), t0, 'from the save, not from when it was found');
  });

  it('a key of the business found after its save (its account could not tell then) keeps the start an earlier key of that business was stored with', async () => {
    const LIVE = 'xnd_production_FoundAgain5';
    accountWithHistory(LIVE, [5]);
    await saveKey('liveKey', LIVE);
    // As a rotation to a key whose account could not tell its business at the save leaves it: unknown, dated that save.
    h.clock.advance(10 * DAY);
    await h.stores.db
      .updateTable('xendit_key_businesses')
      .set({ business_id: null, looked_at: h.clock() })
      .where('merchant_id', '=', h.merchant.id)
      .where('mode', '=', 'live')
      .execute();
    h.clock.advance(DAY);
    const merchant = (await h.stores.merchants.byId(h.merchant.id))!;
    const since = await listedSince({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: silent }, merchant, 'live', LIVE);
    assert.equal(since?.getTime(), t0, 'the first save of a key of the business, not the later one');
    assert.equal((await h.stores.xenditBusinesses.of(h.merchant.id, 'live'))?.listedSince?.getTime(), t0);
  });

  it('A, killed after the first withdrawal row is made: the re-run books each withdrawal after the save once, and none before it', async () => {
    const LIVE = 'xnd_production_RunningBiz4412';
    const history = accountWithHistory(LIVE, [21, 14, 7]);
    await saveKey('liveKey', LIVE);
    const after = movedAfter(LIVE);
    const dying = dieAt(h.stores, 'withdrawal-listing-row-made');
    await list(dying).catch((err: unknown) => assert.ok(err instanceof Crashed, String(err)));
    assert.ok(dying.died(), 'the run reached its crash point');
    assert.equal((await jobsOf('record-withdrawal')).length, 0, 'at the moment of death: no job yet');
    await bookedFromTheSave(history, after);
  });

  it("migration: the key businesses recorded so far are listed from the merchant's creation, as before it", async () => {
    const { up, down } = await import('../../app/store/migrations/20261207T0526_xendit_listed_since.js');
    await h.stores.db
      .insertInto('xendit_key_businesses')
      .values([
        { merchant_id: h.merchant.id, mode: 'test', business_id: 'biz-test', shared_business: null, looked_at: at(-DAY) },
        { merchant_id: h.merchant.id, mode: 'live', business_id: null, shared_business: null, looked_at: at(-DAY) },
      ])
      .execute();
    await down(h.stores.db);
    await up(h.stores.db);
    const rows = await sql<{
      mode: string;
      business_id: string;
      since: Date;
    }>`select mode, business_id, since from xendit_listed_since where merchant_id = ${h.merchant.id}`.execute(h.stores.db);
    assert.deepEqual(
      rows.rows.map((r) => [r.mode, r.business_id, new Date(r.since).getTime()]),
      [['test', 'biz-test', t0 - 30 * DAY]],
    );
  });
});
