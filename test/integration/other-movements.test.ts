import { strict as assert } from 'node:assert';
import type { KyselyPlugin } from 'kysely';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { addedAtTheTestsStart, box, createHarness, paidThroughGateway, REFUNDABLE, type Harness } from '../helpers/harness.js';
import { createStores } from '../../app/store/index.js';
import { page, saveSettings, seedAdminCast, signedIn } from '../helpers/admin.js';
import { adminMerchantPath, disputeCallbackPathFor, refundCallbackPathFor } from '../../app/paths.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import { recordOtherMovementJob } from '../../app/jobs/sync/record-other-movement.js';
import { enqueue } from '../../app/jobs/enqueue.js';
import { UNSETTLED_MS } from '../../app/jobs/sync/send-once.js';
import { reconciliationReport } from '../../app/report/reconcile.js';
import { balances } from '../../app/admin/payments/balances.js';
import { decodeMessage } from '../../app/i18n/index.js';

const BANK_TRANSACTIONS = '/api.xro/2.0/BankTransactions';

/**
 * Issue "books that close themselves": Xendit's other balance movements (a transfer out, a top-up,
 * a payout, …) booked on the clearing account against the account the merchant picked, once each,
 * so the clearing account ends equal to Xendit's balance.
 */
describeEachDatabase("other movements: Xendit's other balance movements booked in Xero", ({ db }) => {
  let h: Harness;
  let suspense: string;
  beforeEach(async () => {
    h = await createHarness(db());
    await seedAdminCast(h, db());
    suspense = h.sims.xero.addAccount(h.tenantId, { code: '899', name: 'Xendit other movements', type: 'CURRENT' }).code;
    // Movements are dated by the test's clock, so that "before the setting was turned on" is exact.
    h.sims.xendit.test.useClock(h.clock);
    await addedAtTheTestsStart(h);
  });
  afterEach(() => {
    h.sims.xendit.test.useClock();
    return h.close();
  });

  const key = () => h.merchant.xenditSecretKey;
  const list = () => listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
  const booked = (id: string) => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === `Xendit movement ${id}` && t.status === 'AUTHORISED');
  const turnOn = async (code = suspense) => {
    await h.stores.merchants.setSettings(h.merchant.id, { otherMovementsAccountCode: code }, h.clock());
    h.clock.advance(60_000);
  };
  const reportAroundToday = async () => {
    const day = (offset: number) => new Date(h.clock().getTime() + offset * 86_400_000).toISOString().slice(0, 10);
    const merchant = (await h.stores.merchants.byId(h.merchant.id))!;
    return reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores }, merchant, { from: day(-1), to: day(1) });
  };

  /** A payment recorded and settled into the Xendit balance: 145 650 IDR after Xendit's fee. */
  async function settledPayment() {
    const { x } = await paidThroughGateway(h);
    await h.worker.drain();
    await h.sims.xendit.settle(x.id, { sendCallback: false });
  }

  it('a TRANSFER out and a TOPUP in become one Spend and one Receive Money on the clearing account, listed twice or not; the report shows them booked and the clearing account is the Xendit balance', async () => {
    await settledPayment();
    await turnOn();
    // Fees billed monthly paid from the cash balance into the Billing Balance; then the owner tops up.
    const out = h.sims.xendit.test.movement(key(), { type: 'TRANSFER_OUT', currency: 'IDR', amount: 20_000, cashflow: 'MONEY_OUT' });
    const into = h.sims.xendit.test.movement(key(), { type: 'TOPUP', currency: 'IDR', amount: 50_000, cashflow: 'MONEY_IN' });
    await list();
    await h.worker.drain();
    await list();
    await h.worker.drain();

    const [spend, ...moreSpend] = booked(out.id);
    const [receive, ...moreReceive] = booked(into.id);
    assert.equal(moreSpend.length + moreReceive.length, 0, 'one each');
    assert.deepEqual(
      [spend.type, spend.accountId, spend.total, spend.lineItems.map((l) => l.accountCode), spend.reconciled],
      ['SPEND', h.clearingAccountId, 2_000_000n, [suspense], true],
    );
    assert.deepEqual(
      [receive.type, receive.accountId, receive.total, receive.lineItems.map((l) => l.accountCode), receive.reconciled],
      ['RECEIVE', h.clearingAccountId, 5_000_000n, [suspense], true],
    );
    assert.equal((await h.stores.otherMovements.byXenditId(h.merchant.id, out.id))?.state, 'recorded');
    assert.equal((await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement').length, 2, 'the dedupe key: one job each however many runs');

    const balance = h.sims.xendit.test.balance(key(), 'IDR');
    assert.equal(balance, 145_650 - 20_000 + 50_000);
    assert.equal(h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId), BigInt(balance * 100), 'the clearing account is the Xendit balance');

    const r = await reportAroundToday();
    const rows = r.rows.filter((x) => x.note.includes(out.id) || x.note.includes(into.id));
    assert.deepEqual(rows.map((x) => [x.status, x.xenditAmount, x.xeroPayment]).sort(), [
      ['matched', '-20000.00', '-20000.00'],
      ['matched', '50000.00', '50000.00'],
    ]);
    assert.ok(
      rows.every((x) => x.note.includes('booked by the gateway')),
      JSON.stringify(rows),
    );
    assert.equal(r.totals.IDR.difference, '0.00');
    assert.equal(r.reconciled, true, JSON.stringify(r.rows));
  });

  it('types Xendit names in its reference are listed when the whole list of names is refused, and the payments, refunds and chargebacks other bookings make are never booked here', async () => {
    await settledPayment();
    await turnOn();
    const move = (type: string, amount: number) => h.sims.xendit.test.movement(key(), { type, currency: 'IDR', amount, cashflow: 'MONEY_OUT' });
    const named = [move('TRANSFER_OUT', 1_000), move('ADJUSTMENT_DEDUCT', 2_000), move('FOREX_DEDUCTION', 3_000)];
    // Booked elsewhere (a refund's credit note and cash refund, a lost dispute's): never a second time as a movement.
    const elsewhere = [move('REFUND', 4_000), move('CHARGEBACK', 5_000)];
    await list();
    await h.worker.drain();
    assert.deepEqual(
      named.map((m) => booked(m.id).length),
      [1, 1, 1],
    );
    assert.deepEqual(
      elsewhere.map((m) => booked(m.id).length),
      [0, 0],
    );
    for (const m of elsewhere) assert.equal(await h.stores.otherMovements.byXenditId(h.merchant.id, m.id), null);
    // The payment that settled into the balance is the payment's, booked by its own job: three movements, three jobs.
    assert.equal((await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement').length, 3);
  });

  it("a reserve's hold and release are never booked: the money stays the merchant's, in HOLDING, and the report is reconciled throughout", async () => {
    await settledPayment();
    // Held before the setting was turned on, released after: releasing it must not book money that never left.
    const early = h.sims.xendit.test.movement(key(), { type: 'RESERVES_HOLD', currency: 'IDR', amount: 4_000, cashflow: 'MONEY_OUT' });
    h.clock.advance(60_000);
    await turnOn();
    const hold = h.sims.xendit.test.movement(key(), { type: 'RESERVES_HOLD', currency: 'IDR', amount: 30_000, cashflow: 'MONEY_OUT' });
    const release = h.sims.xendit.test.movement(key(), { type: 'RESERVES_RELEASE', currency: 'IDR', amount: 4_000, cashflow: 'MONEY_IN' });
    await list();
    await h.worker.drain();
    for (const m of [early, hold, release]) {
      assert.equal(booked(m.id).length, 0, m.id);
      assert.equal(await h.stores.otherMovements.byXenditId(h.merchant.id, m.id), null, m.id);
    }
    assert.equal((await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement').length, 0);
    assert.equal(h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId), 14_565_000n, 'the clearing account still holds the reserve');
    const r = await reportAroundToday();
    assert.deepEqual(
      r.rows.filter((x) => [early, hold, release].some((m) => x.note.includes(m.id))),
      [],
      'nothing to book',
    );
    assert.equal(r.reconciled, true, JSON.stringify(r.rows));
  });

  it('a reserve found and queued before this version, not yet sent: its job books nothing and says why', async () => {
    await settledPayment();
    await turnOn();
    const hold = h.sims.xendit.test.movement(key(), { type: 'RESERVES_HOLD', currency: 'IDR', amount: 30_000, cashflow: 'MONEY_OUT' });
    // As the earlier listing left it: the row made and its job queued.
    const movedAt = new Date(h.clock().getTime() - 1_000);
    await h.stores.otherMovements.getOrCreate(
      { id: randomUUID(), merchantId: h.merchant.id, xenditTransactionId: hold.id, type: 'RESERVES_HOLD', currency: 'IDR', amount: -30_000, movedAt },
      h.clock(),
    );
    await enqueue(h.stores.jobs, 'record-other-movement', { merchantId: h.merchant.id, xenditTransactionId: hold.id, live: false }, h.clock());
    await h.worker.drain();
    assert.equal(booked(hold.id).length, 0);
    const row = await h.stores.otherMovements.byXenditId(h.merchant.id, hold.id);
    assert.equal(row?.state, 'off');
    assert.match(row?.lastError ?? '', /reserve/);
  });

  it('a reserve hold booked by the previous version: the next listing tells a person once to void its entry in Xero, not again on later runs', async () => {
    await settledPayment();
    await turnOn();
    // What each run writes to other_movements: nothing while nobody is to be told, whatever the number of merchants.
    let updates = 0;
    const counting: KyselyPlugin = {
      transformQuery: (a) => (a.node.kind === 'UpdateQueryNode' && JSON.stringify(a.node).includes('"other_movements"') && updates++, a.node),
      transformResult: async (a) => a.result,
    };
    const stores = createStores(h.stores.db.withPlugin(counting), box);
    const list = async () => {
      updates = 0;
      await listWithdrawalsJob({ stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
      return updates;
    };
    assert.equal(await list(), 0, 'no UPDATE while no merchant has a reserve to be told of');
    const hold = h.sims.xendit.test.movement(key(), { type: 'RESERVES_HOLD', currency: 'IDR', amount: 30_000, cashflow: 'MONEY_OUT' });
    // As the previous version left it: booked out of the clearing account.
    const row = await h.stores.otherMovements.getOrCreate(
      {
        id: randomUUID(),
        merchantId: h.merchant.id,
        xenditTransactionId: hold.id,
        type: 'RESERVES_HOLD',
        currency: 'IDR',
        amount: -30_000,
        movedAt: h.clock(),
      },
      h.clock(),
    );
    await h.stores.otherMovements.recorded(row.id, 'bank-txn-1', h.clock());
    const told = async () => h.stores.alerts.recent('reservesBooked', [h.merchant.id], new Date(0), 10);
    assert.equal(await list(), 1, "the merchant's rows marked told");
    const first = await told();
    assert.equal(first.length, 1, 'told once');
    const { params } = decodeMessage(first[0].message);
    assert.equal(params?.entries, `RESERVES_HOLD ${hold.id}: -30000 IDR, Reference "Xendit movement ${hold.id}"`);
    // Past the alerts' quiet time (6 hours): still told once.
    h.clock.advance(24 * 3600_000);
    assert.equal(await list(), 0);
    assert.equal((await told()).length, 1);
  });

  it('after a reserve hold the balances are still Balanced: the reserve leaves CASH for HOLDING, both counted as the clearing account', async () => {
    await settledPayment();
    await turnOn();
    // Xero's Bank Summary is read up to the organisation's today.
    h.clock.advance(Math.max(0, Date.now() - h.clock().getTime()) + 86_400_000);
    const deps = { xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores, clock: h.clock, logger: pino({ level: 'silent' }) };
    const idr = async () => (await balances(deps, (await h.stores.merchants.byId(h.merchant.id))!)).find((b) => b.currency === 'IDR')!;
    const before = await idr();
    assert.deepEqual([before.cash, before.held, before.balanced], [145_650, 0, true], JSON.stringify(before));

    h.sims.xendit.test.movement(key(), { type: 'RESERVES_HOLD', currency: 'IDR', amount: 30_000, cashflow: 'MONEY_OUT' });
    await list();
    await h.worker.drain();
    const held = await idr();
    assert.deepEqual([held.cash, held.held], [145_650 - 30_000, 30_000], 'moved from the available balance to the reserve');
    assert.equal(held.balanced, true, JSON.stringify(held));

    h.sims.xendit.test.movement(key(), { type: 'RESERVES_RELEASE', currency: 'IDR', amount: 30_000, cashflow: 'MONEY_IN' });
    await list();
    await h.worker.drain();
    const released = await idr();
    assert.deepEqual([released.cash, released.held, released.balanced], [145_650, 0, true], JSON.stringify(released));
  });

  it("Xendit refuses every list of names, so every type is listed: a refund's REFUND and a lost dispute's CHARGEBACK, booked as credit notes, are never booked again as movements; the report and Xendit's balance agree", async () => {
    h.sims.xendit.test.updateAccount(key(), {
      refundCallbackUrl: h.baseUrl + refundCallbackPathFor(h.merchant.id),
      disputeCallbackUrl: h.baseUrl + disputeCallbackPathFor(h.merchant.id),
    });
    const sales = [await paidThroughGateway(h, { paidBy: REFUNDABLE }), await paidThroughGateway(h, { paidBy: REFUNDABLE })];
    await h.worker.drain();
    for (const { x } of sales) await h.sims.xendit.settle(x.id);
    await turnOn();
    // Both of the gateway's lists of names refused: only a listing without `types` answers.
    h.sims.xendit.faults.retiredTypes = ['FOREX_DEDUCTION'];
    const refund = await h.sims.xendit.refund(sales[0].x.id, { amount: 40_000 });
    const dispute = await h.sims.xendit.dispute(sales[1].x.id);
    await h.sims.xendit.resolveDispute(dispute.id, 'LOST');
    const out = h.sims.xendit.test.movement(key(), { type: 'TRANSFER_OUT', currency: 'IDR', amount: 1_000, cashflow: 'MONEY_OUT' });
    await h.worker.drain(); // the refund's and the chargeback's credit notes and cash refunds
    assert.equal(h.sims.xero.test.creditNotes(h.tenantId).length, 2);

    const listed = await request(h.sims.xenditUrl).get('/transactions?currency=IDR&types=REFUND&types=CHARGEBACK').auth(key(), '').expect(200);
    const back = (listed.body.data as { id: string; type: string; product_id: string }[]).map((t) => [t.type, t.product_id, t.id] as const).sort();
    assert.deepEqual(
      back.map(([type, productId]) => [type, productId]),
      [
        ['CHARGEBACK', dispute.id],
        ['REFUND', refund.id],
      ],
      'Xendit lists the money that went back',
    );
    await list();
    await h.worker.drain();
    await list();
    await h.worker.drain();

    assert.equal(booked(out.id).length, 1, 'the movement is listed, by the listing of every type');
    for (const [, , id] of back) {
      assert.equal(booked(id).length, 0, `${id} is booked as a credit note, not again as a movement`);
      assert.equal(await h.stores.otherMovements.byXenditId(h.merchant.id, id), null);
    }
    assert.equal((await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement').length, 1);

    const balance = h.sims.xendit.test.balance(key(), 'IDR');
    assert.equal(balance, 2 * 145_650 - 40_000 - 150_000 - 1_000);
    assert.equal(h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId), BigInt(balance * 100), 'the clearing account is the Xendit balance');
    const r = await reportAroundToday();
    assert.equal(r.rows.filter((x) => x.status === 'not_in_xero').length, 0, JSON.stringify(r.rows));
    assert.equal(r.totals.IDR.difference, '0.00');
    assert.equal(r.reconciled, true, JSON.stringify(r.rows));
  });

  it('a movement from before the setting was turned on is not booked (the report still shows it not in Xero)', async () => {
    await settledPayment();
    const before = h.sims.xendit.test.movement(key(), { type: 'DISBURSEMENT', currency: 'IDR', amount: 10_000, cashflow: 'MONEY_OUT' });
    h.clock.advance(60_000);
    await turnOn();
    const after = h.sims.xendit.test.movement(key(), { type: 'TRANSFER_OUT', currency: 'IDR', amount: 5_000, cashflow: 'MONEY_OUT' });
    await list();
    await h.worker.drain();
    assert.equal(booked(before.id).length, 0);
    assert.equal(await h.stores.otherMovements.byXenditId(h.merchant.id, before.id), null);
    assert.equal(booked(after.id).length, 1);
    const r = await reportAroundToday();
    assert.deepEqual(
      r.rows.filter((x) => x.note.includes(before.id)).map((x) => x.status),
      ['not_in_xero'],
    );
  });

  it('turned off (the default, or again): nothing is listed or booked, and turning it on later does not book what moved meanwhile', async () => {
    await settledPayment();
    const m = h.sims.xendit.test.movement(key(), { type: 'TRANSFER_OUT', currency: 'IDR', amount: 20_000, cashflow: 'MONEY_OUT' });
    await list();
    await h.worker.drain();
    assert.equal(booked(m.id).length, 0);
    assert.equal((await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement').length, 0);

    await turnOn();
    await h.stores.merchants.setSettings(h.merchant.id, { otherMovementsAccountCode: null }, h.clock());
    const whileOff = h.sims.xendit.test.movement(key(), { type: 'TRANSFER_OUT', currency: 'IDR', amount: 1_000, cashflow: 'MONEY_OUT' });
    h.clock.advance(60_000);
    await list();
    await turnOn();
    await list();
    await h.worker.drain();
    assert.equal(booked(whileOff.id).length, 0);
    assert.equal(h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference.startsWith('Xendit movement')).length, 0);
  });

  it("Xero's answer lost after it saved the entry: the retry finds it by its Reference and creates no second one", async () => {
    await settledPayment();
    await turnOn();
    const m = h.sims.xendit.test.movement(key(), { type: 'TRANSFER_OUT', currency: 'IDR', amount: 20_000, cashflow: 'MONEY_OUT' });
    h.sims.xero.faults.dropResponseAfterSave(1, { path: BANK_TRANSACTIONS });
    await list();
    await h.worker.drain();
    assert.equal(booked(m.id).length, 1, 'Xero saved it');
    assert.ok((await h.stores.otherMovements.byXenditId(h.merchant.id, m.id))?.attemptAt, 'outcome unknown');

    h.clock.advance(60_000);
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId); // later than Xero keeps a key
    h.sims.xero.test.clearRequests();
    await h.worker.drain();
    assert.equal(booked(m.id).length, 1, 'found, not created again');
    assert.equal(h.sims.xero.test.countRequests({ method: 'GET', pathPrefix: BANK_TRANSACTIONS }), 1, 'looked up by Reference');
    assert.equal((await h.stores.otherMovements.byXenditId(h.merchant.id, m.id))?.state, 'recorded');
  });

  it('turned off while Xero may still be making its entry: nobody is told to book it by hand before the window passes, and the entry Xero made is stored', async () => {
    await settledPayment();
    await turnOn();
    const m = h.sims.xendit.test.movement(key(), { type: 'TRANSFER_OUT', currency: 'IDR', amount: 20_000, cashflow: 'MONEY_OUT' });
    h.sims.xero.test.useClock(h.clock);
    try {
      const late = h.sims.xero.faults.applyLate(1, { path: BANK_TRANSACTIONS, afterMs: 60_000 });
      await list();
      await h.worker.drain();
      assert.equal(late.held, 1, 'Xero is still making it');
      await h.stores.merchants.setSettings(h.merchant.id, { otherMovementsAccountCode: null }, h.clock());
      h.clock.advance(5_000); // the runner's first back-off
      await h.worker.drain();
      const waiting = await h.stores.otherMovements.byXenditId(h.merchant.id, m.id);
      assert.notEqual(waiting?.state, 'needs_review', 'not told to book by hand while Xero may still be making it');
      h.clock.advance(UNSETTLED_MS); // Xero made it meanwhile; the job comes back once the window has passed
      await h.worker.drain();
      assert.equal(late.held, 0);
      assert.equal(booked(m.id).length, 1, 'one entry');
      const row = await h.stores.otherMovements.byXenditId(h.merchant.id, m.id);
      assert.deepEqual([row?.state, row?.xeroBankTransactionId], ['recorded', booked(m.id)[0].bankTransactionId]);
    } finally {
      h.sims.xero.test.useClock();
    }
  });

  it('a crash after Xero accepted the entry, before it was stored: the re-run finds it by its Reference, one entry', async () => {
    await settledPayment();
    await turnOn();
    const m = h.sims.xendit.test.movement(key(), { type: 'TOPUP', currency: 'IDR', amount: 7_000, cashflow: 'MONEY_IN' });
    await list();
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement');
    const deps = { stores: h.stores, xero: h.sims.xeroClient, clock: h.clock, logger: pino({ level: 'silent' }) };
    const died = new Error('power cut');
    await assert.rejects(
      recordOtherMovementJob({
        ...deps,
        crash: (point) => {
          if (point === 'other-movement-accepted') throw died;
        },
      })(job),
      (err) => err === died,
    );
    assert.equal(booked(m.id).length, 1);
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
    await recordOtherMovementJob(deps)(job);
    assert.equal(booked(m.id).length, 1, 'one entry');
    const row = await h.stores.otherMovements.byXenditId(h.merchant.id, m.id);
    assert.deepEqual([row?.state, row?.xeroBankTransactionId], ['recorded', booked(m.id)[0].bankTransactionId]);
  });

  it('a test-mode key into an organisation not marked as a test company: nothing reaches Xero', async () => {
    await settledPayment();
    await turnOn();
    await h.stores.merchants.setSettings(h.merchant.id, { xeroTestOrganisation: false }, h.clock());
    const m = h.sims.xendit.test.movement(key(), { type: 'TRANSFER_OUT', currency: 'IDR', amount: 20_000, cashflow: 'MONEY_OUT' });
    await list();
    await h.worker.drain();
    assert.equal(booked(m.id).length, 0);
    assert.equal((await h.stores.otherMovements.byXenditId(h.merchant.id, m.id))?.state, 'test_mode');
  });

  it('Xero refuses the entry (the picked account is no longer in its chart): the movement needs review with the reason', async () => {
    await settledPayment();
    await turnOn();
    const m = h.sims.xendit.test.movement(key(), { type: 'TRANSFER_OUT', currency: 'IDR', amount: 20_000, cashflow: 'MONEY_OUT' });
    await h.stores.merchants.setSettings(h.merchant.id, { otherMovementsAccountCode: '999' }, h.clock());
    await list();
    await h.worker.drain();
    const row = await h.stores.otherMovements.byXenditId(h.merchant.id, m.id);
    assert.equal(row?.state, 'needs_review');
    assert.match(row?.lastError ?? '', /^Xero refused the spend money: .*999/);
    assert.equal(booked(m.id).length, 0);
  });

  it('the settings page: off by default with the warning about booking twice; an account from Xero turns it on from then, off forgets when', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const path = adminMerchantPath(h.merchant.id, 'adminMerchantSettings');
    const { $ } = await page(agent, path);
    assert.equal($('#f-otherMovementsAccount').val(), '', 'off by default');
    assert.match($('#setting-otherMovementsAccount').text(), /books them a second time/);
    assert.ok($(`#f-otherMovementsAccount option[value="${suspense}"]`).length, 'the accounts a line may use');

    const bad = await saveSettings(agent, h.merchant.id, { salesTaxType: '', otherMovementsAccount: 'nope' }, 400);
    assert.match(bad.text, /Choose an account from the list, or off/);
    assert.equal((await h.stores.merchants.byId(h.merchant.id))?.otherMovementsAccountCode, null, 'nothing written');

    await saveSettings(agent, h.merchant.id, { salesTaxType: '', otherMovementsAccount: suspense });
    const on = (await h.stores.merchants.byId(h.merchant.id))!;
    assert.equal(on.otherMovementsAccountCode, suspense);
    assert.equal(on.otherMovementsSince?.getTime(), h.clock().getTime());
    const [audited] = await h.stores.audit.forMerchant(h.merchant.id);
    assert.equal(audited.detail.otherMovementsAccountCode, suspense);

    h.clock.advance(60_000);
    await saveSettings(agent, h.merchant.id, { salesTaxType: '', otherMovementsAccount: '' });
    const off = (await h.stores.merchants.byId(h.merchant.id))!;
    assert.deepEqual([off.otherMovementsAccountCode, off.otherMovementsSince], [null, null]);
  });
});
