import { strict as assert } from 'node:assert';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { enqueueJob } from '../helpers/jobs.js';
import { scheduleReconcile } from '../../app/jobs/schedules.js';
import type { SimXenditInvoice } from '../../app/simulators/xendit/index.js';

const BANK_TXNS = '/api.xro/2.0/BankTransactions';

describeEachDatabase('worker: post-fee', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  /** 150 000 IDR invoice paid at Xendit (fee 2.9 % = 4 350 IDR unless `fee` says otherwise). */
  /** Paid through the gateway; `fee` and `atXendit` change what Xendit reports before the callback. */
  function paidInvoice(opts: { fee?: number; atXendit?: (x: SimXenditInvoice) => void } = {}) {
    return paidThroughGateway(h, {
      beforeCallback: (x) => {
        const atXendit = h.sims.xendit.getInvoice(x.id)!;
        if (opts.fee !== undefined) atXendit.feesPaidAmount = opts.fee;
        opts.atXendit?.(atXendit);
      },
    });
  }

  const txns = () => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.status === 'AUTHORISED');
  const balance = () => h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId);
  const payment = (xenditId: string) => h.stores.payments.byXenditInvoice(h.merchant.id, xenditId);
  const jobs = async () => (await h.stores.jobs.list()).map((j) => `${j.kind}:${j.state}`);

  it('posts the fee once, as Spend Money from the clearing account to Bank Fees, leaving the net amount', async () => {
    const { x } = await paidInvoice();
    await h.worker.drain();

    const [t, ...others] = txns();
    assert.equal(others.length, 0);
    assert.equal(t.type, 'SPEND');
    assert.equal(t.accountId, h.clearingAccountId);
    assert.deepEqual(
      t.lineItems.map((li) => [li.accountCode, li.lineAmount]),
      [['404', 435000n]],
      '4350 IDR to 404 Bank Fees',
    );
    assert.equal(t.total, 435000n);
    assert.equal(t.reference, `Xendit fee ${x.id}`);
    assert.equal(t.contact.name, 'Xendit');
    assert.equal(t.currencyCode, 'IDR');
    assert.equal(t.reconciled, true, 'created reconciled: no bank feed will ever match it');
    assert.equal(balance(), 15000000n - 435000n, 'clearing account at what Xendit settles');

    const p = await payment(x.id);
    assert.equal(p?.syncState, 'recorded');
    assert.equal(h.sims.xero.paymentsOf(p!.xeroInvoiceId)[0].reconciled, true, 'the payment into the BANK clearing account too');
    assert.equal(p?.feeState, 'posted');
    assert.equal(p?.xeroFeeTxnId, t.bankTransactionId);
    assert.deepEqual(await jobs(), ['record-payment:done', 'post-fee:done']);

    const page = await request(h.sims.xeroUrl).get('/').expect(200);
    assert.match(page.text, /Xendit fee /);
    assert.match(page.text, /data-balance="090">145650\.00</, 'the simulated Xero shows the net balance');
  });

  it('payments the scheduled reconcile run records (their callbacks lost), two in one Xero call, and their fees are created reconciled too', async () => {
    const lost: string[] = [];
    for (let i = 0; i < 2; i++) {
      const inv = h.addInvoice({});
      await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
      const x = h.sims.xendit.listInvoices().at(-1)!;
      await h.sims.xendit.pay(x.id, { sendCallback: false });
      lost.push(x.id);
    }
    h.clock.advance(6 * 60_000); // past the age reconcile waits for a callback
    h.sims.xero.test.clearRequests();
    assert.equal(await scheduleReconcile({ stores: h.stores, clock: h.clock }, 10), true);
    await h.worker.drain();

    const puts = h.sims.xero.test.requests({ method: 'PUT' }).filter((r) => r.path === '/api.xro/2.0/Payments');
    assert.equal(puts.length, 1, 'the two payments went to Xero in one call (the batch path)');
    for (const id of lost) {
      const p = await payment(id);
      assert.equal(p?.syncState, 'recorded');
      const [xeroPayment, ...more] = h.sims.xero.paymentsOf(p!.xeroInvoiceId);
      assert.equal(more.length, 0);
      assert.equal(xeroPayment.reconciled, true, 'created reconciled on the BANK clearing account, as by the callback');
      assert.equal(p?.feeState, 'posted');
    }
    assert.deepEqual(
      txns().map((t) => t.reconciled),
      [true, true],
    );
  });

  it('posts nothing when the payment transaction shows a zero fee, and marks it not needed', async () => {
    const { x } = await paidInvoice({ fee: 0 });
    await h.worker.drain();
    assert.equal(txns().length, 0);
    assert.equal((await payment(x.id))?.feeState, 'not_needed');
    assert.deepEqual(await jobs(), ['record-payment:done', 'post-fee:done'], 'the fee job asked the transaction, which says 0');
    assert.equal(balance(), 15000000n);
  });

  it('posts nothing when the merchant turned fee posting off', async () => {
    await h.stores.db.updateTable('merchants').set({ fee_posting: 'off' }).where('id', '=', h.merchant.id).execute();
    const { x } = await paidInvoice();
    await h.worker.drain();
    assert.equal(txns().length, 0);
    assert.equal((await payment(x.id))?.feeState, 'not_needed');
  });

  it('creates one transaction when Xero saved the fee but the response was lost', async () => {
    const { x } = await paidInvoice();
    h.sims.xero.faults.dropResponseAfterSave(1, { path: BANK_TXNS });
    await h.worker.drain();
    assert.deepEqual(await jobs(), ['record-payment:done', 'post-fee:queued']);
    assert.equal(txns().length, 1, 'Xero did save it');
    assert.equal((await payment(x.id))?.feeState, 'pending');

    h.clock.advance(60_000);
    await h.worker.drain();
    assert.equal(txns().length, 1, 'found by Reference, not created twice');
    const p = await payment(x.id);
    assert.equal(p?.feeState, 'posted');
    assert.equal(p?.xeroFeeTxnId, txns()[0].bankTransactionId);
  });

  it('retries the fee while Xero answers 503, without touching the recorded payment', async () => {
    const { inv, x } = await paidInvoice();
    h.sims.xero.faults.failNext(2, 503, { path: BANK_TXNS });
    await h.worker.drain();
    assert.deepEqual(await jobs(), ['record-payment:done', 'post-fee:queued']);
    assert.equal((await payment(x.id))?.syncState, 'recorded');
    assert.match((await payment(x.id))?.feeError ?? '', /503/);

    h.clock.advance(60 * 60_000);
    await h.worker.drain();
    h.clock.advance(60 * 60_000);
    await h.worker.drain();
    assert.equal(txns().length, 1);
    assert.equal((await payment(x.id))?.feeState, 'posted');
    assert.equal(h.sims.xero.paymentsOf(inv.invoiceId).length, 1, 'the payment was made once');
  });

  it('a fee whose job gives up (Xero answering 503 all along) is in needs_review with the reason, not left pending', async () => {
    const { x } = await paidInvoice();
    h.sims.xero.faults.failNext(100, 503, { path: BANK_TXNS });
    await h.worker.drain();
    for (let i = 0; i < 20 && (await jobs()).includes('post-fee:queued'); i++) {
      h.clock.advance(9 * 3600_000);
      await h.worker.drain();
    }
    assert.deepEqual(await jobs(), ['record-payment:done', 'post-fee:needs_review']);
    const p = await payment(x.id);
    assert.equal(p?.feeState, 'needs_review', 'counted and shown for the replay');
    assert.match(p?.feeError ?? '', /gave up after 15 attempts: .*503/);
    assert.equal(await h.stores.metrics.needsReview(), 1);
    assert.equal(txns().length, 0);
  });

  it('puts a fee Xero refuses (400) in needs_review; the payment stays recorded', async () => {
    await h.stores.db.updateTable('merchants').set({ fee_account_code: '999' }).where('id', '=', h.merchant.id).execute();
    const { inv, x } = await paidInvoice();
    await h.worker.drain();
    const p = await payment(x.id);
    assert.equal(p?.syncState, 'recorded');
    assert.equal(p?.feeState, 'needs_review');
    assert.match(p?.feeError ?? '', /Xero refused the fee: .*Account code '999' is not a valid code/);
    assert.deepEqual(await jobs(), ['record-payment:done', 'post-fee:needs_review']);
    assert.equal(h.sims.xero.paymentsOf(inv.invoiceId).length, 1);
    h.clock.advance(24 * 3600_000);
    assert.equal(await h.worker.drain(), 0, 'no retry loop');
    assert.equal(txns().length, 0);
  });

  it('flags the fee, not the payment, for a merchant added before fee accounts existed (no fee account)', async () => {
    await h.stores.db.updateTable('merchants').set({ fee_account_code: null }).where('id', '=', h.merchant.id).execute();
    const { x } = await paidInvoice();
    await h.worker.drain();
    const p = await payment(x.id);
    assert.equal(p?.syncState, 'recorded');
    assert.equal(p?.feeState, 'needs_review');
    assert.equal(p?.feeError, 'no fee account is configured for this merchant');
    assert.equal(txns().length, 0);
  });

  it('posts one transaction for duplicated fee jobs run concurrently', async () => {
    const { x } = await paidInvoice();
    assert.equal(await h.worker.runOnce(), true, 'record-payment');
    assert.deepEqual(await jobs(), ['record-payment:done', 'post-fee:queued']);
    const p = (await payment(x.id))!;
    // Replays of the job (an operator, a bug) racing the real one: nothing is found by Reference
    // yet, so the shared Idempotency-Key is what keeps it to one transaction.
    for (let i = 0; i < 3; i++) await enqueueJob(h.stores.db, { kind: 'post-fee', merchantId: h.merchant.id, payload: { paymentId: p.id } }, h.clock());
    await Promise.all([h.worker.drain(), h.worker.drain(), h.worker.drain(), h.worker.drain()]);
    assert.equal(txns().length, 1, 'one transaction for four concurrent jobs');
    assert.equal((await payment(x.id))?.feeState, 'posted');
    assert.deepEqual(await jobs(), ['record-payment:done', 'post-fee:done', 'post-fee:done', 'post-fee:done', 'post-fee:done']);
  });

  describe('a fee whose answer was lost, then the settings changed: the retry looks where it was sent', () => {
    const journals = () => h.sims.xero.manualJournalsOf(h.tenantId).filter((j) => j.status === 'POSTED');
    /** Paid, recorded, the fee's Spend Money saved by Xero but its answer lost: the job waits to retry. */
    async function spendAnswerLost() {
      const { x } = await paidInvoice();
      h.sims.xero.faults.dropResponseAfterSave(1, { path: BANK_TXNS });
      await h.worker.drain();
      assert.deepEqual(await jobs(), ['record-payment:done', 'post-fee:queued']);
      assert.equal(txns().length, 1, 'Xero did save it');
      const p = (await payment(x.id))!;
      assert.deepEqual(p.feeEntry, { kind: 'spend', accountId: h.clearingAccountId }, 'kept with the attempt mark');
      return { x, spend: txns()[0] };
    }
    /** Fees as manual journals from now on, on a non-bank clearing account (the only kind Xero takes journals on). */
    async function switchToJournals() {
      const clearing = h.sims.xero.addAccount(h.tenantId, { code: '095', name: 'Xendit clearing', type: 'CURRENT', enablePaymentsToAccount: true });
      await h.stores.db.updateTable('merchants').set({ clearing_account_id: clearing.accountId }).where('id', '=', h.merchant.id).execute();
      await h.stores.merchants.setAccountingOptions(h.merchant.id, { feePosting: 'manual_journal' }, h.clock());
    }
    async function retried(x: { id: string }, spend: { bankTransactionId: string }) {
      h.clock.advance(60_000);
      await h.worker.drain();
      const p = await payment(x.id);
      assert.equal(p?.feeState, 'posted');
      assert.equal(p?.xeroFeeTxnId, spend.bankTransactionId, 'the Spend Money Xero saved');
      assert.equal(txns().length, 1, 'no second Spend Money');
      assert.equal(journals().length, 0, 'and no journal');
    }

    it('switched to manual journals: the Spend Money is found, no journal is posted', async () => {
      const { x, spend } = await spendAnswerLost();
      await switchToJournals();
      await retried(x, spend);
    });

    it('switched to another clearing bank account: the Spend Money is found on the account it was sent from', async () => {
      const { x, spend } = await spendAnswerLost();
      const other = h.sims.xero.addAccount(h.tenantId, { code: '093', name: 'Xendit new', type: 'BANK', currencyCode: 'IDR' });
      await h.stores.db.updateTable('merchants').set({ clearing_account_id: other.accountId }).where('id', '=', h.merchant.id).execute();
      await retried(x, spend);
      assert.equal(h.sims.xero.balanceOf(h.tenantId, other.accountId), 0n);
    });

    it('an attempt sent before the entry was kept (none stored): looked for both ways before anything is made', async () => {
      const { x, spend } = await spendAnswerLost();
      await h.stores.db.updateTable('payments').set({ fee_entry_kind: null, fee_entry_account: null }).where('xendit_invoice_id', '=', x.id).execute();
      // Fee posting switched (the clearing account kept): the journal way is looked at first, then the Spend Money's.
      await h.stores.merchants.setAccountingOptions(h.merchant.id, { feePosting: 'manual_journal' }, h.clock());
      await retried(x, spend);
    });

    it('no entry stored and the clearing account switched since: the Spend Money is found on the account the payment went into, not made there again', async () => {
      const { x, spend } = await spendAnswerLost();
      // As the withholding catch-up leaves it: an attempt mark with no entry.
      await h.stores.db.updateTable('payments').set({ fee_entry_kind: null, fee_entry_account: null }).where('xendit_invoice_id', '=', x.id).execute();
      const other = h.sims.xero.addAccount(h.tenantId, { code: '093', name: 'Xendit new', type: 'BANK', currencyCode: 'IDR' });
      await h.stores.db.updateTable('merchants').set({ clearing_account_id: other.accountId }).where('id', '=', h.merchant.id).execute();
      h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
      await retried(x, spend);
      assert.equal(h.sims.xero.balanceOf(h.tenantId, other.accountId), 0n);
    });
  });

  describe('fee billing: each payment by the setting in force when the customer paid', () => {
    const minuteAfter = (at: Date) => new Date(at.getTime() + 60_000);
    const billing = (xenditFeeBilling: 'deducted' | 'invoiced', at: Date) => h.stores.merchants.setAccountingOptions(h.merchant.id, { xenditFeeBilling }, at);

    it('a fee waiting in review when the merchant switched to monthly bills is still posted once fixed (the monthly bill does not hold it)', async () => {
      await h.stores.db.updateTable('merchants').set({ fee_account_code: null }).where('id', '=', h.merchant.id).execute();
      const { x } = await paidInvoice();
      await h.worker.drain();
      const p = (await payment(x.id))!;
      assert.equal(p.feeState, 'needs_review');

      await billing('invoiced', minuteAfter(p.paidAt));
      await h.stores.db.updateTable('merchants').set({ fee_account_code: '404' }).where('id', '=', h.merchant.id).execute();
      assert.equal(await h.stores.jobs.replayKey(`post-fee:${p.id}`, ['needs_review'], h.clock()), true);
      await h.worker.drain();
      assert.equal((await payment(x.id))?.feeState, 'posted', 'not "not needed": Xendit took it from this payment');
      assert.deepEqual(
        txns().map((t) => [t.reference, t.total]),
        [[`Xendit fee ${x.id}`, 435000n]],
      );
    });

    it('a fee waiting for Xendit to list its transaction when the merchant switched to monthly bills is posted when listed', async () => {
      const { x } = await paidInvoice({
        atXendit: (i) => {
          i.paidAt = h.clock();
          i.transactionUnlisted = true;
        },
      });
      await h.worker.drain();
      assert.equal((await payment(x.id))?.feeState, 'pending');
      h.clock.advance(60_000);
      await billing('invoiced', h.clock());
      h.sims.xendit.getInvoice(x.id)!.transactionUnlisted = false;
      h.clock.advance(20 * 60_000);
      await h.worker.drain();
      assert.equal((await payment(x.id))?.feeState, 'posted');
      assert.equal(txns().length, 1);
    });

    it('paid while fees were billed monthly, recorded after the switch back to per payment: no fee posted (the monthly bill holds it)', async () => {
      await billing('invoiced', new Date('2026-01-01T00:00:00Z'));
      const { x } = await paidInvoice();
      await billing('deducted', minuteAfter(h.sims.xendit.getInvoice(x.id)!.paidAt!));
      await h.worker.drain();
      assert.equal((await payment(x.id))?.feeState, 'not_needed');
      assert.deepEqual(await jobs(), ['record-payment:done'], 'no fee job queued');
      assert.equal(txns().length, 0);
    });

    it('paid while fees were taken per payment, recorded after the switch to monthly: the fee is posted', async () => {
      const { x } = await paidInvoice();
      await billing('invoiced', minuteAfter(h.sims.xendit.getInvoice(x.id)!.paidAt!));
      await h.worker.drain();
      assert.equal((await payment(x.id))?.feeState, 'posted');
      assert.equal(txns().length, 1);
    });
  });

  describe('VAT on the fee not (yet) listed at Xendit', () => {
    /** Paid now (by the test clock), with 479 IDR VAT on the fee, its transaction not in Xendit's ledger yet. */
    const lagging = (x: SimXenditInvoice) => {
      x.paidAt = h.clock();
      x.feeTax = 479;
      x.transactionUnlisted = true;
    };
    const job = async () => (await h.stores.jobs.list()).find((j) => j.kind === 'post-fee')!;

    it('within the hour after the payment: retried, nothing posted, fee_tax left unknown; posted with the VAT once Xendit lists it', async () => {
      const { x } = await paidInvoice({ atXendit: lagging });
      await h.worker.drain();
      assert.deepEqual(await jobs(), ['record-payment:done', 'post-fee:queued']);
      let p = await payment(x.id);
      assert.equal(p?.feeTax, null, 'not taken as "no VAT"');
      assert.equal(p?.feeState, 'pending');
      assert.match(p?.feeError ?? '', new RegExp(`waiting for Xendit to list the payment transaction of invoice ${x.id}`));
      assert.equal(txns().length, 0);

      h.clock.advance(20 * 60_000);
      await h.worker.drain();
      assert.deepEqual(await jobs(), ['record-payment:done', 'post-fee:queued'], 'still waiting 20 minutes later');
      assert.ok((await job()).attempts >= 2);
      assert.equal((await payment(x.id))?.feeTax, null);

      h.sims.xendit.getInvoice(x.id)!.transactionUnlisted = false;
      h.clock.advance(20 * 60_000);
      await h.worker.drain();
      p = await payment(x.id);
      assert.equal(p?.feeTax, 479);
      assert.equal(p?.feeState, 'posted');
      assert.deepEqual(
        txns()[0].lineItems.map((li) => li.lineAmount),
        [435000n, 47900n],
      );
      assert.deepEqual(await jobs(), ['record-payment:done', 'post-fee:done']);
    });

    it('an hour after the payment: needs_review quoting invoice, external id and fee; nothing posted, fee_tax left unknown', async () => {
      const { x } = await paidInvoice({ atXendit: lagging });
      await h.worker.drain();
      for (let i = 0; i < 12 && (await job()).state === 'queued'; i++) {
        h.clock.advance(10 * 60_000);
        await h.worker.drain();
      }
      const p = await payment(x.id);
      assert.equal(p?.feeState, 'needs_review');
      assert.equal(
        p?.feeError,
        `fee unknown: Xendit lists no payment transaction for invoice ${x.id} (external id ${x.external_id}, paid 150000 IDR); Xendit's fee for 150000 IDR not posted`,
      );
      assert.equal(p?.feeTax, null);
      assert.equal(p?.syncState, 'recorded', 'the payment itself is in Xero');
      assert.equal(txns().length, 0);
      const j = await job();
      assert.equal(j.state, 'needs_review');
      assert.ok(j.attempts > 2, 'retried first');
      assert.ok(h.clock().getTime() - p!.paidAt.getTime() >= 60 * 60_000, 'not before the hour');
      assert.equal(j.lastError, p?.feeError);
    });
  });
});
