import { strict as assert } from 'node:assert';
import request from 'supertest';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, REFUNDABLE, type Harness } from '../helpers/harness.js';
import { listPaidInvoices } from '../../app/jobs/sync/list-paid.js';
import { listRefundsJob } from '../../app/jobs/sync/list-refunds.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import { disputeCallbackPathFor } from '../../app/paths.js';
import type { XenditGateway } from '../../app/clients/xendit/types.js';

/**
 * The scheduled listings read Xendit with every stored key, not only the one in use: a merchant
 * holding a test and a live key may be testing while its live money moves (a lost callback, a
 * refund or withdrawal made at Xendit's dashboard, a chargeback), or the reverse. Each key's
 * findings are live or test money by that key: the organisation here is a real one (not a test
 * company), so test money must stay out of it, as it does in test mode.
 */
describeEachDatabase('scheduled listings: every stored Xendit key, each its own money', ({ db }) => {
  let h: Harness;
  let testKey: string;
  const LIVE_KEY = 'xnd_production_EveryKeyLive7788';
  beforeEach(async () => {
    h = await createHarness(db());
    testKey = h.merchant.xenditSecretKey;
    h.sims.xendit.registerAccount({ secretKey: LIVE_KEY, callbackToken: h.merchant.callbackToken, businessName: 'Toko Test' });
    await h.stores.merchants.setXenditKeys(h.merchant.id, { live: LIVE_KEY }, h.clock());
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { xeroTestOrganisation: false }, h.clock());
  });
  afterEach(() => h.close());

  const silent = pino({ level: 'silent' });
  const deps = (xendit: XenditGateway = h.sims.xenditClient) => ({ stores: h.stores, xendit, clock: h.clock, logger: silent });
  const switchTo = (mode: 'test' | 'live') => h.stores.merchants.switchXenditMode(h.merchant.id, mode, h.clock());
  const keyOf = (mode: 'test' | 'live') => (mode === 'live' ? LIVE_KEY : testKey);
  const other = (mode: 'test' | 'live') => (mode === 'live' ? 'test' : 'live');
  const notes = () => h.sims.xero.test.creditNotes(h.tenantId);
  const payment = async (x: { id: string }) => (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
  const jobsOf = async (kind: string) => (await h.stores.jobs.list()).filter((j) => j.kind === kind);

  /** Paid through the gateway in `mode` (switched to for the click), recorded (live) or kept out (test). */
  async function paidIn(mode: 'test' | 'live') {
    await switchTo(mode);
    const paid = await paidThroughGateway(h, { paidBy: REFUNDABLE });
    await h.worker.drain();
    assert.equal((await payment(paid.x)).syncState, mode === 'live' ? 'recorded' : 'test_mode');
    return paid;
  }

  /**
   * A Xendit client that dies at the `n`th listing call (as a worker killed mid-listing: what it
   * committed stays, nothing after it happens in that key's listing).
   */
  function dyingAt(n: number): XenditGateway {
    let calls = 0;
    const die = <A extends unknown[], R>(f: (...a: A) => Promise<R>) => {
      return async (...a: A): Promise<R> => {
        if (++calls >= n) throw new Error('worker killed mid-listing');
        return f(...a);
      };
    };
    const x = h.sims.xenditClient;
    return {
      ...x,
      listPaidInvoicesPage: die(x.listPaidInvoicesPage.bind(x)),
      listRefunds: die(x.listRefunds.bind(x)),
      listWithdrawals: die(x.listWithdrawals.bind(x)),
    };
  }

  describe('paid invoices (backend flow)', () => {
    const OPTS = { pageSize: 1, maxPages: 5, lookbackMinutes: 60, lagSeconds: 60 };
    const sales = (id: string) => h.sims.xero.invoicesOf(h.tenantId).filter((i) => i.reference === `Xendit ${id}`);
    beforeEach(() => h.stores.db.updateTable('merchants').set({ backend_flow: true }).where('id', '=', h.merchant.id).execute());

    async function paidOutside(mode: 'test' | 'live', minutesAgo = 10) {
      const x = h.sims.xendit.createInvoice({ account: keyOf(mode), currency: 'IDR', amount: 250_000, description: 'Catering', customerName: 'Sari' });
      await h.sims.xendit.pay(x.id, { sendCallback: false });
      h.sims.xendit.getInvoice(x.id)!.paidAt = new Date(h.clock().getTime() - minutesAgo * 60_000);
      return x;
    }

    for (const mode of ['live', 'test'] as const) {
      it(`a ${mode} sale made outside Xero, its callback lost while ${other(mode)} mode is in use, is found and handled as ${mode} money`, async () => {
        await switchTo(other(mode));
        const x = await paidOutside(mode);
        await listPaidInvoices(deps(), OPTS);
        await h.worker.drain();
        const [job] = (await jobsOf('record-backend-payment')).filter((j) => j.payload.xenditInvoiceId === x.id);
        assert.equal(job?.state, 'done', 'the listing found it (was: the key in use lists nothing of the other account)');
        if (mode === 'live') {
          assert.equal(sales(x.id).length, 1, 'one sale in Xero');
          const p = await payment(x);
          assert.equal(p.syncState, 'recorded');
          assert.equal(p.feeState, 'posted', p.feeError ?? 'its fee read with the live key, where the sale is');
        } else {
          assert.equal(sales(x.id).length, 0, 'test money never reaches real books');
          assert.equal(await h.stores.payments.byXenditInvoice(h.merchant.id, x.id), null);
        }
      });
    }

    it('a run killed mid-listing, then run again: each key continues from its own cursor and every sale is booked once', async () => {
      const live = [await paidOutside('live', 30), await paidOutside('live', 20), await paidOutside('live', 10)];
      await listPaidInvoices(deps(dyingAt(3)), OPTS); // the test key's page, the first live page, then dies
      await listPaidInvoices(deps(), OPTS);
      await listPaidInvoices(deps(), OPTS);
      await h.worker.drain();
      for (const x of live) assert.equal(sales(x.id).length, 1, 'one sale each');
      assert.equal((await jobsOf('record-backend-payment')).length, 3);
      assert.ok((await h.stores.listing.cursor(h.merchant.id, 'live')).paidAfter, 'the live key keeps its own cursor');
    });
  });

  describe('refunds', () => {
    const list = (xendit?: XenditGateway) => listRefundsJob(deps(xendit))();
    const refundRow = (id: string) => h.stores.refunds.byXenditId(h.merchant.id, id);

    for (const mode of ['live', 'test'] as const) {
      it(`a ${mode} payment refunded at Xendit with no webhook while ${other(mode)} mode is in use is found and handled as ${mode} money`, async () => {
        const { x } = await paidIn(mode);
        await switchTo(other(mode));
        const refund = await h.sims.xendit.refund(x.id, { sendWebhook: false });
        await list();
        await h.worker.drain();
        const row = await refundRow(refund.id);
        assert.equal(row?.state, mode === 'live' ? 'recorded' : 'test_mode', 'found by the listing (was: never)');
        assert.equal(notes().length, mode === 'live' ? 1 : 0, 'test money never reaches real books');
      });
    }

    it('a run killed mid-listing, then run again: every refund of both keys booked once', async () => {
      const a = await paidIn('live');
      const b = await paidIn('live');
      await switchTo('test');
      const ra = await h.sims.xendit.refund(a.x.id, { sendWebhook: false });
      const rb = await h.sims.xendit.refund(b.x.id, { sendWebhook: false });
      await list(dyingAt(2)); // the test key's listing, then dies at the live key's
      await h.worker.drain();
      await list();
      await list();
      await h.worker.drain();
      for (const r of [ra, rb]) assert.equal((await refundRow(r.id))?.state, 'recorded');
      assert.equal(notes().length, 2, 'one credit note each');
      assert.equal((await jobsOf('record-refund')).length, 2);
    });
  });

  describe('withdrawals', () => {
    let savings: string;
    const list = (xendit?: XenditGateway) => listWithdrawalsJob(deps(xendit))();
    const transfers = () => h.sims.xero.test.bankTransfers(h.tenantId);
    beforeEach(async () => {
      savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
      await h.stores.settlements.saveAndResume(h.merchant.id, { IDR: savings }, () => '', h.clock());
    });

    /** Money of a payment in `mode`'s account, settled, then withdrawn there. */
    async function withdrawnIn(mode: 'test' | 'live', amount = 100_000) {
      const { x } = await paidIn(mode);
      await h.sims.xendit.settle(x.id);
      await h.worker.drain();
      return h.sims.xendit.test.withdraw(keyOf(mode), 'IDR', amount);
    }

    for (const mode of ['live', 'test'] as const) {
      it(`a ${mode} withdrawal made while ${other(mode)} mode is in use is found and handled as ${mode} money`, async () => {
        const w = await withdrawnIn(mode);
        await switchTo(other(mode));
        await list();
        await h.worker.drain();
        const row = await h.stores.settlements.byXenditId(h.merchant.id, w.id);
        assert.equal(row?.state, mode === 'live' ? 'recorded' : 'test_mode', 'found by the listing (was: never)');
        assert.equal(transfers().length, mode === 'live' ? 1 : 0, 'test money never reaches real books');
      });
    }

    it('a run killed mid-listing, then run again: every withdrawal of both keys booked once', async () => {
      const a = await withdrawnIn('live', 100_000);
      const b = await withdrawnIn('live', 50_000);
      await switchTo('test');
      await list(dyingAt(15)); // the test key's listings, some of the live key's, then dies
      await h.worker.drain();
      await list();
      await list();
      await h.worker.drain();
      for (const w of [a, b]) assert.equal((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.state, 'recorded');
      assert.equal(transfers().length, 2, 'one transfer each');
    });
  });

  describe('the daily look at open disputes', () => {
    const webhook = (disputeId: string, status: string) =>
      request(h.app)
        .post(disputeCallbackPathFor(h.merchant.id))
        .set('x-callback-token', h.merchant.callbackToken)
        .send({ event: `dispute.${status.toLowerCase()}`, id: disputeId, status, currency: 'IDR', amount: { initial: '1.00', terminal: null } });

    for (const mode of ['live', 'test'] as const) {
      it(`a ${mode} payment's dispute lost with no webhook while ${other(mode)} mode is in use is found and handled as ${mode} money`, async () => {
        const { x } = await paidIn(mode);
        const { id } = await h.sims.xendit.dispute(x.id, { sendWebhook: false });
        await webhook(id, 'ACTION_REQUIRED').expect(200);
        await h.worker.drain();
        await switchTo(other(mode));
        await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
        h.clock.advance(86_400_000 + 1000);
        await listRefundsJob(deps())();
        await h.worker.drain();
        const disputes = await jobsOf('record-dispute');
        assert.ok(!disputes.some((j) => j.payload.status === 'GONE'), 'read where it is (was: "Xendit no longer has this dispute", in review)');
        const row = await h.stores.refunds.byXenditId(h.merchant.id, id);
        assert.equal(row?.state, mode === 'live' ? 'recorded' : 'test_mode');
        assert.equal(notes().length, mode === 'live' ? 1 : 0, 'test money never reaches real books');
        assert.deepEqual(await h.stores.openDisputes.due(new Date('9999-01-01T00:00:00Z'), 10), []);
      });
    }
  });
});
