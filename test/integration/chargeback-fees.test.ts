import { strict as assert } from 'node:assert';
import request from 'supertest';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { addedAtTheTestsStart, createHarness, REFUNDABLE, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { disputeCallbackPathFor } from '../../app/paths.js';
import { reconciliationReport } from '../../app/report/reconcile.js';
import { listRefundsJob } from '../../app/jobs/sync/list-refunds.js';
import { createWorker } from '../../app/bin/worker.js';
import type { XenditGateway } from '../../app/clients/xendit/types.js';
import type { Stores } from '../../app/store/index.js';
import { dieOnCall } from '../helpers/crash.js';

/**
 * The fee Xendit charges on a chargeback (its CHARGEBACK transaction's `fee` object: xendit_fee,
 * value_added_tax, the withholding taxes, status) leaves the balance besides the disputed amount:
 * booked once as a Spend Money out of the clearing account to the fee account, as a payout's fee is,
 * Reference `Xendit chargeback fee <transaction id>`, by the LOST job whichever path queued it.
 */
describeEachDatabase('chargeback fees: what Xendit charged on a lost dispute, into Xero once', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    // The transactions are dated by the simulated Xendit's clock: the test's, after the merchant was added.
    h.sims.xendit.test.useClock(h.clock);
    await addedAtTheTestsStart(h);
  });
  afterEach(async () => {
    h.sims.xendit.test.useClock();
    await h.close();
  });

  const FEE = { xenditFee: 15_000, vat: 1_650 };
  const webhook = (disputeId: string) =>
    request(h.app)
      .post(disputeCallbackPathFor(h.merchant.id))
      .set('x-callback-token', h.merchant.callbackToken)
      .send({ event: 'dispute.lost', id: disputeId, status: 'LOST', currency: 'IDR', amount: { initial: '1.00', terminal: null } });
  const silent = pino({ level: 'silent' });
  const list = (xendit: XenditGateway = h.sims.xenditClient) => listRefundsJob({ stores: h.stores, xendit, clock: h.clock, logger: silent })();
  const feeEntries = () => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference.startsWith('Xendit chargeback fee '));
  const notes = () => h.sims.xero.test.creditNotes(h.tenantId);
  const cashRefunds = () => h.sims.xero.test.refundPayments(h.tenantId);
  const disputeJobs = async () => (await h.stores.jobs.list()).filter((j) => j.kind === 'record-dispute');
  const day = (offset: number) => new Date(h.clock().getTime() + offset * 86_400_000).toISOString().slice(0, 10);

  /** A recorded payment, settled (the balance holds settled money), disputed and lost at Xendit with `fee`, no webhook sent. */
  async function lost(fee: Parameters<Harness['sims']['xendit']['test']['chargebackFee']>[1] = FEE, o: { chargebackProductId?: 'payment' } = {}) {
    const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE });
    await h.worker.drain();
    await h.sims.xendit.settle(x.id, { sendCallback: false });
    h.clock.advance(60_000);
    const { id } = await h.sims.xendit.dispute(x.id, { amount: 100_000, sendWebhook: false });
    h.clock.advance(60_000);
    await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false, fee, ...o });
    h.clock.advance(60_000);
    return id;
  }

  /** One chargeback booked (credit note, cash refund) and its fee once: one Spend Money to the fee account, the VAT a line of its own. */
  async function feeBookedOnce(id: string) {
    assert.deepEqual([notes().length, cashRefunds().length], [1, 1], 'one credit note and one cash refund');
    const [fee, ...more] = feeEntries();
    assert.equal(more.length, 0, 'one fee entry');
    assert.deepEqual(
      [fee?.type, fee?.reference, fee?.accountId, fee?.lineItems.map((l) => [l.accountCode, l.lineAmount])],
      [
        'SPEND',
        `Xendit chargeback fee txn_${id}`,
        h.clearingAccountId,
        [
          [h.merchant.feeAccountCode, 1_500_000n],
          [h.merchant.feeAccountCode, 165_000n],
        ],
      ],
    );
  }

  const reconcile = async () =>
    reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores }, (await h.stores.merchants.byId(h.merchant.id))!, {
      from: day(-1),
      to: day(1),
    });

  async function balancesAgree() {
    const atXendit = await h.sims.xenditClient.getBalance(h.merchant.xenditSecretKey, 'IDR');
    assert.equal(h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId), BigInt(atXendit * 100), "the clearing account holds Xendit's balance");
  }

  it('the LOST webhook: the chargeback and its fee booked once, the balances agree, the report counts the fee and is reconciled; redelivery adds nothing', async () => {
    const id = await lost();
    await webhook(id).expect(200);
    await h.worker.drain();
    await feeBookedOnce(id);
    await balancesAgree();
    const report = await reconcile();
    const row = report.rows.find((r) => r.note.includes(`chargeback fee txn_${id}`));
    assert.deepEqual([row?.status, row?.xenditFee, row?.xeroFee], ['matched', '16650.00', '16650.00'], JSON.stringify(report.rows));
    assert.equal(report.reconciled, true, JSON.stringify(report.rows));

    await webhook(id).expect(200);
    const [job] = await disputeJobs();
    assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
    await h.worker.drain();
    await list();
    await h.worker.drain();
    await feeBookedOnce(id);
  });

  it('found by the chargeback listing (no webhook): its fee booked once; later runs add nothing', async () => {
    const id = await lost();
    await list();
    await h.worker.drain();
    await feeBookedOnce(id);
    h.clock.advance(30 * 60_000);
    await list();
    await h.worker.drain();
    await feeBookedOnce(id);
    await balancesAgree();
  });

  it('booked while Xendit did not list the CHARGEBACK transaction yet (or by an older release): the listing finds the fee and its job books it once', async () => {
    const id = await lost();
    const unlisted = { ...h.sims.xenditClient, getChargeback: async () => null };
    const blind = createWorker({ stores: h.stores, xero: h.sims.xeroClient, xendit: unlisted, clock: h.clock, logger: silent });
    await webhook(id).expect(200);
    await blind.drain();
    assert.deepEqual([notes().length, feeEntries().length], [1, 0], 'the chargeback booked, its fee not known');
    assert.equal((await disputeJobs())[0].state, 'done');
    const before = await reconcile();
    const missing = before.rows.find((r) => r.note.includes(`chargeback fee txn_${id}`));
    assert.deepEqual([missing?.status, missing?.xenditFee, missing?.xeroFee], ['fee_missing', '16650.00', null], 'the report counts the fee not booked');
    assert.equal(before.reconciled, false);
    await list();
    await h.worker.drain();
    await feeBookedOnce(id);
    assert.equal((await reconcile()).reconciled, true);
    await list();
    await h.worker.drain();
    await feeBookedOnce(id);
    await balancesAgree();
  });

  it("a fee Xendit shows PENDING with no figures waits, as a payment's does: booked once COMPLETED; still PENDING a day on, the job waits for a person", async () => {
    const id = await lost({ xenditFee: 0, status: 'PENDING' });
    await webhook(id).expect(200);
    await h.worker.drain();
    assert.deepEqual([notes().length, feeEntries().length], [1, 0], 'the chargeback booked, its fee not yet');
    assert.equal((await disputeJobs())[0].state, 'queued', 'waiting for the fee');
    h.sims.xendit.test.chargebackFee(id, { ...FEE, status: 'COMPLETED' });
    h.clock.advance(3600_000);
    await h.worker.drain();
    await feeBookedOnce(id);
    assert.equal((await disputeJobs())[0].state, 'done');

    const other = await lost({ xenditFee: 0, status: 'PENDING' });
    await webhook(other).expect(200);
    for (let i = 0; i < 30 && (await disputeJobs()).find((j) => j.payload.xenditDisputeId === other)?.state === 'queued'; i++) {
      h.clock.advance(3 * 3600_000);
      await h.worker.drain();
    }
    const job = (await disputeJobs()).find((j) => j.payload.xenditDisputeId === other);
    assert.equal(job?.state, 'needs_review');
    assert.match(job?.lastError ?? '', /PENDING/);
    assert.equal(feeEntries().length, 1, 'nothing booked for an unknown fee');
  });

  it('tax Xendit withheld on the chargeback: without a withholding tax account the job waits for a person (the chargeback booked); with one, a line of its own to it; the report is reconciled', async () => {
    const id = await lost({ ...FEE, xenditWithholding: 1_000, thirdPartyWithholding: 500 });
    await webhook(id).expect(200);
    await h.worker.drain();
    const [job] = await disputeJobs();
    assert.deepEqual([notes().length, feeEntries().length, job.state], [1, 0, 'needs_review']);
    assert.match(job.lastError ?? '', /withholding tax account/);

    const cwt = h.sims.xero.addAccount(h.tenantId, { code: '620', name: 'Creditable Withholding Tax', type: 'CURRENT' }).code;
    const m = (await h.stores.merchants.byId(h.merchant.id))!;
    const accounts = {
      clearingAccountId: m.clearingAccountId,
      clearingAccounts: m.clearingAccounts,
      feeAccountCode: m.feeAccountCode!,
      salesAccountCode: m.salesAccountCode,
    };
    await h.stores.merchants.setAccounts(m.id, { ...accounts, withholdingAccountCode: cwt }, h.clock());
    assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
    await h.worker.drain();
    const [fee, ...more] = feeEntries();
    assert.equal(more.length, 0);
    assert.deepEqual(
      fee.lineItems.map((l) => [l.accountCode, l.lineAmount]),
      [
        [h.merchant.feeAccountCode, 1_500_000n],
        [h.merchant.feeAccountCode, 165_000n],
        [cwt, 150_000n],
      ],
    );
    await balancesAgree();
    const report = await reconcile();
    assert.equal(report.reconciled, true, JSON.stringify(report.rows));
  });

  it("a fee Xendit took out of the chargeback's amount (net_amount: amount less the fee), that amount the dispute's: left with the chargeback, nothing booked apart; the balances agree, the report is reconciled", async () => {
    const id = await lost({ ...FEE, inAmount: true });
    await webhook(id).expect(200);
    await h.worker.drain();
    assert.deepEqual([notes().length, cashRefunds().length, feeEntries().length], [1, 1, 0], 'the chargeback booked, no fee apart');
    const [job] = await disputeJobs();
    assert.equal(job.state, 'done', job.lastError ?? '');
    await balancesAgree();
    const report = await reconcile();
    assert.ok(!report.rows.some((r) => r.note.includes(`chargeback fee txn_${id}`)), JSON.stringify(report.rows));
    assert.equal(report.reconciled, true, JSON.stringify(report.rows));
    await list();
    await h.worker.drain();
    assert.equal(feeEntries().length, 0, 'the listing books none either');
  });

  it('a CHARGEBACK transaction whose product_id names the disputed payment, not the dispute (undocumented either way): found by the payment and the amount lost, its fee booked once', async () => {
    const id = await lost(FEE, { chargebackProductId: 'payment' });
    await webhook(id).expect(200);
    await h.worker.drain();
    const [job] = await disputeJobs();
    assert.equal(job.state, 'done', job.lastError ?? '');
    await feeBookedOnce(id);
    await balancesAgree();
    const report = await reconcile();
    assert.equal(report.reconciled, true, JSON.stringify(report.rows));
    assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
    await h.worker.drain();
    await feeBookedOnce(id);
  });

  describe('a clearing account that is no bank account (Spend Money needs one): a manual journal, as payment and payout fees are booked there', () => {
    let clearing: string;
    beforeEach(async () => {
      // A current asset with payments enabled: Xero takes payments and journals on it, no Spend Money.
      clearing = h.sims.xero.addAccount(h.tenantId, { code: '095', name: 'Xendit clearing', type: 'CURRENT', enablePaymentsToAccount: true }).accountId;
      await h.stores.merchants.setAccounts(
        h.merchant.id,
        { clearingAccountId: clearing, clearingAccounts: {}, feeAccountCode: h.merchant.feeAccountCode!, salesAccountCode: null },
        h.clock(),
      );
      await h.stores.merchants.setAccountingOptions(h.merchant.id, { feePosting: 'manual_journal' }, h.clock());
      h.merchant = (await h.stores.merchants.byId(h.merchant.id))!;
    });
    const journals = (id: string) => h.sims.xero.manualJournalsOf(h.tenantId).filter((j) => j.narration === `Xendit chargeback fee txn_${id}`);
    const row = async (id: string) => (await h.stores.refunds.byXenditId(h.merchant.id, id))!;

    async function journalBookedOnce(id: string) {
      assert.deepEqual([notes().length, cashRefunds().length, feeEntries().length], [1, 1, 0], 'the chargeback booked, its fee by no Spend Money');
      const [j, ...more] = journals(id);
      assert.equal(more.length, 0, 'one fee journal');
      assert.deepEqual(
        j?.lines.map((l) => [l.accountCode, l.lineAmount]),
        [
          [h.merchant.feeAccountCode, 1_500_000n],
          [h.merchant.feeAccountCode, 165_000n],
          ['095', -1_665_000n],
        ],
      );
      const r = await row(id);
      assert.deepEqual([r.xeroFeeTxnId, r.feeEntryKind, r.lastError], [j.manualJournalId, 'journal', null]);
    }

    it('the LOST webhook: the fee booked once as a manual journal, the clearing account follows the balance, the report counts it and is reconciled', async () => {
      const id = await lost();
      await webhook(id).expect(200);
      await h.worker.drain();
      const [job] = await disputeJobs();
      assert.equal(job.state, 'done', job.lastError ?? '');
      await journalBookedOnce(id);
      const atXendit = await h.sims.xenditClient.getBalance(h.merchant.xenditSecretKey, 'IDR');
      assert.equal(h.sims.xero.balanceOf(h.tenantId, clearing), BigInt(atXendit * 100), "the clearing account holds Xendit's balance");
      const report = await reconcile();
      const fee = report.rows.find((r) => r.note.includes(`chargeback fee txn_${id}`));
      assert.deepEqual([fee?.status, fee?.xenditFee, fee?.xeroFee], ['matched', '16650.00', '16650.00'], JSON.stringify(report.rows));
      assert.ok(!report.rows.some((r) => r.note.includes(`manual journal "Xendit chargeback fee`)), 'not an unknown entry on the clearing account');
      assert.equal(report.reconciled, true, JSON.stringify(report.rows));

      assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
      await h.worker.drain();
      await list();
      await h.worker.drain();
      await journalBookedOnce(id);
    });

    it("a fee in another currency than the organisation's (a journal has none): nothing sent, review says what to book by hand; Retry finds that journal and books no second one", async () => {
      const id = await lost();
      // The chargeback booked first, its fee not listed yet; then the organisation's base currency read as another.
      const unlisted = { ...h.sims.xenditClient, getChargeback: async () => null };
      await webhook(id).expect(200);
      await createWorker({ stores: h.stores, xero: h.sims.xeroClient, xendit: unlisted, clock: h.clock, logger: silent }).drain();
      assert.deepEqual([notes().length, journals(id).length], [1, 0]);
      await h.stores.db.updateTable('merchants').set({ xero_base_currency: 'USD' }).where('id', '=', h.merchant.id).execute();
      await list();
      await h.worker.drain();
      const [job] = await disputeJobs();
      assert.equal(job.state, 'needs_review');
      assert.match(
        job.lastError ?? '',
        /manual journal is in USD only: book it by hand \(debit the fee account, credit 095, narration "Xendit chargeback fee txn_/,
      );
      assert.deepEqual([journals(id).length, feeEntries().length], [0, 0], 'nothing sent');

      const byHand = await h.sims.xeroClient.createManualJournal(
        h.merchant.xero,
        {
          narration: `Xendit chargeback fee txn_${id}`,
          date: day(0),
          lines: [
            { description: 'fee', accountCode: h.merchant.feeAccountCode!, amount: '16650.00' },
            { description: 'clearing', accountCode: '095', amount: '-16650.00' },
          ],
        },
        'by-hand',
      );
      assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
      await h.worker.drain();
      assert.equal((await disputeJobs())[0].state, 'done');
      assert.equal(journals(id).length, 1, 'no second journal');
      assert.deepEqual([(await row(id)).xeroFeeTxnId, (await row(id)).feeEntryKind], [byHand.manualJournalId, 'journal']);
    });

    it('the worker killed after Xero took the journal, before it was stored: the job run again finds it by its Narration and books no second one', async () => {
      const id = await lost();
      const dying = dieOnCall(h.stores, 'refunds', 'feeBooked');
      const doomed = createWorker({ stores: dying.stores as Stores, xero: h.sims.xeroClient, xendit: h.sims.xenditClient, clock: h.clock, logger: silent });
      await webhook(id).expect(200);
      await doomed.drain().catch(() => undefined);
      assert.ok(dying.died(), 'died calling refunds.feeBooked');
      assert.equal(journals(id).length, 1, 'Xero took the journal');
      h.clock.advance(10 * 60_000);
      h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
      await h.worker.drain();
      await journalBookedOnce(id);
    });
  });

  for (const [method, what] of [
    ['noteChargebackFee', 'after the chargeback was booked, before its fee was read'],
    ['feeBooked', 'after Xero took the fee, before it was stored'],
  ] as const) {
    it(`the worker killed ${what}: the job run again books the fee once`, async () => {
      const id = await lost();
      const dying = dieOnCall(h.stores, 'refunds', method);
      const doomed = createWorker({ stores: dying.stores as Stores, xero: h.sims.xeroClient, xendit: h.sims.xenditClient, clock: h.clock, logger: silent });
      await webhook(id).expect(200);
      await doomed.drain().catch(() => undefined);
      assert.ok(dying.died(), `died calling refunds.${method}`);
      assert.equal(notes().length, 1);
      // Its lease runs out; the next worker claims it again.
      h.clock.advance(10 * 60_000);
      h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
      await h.worker.drain();
      await feeBookedOnce(id);
      await list();
      await h.worker.drain();
      await feeBookedOnce(id);
      await balancesAgree();
    });
  }
});
