import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { sql } from 'kysely';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { page, seedAdminCast, signedIn, versionOf, type Agent } from '../helpers/admin.js';
import { adminMerchantPath } from '../../app/paths.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import { JOB_SPECS } from '../../app/jobs/kinds.js';
import { createSettlementStore, type Withdrawal } from '../../app/store/settlements.js';

/**
 * A withdrawal's job that found no settlement bank account sets the withdrawal waiting; the save of
 * an account resumes the waiting ones. The two meet under the merchant's row lock (store/settlements.ts
 * `waiting`, `saveAndResume`), so whichever commits second sees the other: never a withdrawal left
 * waiting, or pending with its job done, while an account for its currency is saved. Each
 * interleaving is forced by a hook and a look at the database's lock waits, never by timing.
 */
describeEachDatabase('a withdrawal set waiting while its settlement bank account is being saved', ({ db }) => {
  let h: Harness;
  let savings: string;
  beforeEach(async () => {
    h = await createHarness(db());
    await seedAdminCast(h, db());
    savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
  });
  afterEach(() => h.close());

  const transfers = () => h.sims.xero.test.bankTransfers(h.tenantId);
  const row = (id: string) => h.stores.settlements.byXenditId(h.merchant.id, id);
  const jobKey = (w: Withdrawal) => JOB_SPECS['record-withdrawal'].dedupeKey(w);
  const list = () => listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();

  /** Paid, settled, part of it withdrawn at Xendit, and the listing has queued its job. */
  async function withdrawnAndListed() {
    const { x } = await paidThroughGateway(h);
    await h.worker.drain();
    await h.sims.xendit.settle(x.id);
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 50_000);
    await list();
    return w;
  }

  /** The worker runs, then a few minutes more (a job told to run again soon). */
  async function worked(id: string) {
    await h.worker.drain();
    for (let i = 0; i < 5 && (await row(id))?.state !== 'recorded'; i++) {
      h.clock.advance(60_000);
      await h.worker.drain();
    }
  }

  /** Some session of this test's database is waiting for a lock. */
  async function someoneWaitsForALock(): Promise<boolean> {
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(h.stores.db);
    return rows[0].n > 0;
  }

  async function pick(agent: Agent) {
    const form = await page(agent, adminMerchantPath(h.merchant.id, 'adminMerchantSettings'));
    const version = versionOf(form.$, 'form[action$="/settings/settlement"]');
    await agent
      .post(adminMerchantPath(h.merchant.id, 'adminMerchantSettlement'))
      .type('form')
      .send({ _csrf: form.csrf(), version, settlement_IDR: savings })
      .expect(303);
  }

  function booked(id: string) {
    assert.equal(transfers().length, 1, 'one transfer');
    assert.equal(transfers()[0].toAccountId, savings);
    assert.equal(transfers()[0].reference, `Xendit withdrawal ${id}`);
  }

  it('the account saved while the job looks (written, not committed): the job waits for the commit, reads the account, and books the withdrawal', async () => {
    const w = await withdrawnAndListed();
    const settlements = h.stores.settlements;
    const [readAccount, setWaiting] = [settlements.accountFor, settlements.waiting];
    let wrote = false;
    settlements.waiting = async (...args) => {
      try {
        return await setWaiting(...args);
      } finally {
        wrote = true;
      }
    };
    let save: Promise<number> | undefined;
    // The job reads no account; the save then takes the merchant's row, writes the account and
    // resumes the waiting withdrawals (none yet), and holds its commit until the job's write has
    // either ended or is seen waiting for a lock.
    settlements.accountFor = async (...args) => {
      const read = await readAccount(...args);
      if (save) return read;
      assert.equal(read, null, 'no account picked yet');
      let inside!: () => void;
      const held = new Promise<void>((resolve) => (inside = resolve));
      const saver = createSettlementStore(h.stores.db, {
        beforeCommit: async () => {
          inside();
          while (!wrote && !(await someoneWaitsForALock())) await new Promise(setImmediate);
        },
      });
      save = saver.saveAndResume(h.merchant.id, { IDR: savings }, jobKey, h.clock(), () => undefined);
      await held;
      return read;
    };
    await worked(w.id);
    assert.equal(await save, 0, 'nothing was waiting when the save looked');
    assert.equal((await row(w.id))?.state, 'recorded', 'not stranded in waiting with its account saved');
    booked(w.id);
  });

  it('the account saved after the job set the withdrawal waiting, before its job ended: the save queues it again and it is booked', async () => {
    const w = await withdrawnAndListed();
    const agent = await signedIn(h.app, 'a@toko.test');
    const settlements = h.stores.settlements;
    const setWaiting = settlements.waiting;
    let picked = false;
    settlements.waiting = async (...args) => {
      const r = await setWaiting(...args);
      if (!picked) {
        picked = true;
        assert.equal(r, 'waiting');
        await pick(agent);
        assert.equal((await row(w.id))?.state, 'pending', 'resumed by the save');
      }
      return r;
    };
    await worked(w.id);
    assert.equal(picked, true);
    assert.equal((await row(w.id))?.state, 'recorded', 'not left pending with its job done');
    booked(w.id);
  });
});
