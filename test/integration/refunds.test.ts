import { strict as assert } from 'node:assert';
import request from 'supertest';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { backendSalePaid, createHarness, REFUNDABLE, paidCallback, paidThroughGateway, refundWebhook, type Harness } from '../helpers/harness.js';
import { refundCallbackPathFor } from '../../app/paths.js';
import { listRefundsJob } from '../../app/jobs/sync/list-refunds.js';
import { reconciliationReport } from '../../app/report/reconcile.js';
import { JOB_SPECS } from '../../app/jobs/kinds.js';
import { enqueueJob } from '../helpers/jobs.js';
import { UNSETTLED_MS } from '../../app/jobs/sync/send-once.js';

const CREDIT_NOTES = '/api.xro/2.0/CreditNotes';

/**
 * Refunds made at Xendit (issue 16 §2): a credit note for the refunded amount and its cash refund
 * out of the clearing account, found by the webhook or the scheduled listing, exactly once.
 */
describeEachDatabase('refunds: from Xendit into Xero as credit note + cash refund', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const webhook = (refundId: string, token?: string) => refundWebhook(h, refundId, token);
  const notes = () => h.sims.xero.test.creditNotes(h.tenantId);
  const cashRefunds = () => h.sims.xero.test.refundPayments(h.tenantId);
  const refundRow = (id: string) => h.stores.refunds.byXenditId(h.merchant.id, id);

  async function paidAndRecorded(invoice?: Parameters<typeof h.addInvoice>[0]) {
    const paid = await paidThroughGateway(h, { paidBy: REFUNDABLE, invoice });
    await h.worker.drain();
    const payment = await h.stores.payments.byXenditInvoice(h.merchant.id, paid.x.id);
    assert.equal(payment?.syncState, 'recorded');
    return paid;
  }

  it('a refund at Xendit becomes one credit note and one cash refund out of the clearing account; a redelivered webhook changes nothing', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.refund(x.id, { sendWebhook: false });
    await webhook(id).expect(200, { received: true, duplicate: false });
    await h.worker.drain();

    const [note, ...more] = notes();
    assert.equal(more.length, 0);
    assert.equal(note.reference, `Xendit refund ${id}`);
    assert.equal(note.total, 15000000n, '150 000 IDR');
    assert.equal(note.status, 'PAID', 'its credit paid out in full');
    const [cash] = cashRefunds();
    assert.equal(cash.amount, 15000000n);
    assert.equal(cash.accountId, h.clearingAccountId, 'out of the clearing account');
    assert.equal(cash.documentId, note.creditNoteId);
    assert.equal(cash.reconciled, true, 'created reconciled on the BANK clearing account');
    const row = await refundRow(id);
    assert.equal(row?.state, 'recorded');
    assert.equal(row?.xeroCreditNoteId, note.creditNoteId);
    assert.equal(row?.xeroRefundPaymentId, cash.paymentId);

    await webhook(id).expect(200, { received: true, duplicate: true });
    await h.worker.drain();
    assert.equal(notes().length, 1);
    assert.equal(cashRefunds().length, 1);
  });

  it('a credit note reads the chart of accounts once: its lines checked against the active accounts and the clearing account against the bank accounts by one GET /Accounts', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.refund(x.id, { sendWebhook: false });
    h.sims.xero.test.clearRequests();
    await webhook(id).expect(200);
    await h.worker.drain();
    assert.equal((await refundRow(id))?.state, 'recorded');
    assert.equal(notes().length, 1);
    const reads = h.sims.xero.test.requests({ method: 'GET', pathPrefix: '/api.xro/2.0/Accounts' });
    assert.equal(reads.length, 1, reads.map((r) => `${r.path}?${r.query ?? ''}`).join(', '));
  });

  it('a refund Xendit made that is not in Xero yet is a missing_in_xero row of the report, not reconciled; once booked, refunded and reconciled', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false });
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const report = async () =>
      reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient }, (await h.stores.merchants.byId(h.merchant.id))!, {
        from: day(-1),
        to: day(1),
      });
    const before = await report();
    const [stuck, ...more] = before.rows.filter((r) => r.note.includes(id));
    assert.equal(more.length, 0);
    assert.equal(stuck.status, 'missing_in_xero');
    assert.equal(stuck.xenditAmount, '-40000.00');
    assert.equal(stuck.xenditInvoiceId, x.id);
    assert.equal(before.reconciled, false, 'Xendit gave money back that Xero does not show');
    assert.equal(before.totals.IDR.difference, '-40000.00');

    await webhook(id).expect(200);
    await h.worker.drain();
    const after = await report();
    assert.deepEqual(
      after.rows.filter((r) => r.note.includes(id)).map((r) => r.status),
      ['refunded'],
    );
    assert.equal(after.reconciled, true, JSON.stringify(after.rows));
  });

  it('a refund fee Xendit states (refund_fee_amount) is not booked: the report shows it as an xendit_only row, the reason the balances differ by it', async () => {
    const { x } = await paidAndRecorded();
    await h.sims.xendit.settle(x.id);
    await h.worker.drain();
    const clearing = () => h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId);
    const xendit = () => BigInt(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR') * 100);
    assert.equal(clearing(), xendit());
    const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, refundFee: 2_500, sendWebhook: false });
    await webhook(id).expect(200);
    await h.worker.drain();
    assert.equal(notes().length, 1);
    assert.equal(cashRefunds()[0].amount, 4000000n, 'the refund itself, 40 000 IDR');
    assert.equal(xendit() - clearing(), -250000n, 'Xendit took 2 500 IDR more than the refund');

    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const report = await reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient }, (await h.stores.merchants.byId(h.merchant.id))!, {
      from: day(-1),
      to: day(1),
    });
    const rows = report.rows.filter((r) => r.note.includes(id));
    assert.deepEqual(
      rows.map((r) => [r.status, r.xenditFee]),
      [
        ['refunded', null],
        ['xendit_only', '2500.00'],
      ],
    );
    assert.match(rows[1].note, /refund fee of 2500 IDR \(refund_fee_amount\) is not booked/);
    assert.equal(report.reconciled, true, 'shown as the reason, not held against the report');
  });

  it('partial refunds: each its own credit note for its amount', async () => {
    const { x } = await paidAndRecorded();
    const first = await h.sims.xendit.refund(x.id, { amount: 50_000, sendWebhook: false });
    const second = await h.sims.xendit.refund(x.id, { amount: 25_000, sendWebhook: false });
    await webhook(first.id).expect(200);
    await webhook(second.id).expect(200);
    await h.worker.drain();
    const byRef = new Map(notes().map((n) => [n.reference, n]));
    assert.equal(byRef.get(`Xendit refund ${first.id}`)?.total, 5000000n);
    assert.equal(byRef.get(`Xendit refund ${second.id}`)?.total, 2500000n);
    assert.deepEqual(
      cashRefunds()
        .map((p) => p.amount)
        .sort(),
      [2500000n, 5000000n],
    );
  });

  it('found by the scheduled listing when no webhook came; a late webhook is then a duplicate', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false });
    await listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
    await h.worker.drain();
    assert.equal((await refundRow(id))?.state, 'recorded');
    assert.equal(notes().length, 1);
    await webhook(id).expect(200, { received: true, duplicate: true });
    await listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
    await h.worker.drain();
    assert.equal(notes().length, 1);
    assert.equal(cashRefunds().length, 1);
  });

  const list = () => listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();

  it('a refund Xendit FAILED for its balance (failure_code INSUFFICIENT_BALANCE), no webhook: the scheduled listing passes it by, books nothing for it, and books the next one', async () => {
    const { x } = await paidAndRecorded();
    h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { insufficientBalance: 'fail' });
    const asked = await h.sims.xenditClient.createRefund(
      h.merchant.xenditSecretKey,
      { invoiceId: x.id, referenceId: 'made-elsewhere-1', currency: 'IDR', amount: 150_000, reason: 'OTHERS' },
      'made-elsewhere-1',
    );
    assert.equal(asked.status, 'PENDING');
    await list();
    await h.worker.drain();
    assert.equal((await h.sims.xenditClient.getRefund(h.merchant.xenditSecretKey, asked.id))?.failureCode, 'INSUFFICIENT_BALANCE');
    const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false });
    await list();
    await h.worker.drain();
    assert.equal((await refundRow(id))?.state, 'recorded');
    assert.equal(await refundRow(asked.id), null, 'nothing booked for the failed one');
    assert.equal(notes().length, 1);
    assert.ok(!(await h.stores.jobs.list()).some((j) => j.state === 'needs_review'), 'no job left for a person');
  });

  /**
   * `n` succeeded refunds of a payment made outside the gateway (not ours: no job), one a minute,
   * the last `endingMsAgo` before now: an account's history of refunds, made through the simulator's test API.
   */
  async function refundHistory(n: number, endingMsAgo = 3600_000) {
    const other = h.sims.xendit.createInvoice({ account: h.merchant.xenditSecretKey, currency: 'IDR', amount: 1000 * n });
    await h.sims.xendit.pay(other.id, { sendCallback: false, ...REFUNDABLE });
    const end = Date.now() - endingMsAgo;
    for (let i = 0; i < n; i++) {
      await h.sims.xendit.refund(other.id, { amount: 1000, sendWebhook: false, createdAt: new Date(end - (n - 1 - i) * 60_000) });
    }
  }
  const oldestFirst = () => h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { refundsListOrder: 'oldest_first' });

  it('Xendit listing refunds oldest first, past 300 of them: the listing continues after its cursor, so a refund whose webhook was lost is booked once, and one PENDING when read that succeeds with no webhook too', async () => {
    oldestFirst();
    await refundHistory(301);
    await list(); // the oldest 300: three pages, as many as one run reads
    await list();
    const lost = await h.sims.xendit.refund((await paidAndRecorded()).x.id, { amount: 40_000, sendWebhook: false });
    const pending = await h.sims.xendit.refund((await paidAndRecorded()).x.id, { amount: 30_000, pending: true });
    await list();
    await h.worker.drain();
    assert.equal((await refundRow(lost.id))?.state, 'recorded', 'found after the 301 older refunds');
    assert.equal(notes().length, 1);

    await h.sims.xendit.completeRefund(pending.id, 'SUCCEEDED', { sendWebhook: false });
    h.clock.advance(30 * 60_000); // the next run
    await list();
    await h.worker.drain();
    assert.equal((await refundRow(pending.id))?.state, 'recorded', 'read again by id although the cursor moved past it');
    await list();
    await h.worker.drain();
    assert.deepEqual(
      notes()
        .map((n) => n.reference)
        .sort(),
      [`Xendit refund ${lost.id}`, `Xendit refund ${pending.id}`].sort(),
    );
    assert.equal(cashRefunds().length, 2, 'each booked once');
  });

  it('Xendit listing refunds oldest first: the report reads past the older refunds to a refund of its range missing in Xero', async () => {
    oldestFirst();
    await refundHistory(150, 30 * 86_400_000);
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false });
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const report = await reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient }, (await h.stores.merchants.byId(h.merchant.id))!, {
      from: day(-1),
      to: day(1),
    });
    assert.deepEqual(
      report.rows.filter((r) => r.note.includes(id)).map((r) => [r.status, r.xenditAmount]),
      [['missing_in_xero', '-40000.00']],
    );
    assert.equal(report.rows.filter((r) => r.status === 'incomplete').length, 0, JSON.stringify(report.rows.filter((r) => r.status === 'incomplete')));
    assert.equal(report.reconciled, false);
  });

  it('a merchant disabled after the payment: the listing still finds its refund and books it (the money left Xendit all the same)', async () => {
    const { x } = await paidAndRecorded();
    await h.stores.merchants.setStatus(h.merchant.id, 'disabled');
    const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false });
    await list();
    await h.worker.drain();
    assert.equal((await refundRow(id))?.state, 'recorded');
    assert.equal(cashRefunds().length, 1);
  });

  /** Xendit's refunds of this account name no invoice (invoice_id null, payment_id only). */
  const noInvoiceIds = () => h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { refundsNameInvoice: false });

  it('a refund that names no invoice is tied to the payment by its payment_id and booked once, by its webhook or by the listing', async () => {
    noInvoiceIds();
    const byWebhook = (await paidAndRecorded()).x;
    const byListing = (await paidAndRecorded()).x;
    const a = await h.sims.xendit.refund(byWebhook.id, { amount: 40_000, sendWebhook: false });
    const b = await h.sims.xendit.refund(byListing.id, { amount: 30_000, sendWebhook: false });
    const read = await h.sims.xenditClient.getRefund(h.merchant.xenditSecretKey, a.id);
    assert.equal(read?.invoiceId, undefined, 'Xendit named no invoice');
    await webhook(a.id).expect(200);
    await h.worker.drain();
    assert.equal((await refundRow(a.id))?.state, 'recorded', 'by its webhook, before any listing');
    assert.equal(await refundRow(b.id), null);
    await list();
    await h.worker.drain();
    await list();
    await h.worker.drain();
    const paymentOf = async (invoiceId: string) => (await h.stores.payments.byXenditInvoice(h.merchant.id, invoiceId))!.id;
    assert.equal((await refundRow(a.id))?.paymentId, await paymentOf(byWebhook.id));
    assert.equal((await refundRow(b.id))?.paymentId, await paymentOf(byListing.id));
    assert.equal((await refundRow(a.id))?.state, 'recorded');
    assert.equal((await refundRow(b.id))?.state, 'recorded');
    assert.deepEqual(
      notes()
        .map((n) => [n.reference, n.total])
        .sort(),
      [
        [`Xendit refund ${a.id}`, 4000000n],
        [`Xendit refund ${b.id}`, 3000000n],
      ].sort(),
    );
    assert.equal(cashRefunds().length, 2);
  });

  describe("payment_id: Xendit's GET invoice has none, its PAID callback has it", () => {
    const paymentOf = (invoiceId: string) => h.stores.payments.byXenditInvoice(h.merchant.id, invoiceId);
    const refundJob = async (refundId: string) =>
      (await h.stores.jobs.list()).find((j) => j.kind === 'record-refund' && (j.payload as { xenditRefundId?: string }).xenditRefundId === refundId);

    it('keeps the payment_id of the PAID callback, so a refund naming no invoice is tied to its payment (checkout and backend sale)', async () => {
      noInvoiceIds();
      const checkout = (await paidAndRecorded()).x;
      const { x: sale } = await backendSalePaid(h);
      await h.worker.drain();
      for (const x of [checkout, sale]) {
        const read = await h.sims.xenditClient.getInvoice(h.merchant.xenditSecretKey, x.id);
        assert.equal(read?.paymentId, undefined, 'the GET names no payment_id');
        const fromCallback = h.sims.xendit.test.callbackBody(x.id)?.payment_id;
        assert.ok(fromCallback, 'the PAID callback names it');
        assert.equal((await paymentOf(x.id))?.xenditPaymentId, fromCallback);
        const { id } = await h.sims.xendit.refund(x.id, { amount: 20_000, sendWebhook: false });
        await webhook(id).expect(200);
        await h.worker.drain();
        const row = await refundRow(id);
        assert.equal(row?.state, 'recorded', x.id);
        assert.equal(row?.paymentId, (await paymentOf(x.id))?.id);
      }
      assert.equal(cashRefunds().length, 2);
    });

    it('a payment found by the listing with no callback has no payment_id: a refund naming no invoice goes to review, not to another payment', async () => {
      noInvoiceIds();
      await paidAndRecorded();
      const { x } = await backendSalePaid(h, { sendCallback: false });
      // What the paid-invoice listing queues for a sale whose callback never came.
      await enqueueJob(
        h.stores.db,
        { kind: 'record-backend-payment', merchantId: h.merchant.id, payload: { merchantId: h.merchant.id, xenditInvoiceId: x.id } },
        h.clock(),
      );
      await h.worker.drain();
      assert.equal((await paymentOf(x.id))?.syncState, 'recorded');
      assert.equal((await paymentOf(x.id))?.xenditPaymentId, null);
      const { id } = await h.sims.xendit.refund(x.id, { amount: 20_000, sendWebhook: false });
      await webhook(id).expect(200);
      await h.worker.drain();
      assert.equal((await refundJob(id))?.state, 'needs_review');
      assert.match((await refundJob(id))?.lastError ?? '', /names no invoice and matches no payment the gateway recorded/);
      assert.equal(cashRefunds().length, 0);

      // Its PAID callback comes at last: the payment takes its payment_id, the refund runs again and is booked.
      await paidCallback(h, { id: x.id, external_id: h.sims.xendit.test.callbackBody(x.id)?.external_id as string });
      assert.equal((await paymentOf(x.id))?.xenditPaymentId, h.sims.xendit.test.callbackBody(x.id)?.payment_id);
      await h.worker.drain();
      assert.equal((await refundJob(id))?.state, 'done', (await refundJob(id))?.lastError ?? '');
      const row = await refundRow(id);
      assert.equal(row?.state, 'recorded');
      assert.equal(row?.paymentId, (await paymentOf(x.id))?.id);
      assert.equal(cashRefunds().length, 1);
    });

    it("a payment recorded before its PAID callback came (reconcile, the listing) takes the callback's payment_id: a later refund naming only it is booked", async () => {
      noInvoiceIds();
      // A checkout whose callback was lost (what the reconcile job queues), and a backend sale found by the listing.
      const inv = h.addInvoice({});
      await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
      const checkout = h.sims.xendit.listInvoices().at(-1)!;
      await h.sims.xendit.pay(checkout.id, { sendCallback: false, ...REFUNDABLE });
      const { x: sale } = await backendSalePaid(h, { sendCallback: false });
      for (const [kind, x] of [
        ['record-payment', checkout],
        ['record-backend-payment', sale],
      ] as const) {
        await enqueueJob(h.stores.db, { kind, merchantId: h.merchant.id, payload: { merchantId: h.merchant.id, xenditInvoiceId: x.id } }, h.clock());
      }
      await h.worker.drain();
      for (const x of [checkout, sale]) {
        assert.deepEqual([(await paymentOf(x.id))?.syncState, (await paymentOf(x.id))?.xenditPaymentId], ['recorded', null]);
        await paidCallback(h, { id: x.id, external_id: h.sims.xendit.test.callbackBody(x.id)?.external_id as string });
        assert.equal((await paymentOf(x.id))?.xenditPaymentId, h.sims.xendit.test.callbackBody(x.id)?.payment_id);
      }
      await h.worker.drain();
      for (const x of [checkout, sale]) {
        const { id } = await h.sims.xendit.refund(x.id, { amount: 20_000, sendWebhook: false });
        await webhook(id).expect(200);
        await h.worker.drain();
        const row = await refundRow(id);
        assert.equal(row?.state, 'recorded', (await refundJob(id))?.lastError ?? '');
        assert.equal(row?.paymentId, (await paymentOf(x.id))?.id);
      }
      assert.equal(cashRefunds().length, 2);
    });

    it('a PAID callback naming another payment_id than the payment holds changes nothing', async () => {
      const { x } = await paidAndRecorded();
      const held = (await paymentOf(x.id))?.xenditPaymentId;
      assert.ok(held);
      await request(h.app)
        .post(h.callbackPath)
        .set('x-callback-token', h.merchant.callbackToken)
        .send({ ...h.sims.xendit.test.callbackBody(x.id), id: x.id, external_id: x.external_id, status: 'SETTLED', payment_id: 'another-payment' })
        .expect(200);
      assert.equal((await paymentOf(x.id))?.xenditPaymentId, held);
    });
  });

  it('a refund that names no invoice and matches no payment we recorded is not dropped: its job goes to review (once, however often listed) and the report lists it missing in Xero', async () => {
    noInvoiceIds();
    await paidAndRecorded();
    const outside = h.sims.xendit.createInvoice({ account: h.merchant.xenditSecretKey, currency: 'IDR', amount: 90_000 });
    await h.sims.xendit.pay(outside.id, { sendCallback: false, ...REFUNDABLE });
    const { id } = await h.sims.xendit.refund(outside.id, { amount: 20_000, sendWebhook: false });
    await list();
    await h.worker.drain();
    await list();
    await h.worker.drain();
    await webhook(id).expect(200, { received: true, duplicate: true });
    const jobs = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-refund');
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0].state, 'needs_review');
    assert.match(jobs[0].lastError ?? '', new RegExp(`Xendit refund ${id} of 20000 IDR names no invoice and matches no payment`));
    assert.equal(notes().length, 0, 'nothing guessed into Xero');

    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const report = await reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient }, (await h.stores.merchants.byId(h.merchant.id))!, {
      from: day(-1),
      to: day(1),
    });
    const [row, ...more] = report.rows.filter((r) => r.note.includes(id));
    assert.equal(more.length, 0);
    assert.deepEqual([row.status, row.xenditAmount, row.xenditInvoiceId], ['missing_in_xero', '-20000.00', null]);
  });

  /** Paid at Xendit, its PAID callback not delivered yet, and refunded in part: the refund's webhook comes first. */
  async function refundedBeforeRecorded() {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    await h.sims.xendit.pay(x.id, { sendCallback: false, ...REFUNDABLE });
    const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false });
    await webhook(id).expect(200);
    return { x, id };
  }

  it('a refund whose webhook came before its payment was recorded (the paid callback late): its job waits for the payment, then books it once; the listing adds nothing', async () => {
    const { x, id } = await refundedBeforeRecorded();
    await h.worker.drain();
    const job = async () => (await h.stores.jobs.list()).find((j) => j.kind === 'record-refund')!;
    assert.equal((await job()).state, 'queued', 'an invoice of our checkout: its payment is coming, the refund is not "not ours"');
    assert.match((await job()).lastError ?? '', /payment is not recorded yet/);
    await list();
    await h.worker.drain();
    assert.equal(notes().length, 0, 'the payment is still not recorded: nothing booked');

    await paidCallback(h, x);
    await h.worker.drain();
    h.clock.advance(3600_000);
    await h.worker.drain();
    assert.equal((await refundRow(id))?.state, 'recorded');
    assert.equal(notes().length, 1);
    assert.equal(cashRefunds().length, 1);
    await list();
    await h.worker.drain();
    assert.equal(notes().length, 1, 'booked once however often it is listed');
  });

  it('the same, found only by the listing (no webhook): its job waits for the payment and books it once', async () => {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    await h.sims.xendit.pay(x.id, { sendCallback: false, ...REFUNDABLE });
    const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false });
    await list();
    await h.worker.drain();
    assert.equal(notes().length, 0);
    await paidCallback(h, x);
    await h.worker.drain();
    h.clock.advance(3600_000);
    await h.worker.drain();
    assert.equal((await refundRow(id))?.state, 'recorded');
    assert.equal(cashRefunds().length, 1);
  });

  it("a job that ends the same way when run again is a person's: the listing runs it again once, not at every run", async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false });
    // Xendit lists the refund but its own GET answers 404 (the two disagree): the job goes to review.
    h.sims.xendit.faults.failNext(100, 404, { path: `/refunds/${id}` });
    await webhook(id).expect(200);
    await h.worker.drain();
    const job = async () => (await h.stores.jobs.list()).find((j) => j.kind === 'record-refund')!;
    assert.equal((await job()).state, 'needs_review');
    const reads = () => h.sims.xendit.test.countRequests({ method: 'GET', pathPrefix: `/refunds/${id}` });
    const before = reads();
    for (let i = 0; i < 3; i++) {
      await list();
      await h.worker.drain();
    }
    assert.equal(reads(), before + 1, 'run again once by the listing, then left to a person');
    assert.equal((await job()).state, 'needs_review');
    assert.equal(notes().length, 0);
  });

  it('a refund whose job gave up waiting for its payment (the PAID callback days late): the commit that records the payment queues it again, booked once', async () => {
    const { x, id } = await refundedBeforeRecorded();
    const job = async () => (await h.stores.jobs.list()).find((j) => j.kind === 'record-refund')!;
    for (let i = 0; i < 40 && (await job()).state !== 'needs_review'; i++) {
      h.clock.advance(9 * 3600_000);
      await h.worker.drain();
    }
    assert.equal((await job()).state, 'needs_review', 'gave up waiting');
    assert.match((await job()).lastError ?? '', /payment is not recorded yet/);

    await paidCallback(h, x);
    await h.worker.drain();
    assert.equal((await refundRow(id))?.state, 'recorded');
    assert.equal(notes().length, 1);
    assert.equal(cashRefunds().length, 1);
    await list();
    await h.worker.drain();
    await webhook(id).expect(200, { received: true, duplicate: true });
    await h.worker.drain();
    assert.equal(notes().length, 1, 'booked once');
    assert.equal(cashRefunds().length, 1);
  });

  it('the same for two payments recorded together (one batch): each refund that gave up is queued again and booked once', async () => {
    const first = await refundedBeforeRecorded();
    const second = await refundedBeforeRecorded();
    const jobs = async () => (await h.stores.jobs.list()).filter((j) => j.kind === 'record-refund');
    for (let i = 0; i < 40 && (await jobs()).some((j) => j.state !== 'needs_review'); i++) {
      h.clock.advance(9 * 3600_000);
      await h.worker.drain();
    }
    assert.deepEqual(
      (await jobs()).map((j) => j.state),
      ['needs_review', 'needs_review'],
    );

    await paidCallback(h, first.x);
    await paidCallback(h, second.x);
    await h.worker.drain();
    for (const { id } of [first, second]) assert.equal((await refundRow(id))?.state, 'recorded');
    assert.equal(notes().length, 2);
    assert.equal(cashRefunds().length, 2);
  });

  it('a refund booked by hand (same Reference) while its job waited for the payment is found by its next attempt, not booked again', async () => {
    const { x, id } = await refundedBeforeRecorded();
    await h.worker.drain(); // payment not recorded yet: the job waits, nothing booked
    await paidCallback(h, x);
    await h.worker.drain();
    // The accountant, told by the report, books the refund by hand with the Reference it names.
    const payment = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
    const contactId = (await h.sims.xeroClient.getInvoice(h.merchant.xero, payment.xeroInvoiceId))!.contactId!;
    const note = await h.sims.xeroClient.createCreditNote(
      h.merchant.xero,
      {
        contactId,
        date: '2026-12-01',
        reference: `Xendit refund ${id}`,
        currencyCode: 'IDR',
        lineAmountTypes: 'NoTax',
        lineItems: [{ description: 'by hand', accountCode: '200', amount: '40000' }],
      },
      'by-hand',
    );
    await list();
    h.clock.advance(3600_000);
    await h.worker.drain();
    assert.equal(notes().length, 1, 'the credit note made by hand, no second one');
    assert.equal((await refundRow(id))?.xeroCreditNoteId, note.creditNoteId);
    assert.equal(cashRefunds().length, 1);
  });

  it('a refund PENDING so long its job gave up, then SUCCEEDED with no webhook: the listing runs that job again and books it once', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, pending: true });
    await webhook(id).expect(200);
    const job = async () => (await h.stores.jobs.list()).find((j) => j.kind === 'record-refund')!;
    for (let i = 0; i < 40 && (await job()).state !== 'needs_review'; i++) {
      h.clock.advance(3600_000);
      await h.worker.drain();
    }
    assert.equal((await job()).state, 'needs_review', 'gave up waiting');
    await h.sims.xendit.completeRefund(id, 'SUCCEEDED', { sendWebhook: false });
    await list();
    await h.worker.drain();
    assert.equal((await refundRow(id))?.state, 'recorded');
    assert.equal(notes().length, 1);
    await list();
    await h.worker.drain();
    assert.equal(cashRefunds().length, 1);
  });

  describe('of a backend-flow sale not in Xero yet (its job in review: no sales account)', () => {
    const setSalesAccount = (code: string | null) =>
      h.stores.db.updateTable('merchants').set({ sales_account_code: code }).where('id', '=', h.merchant.id).execute();
    const saleKey = (xenditInvoiceId: string) => JOB_SPECS['record-backend-payment'].dedupeKey({ merchantId: h.merchant.id, xenditInvoiceId });
    const jobOf = async (kind: string) => (await h.stores.jobs.list()).find((j) => j.kind === kind)!;

    /** Paid at the Xendit dashboard (its callback delivered), its sale in review, then refunded with the webhook delivered. */
    async function refundedSaleInReview() {
      await setSalesAccount(null);
      const { x, paid } = await backendSalePaid(h);
      assert.equal(paid?.responseStatus, 200);
      await h.worker.drain();
      assert.equal((await jobOf('record-backend-payment')).state, 'needs_review');
      const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false });
      await webhook(id).expect(200);
      await h.worker.drain();
      return { x, id };
    }

    /** The operator sets a sales account and runs the sale's job again (`jobs replay`). */
    async function saleFixed(xenditInvoiceId: string) {
      await setSalesAccount('200');
      assert.equal(await h.stores.jobs.replayKey(saleKey(xenditInvoiceId), ['needs_review'], h.clock()), true);
      await h.worker.drain();
      assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, xenditInvoiceId))?.syncState, 'recorded');
    }

    function bookedOnce(id: string) {
      const booked = notes().filter((n) => n.reference === `Xendit refund ${id}`);
      assert.equal(booked.length, 1, 'one credit note');
      assert.equal(booked[0].total, 4_000_000n, '40 000 IDR');
      assert.equal(notes().length, 1);
      const cash = cashRefunds();
      assert.equal(cash.length, 1, 'one cash refund');
      assert.equal(cash[0].documentId, booked[0].creditNoteId);
    }

    it('its refund waits for the sale instead of being dropped as not ours, then is booked once', async () => {
      const { x, id } = await refundedSaleInReview();
      const refundJob = await jobOf('record-refund');
      assert.equal(refundJob.state, 'queued', 'waiting, not ended as "not ours"');
      assert.match(refundJob.lastError ?? '', /backend-flow sale not in Xero yet \(its record-backend-payment job is needs_review\)/);
      assert.equal(notes().length, 0);

      await saleFixed(x.id);
      h.clock.advance(3600_000);
      await h.worker.drain();
      assert.equal((await refundRow(id))?.state, 'recorded');
      bookedOnce(id);

      await list();
      await h.worker.drain();
      await webhook(id).expect(200, { received: true, duplicate: true });
      await h.worker.drain();
      bookedOnce(id);
    });

    it('a sale marked handled by hand: its refund goes to review at once saying to book it by hand too, nothing booked', async () => {
      await setSalesAccount(null);
      const { x } = await backendSalePaid(h);
      await h.worker.drain();
      const sale = await jobOf('record-backend-payment');
      assert.equal(sale.state, 'needs_review');
      const { updated_at } = await h.stores.db.selectFrom('jobs').select('updated_at').where('id', '=', sale.id).executeTakeFirstOrThrow();
      const who = { userId: null, userEmail: 'owner@toko.test' };
      const marked = await h.stores.reviewJobs.markHandled(
        {
          jobId: sale.id,
          merchantId: h.merchant.id,
          kinds: ['record-backend-payment'],
          stoppedAt: new Date(updated_at),
          paymentId: null,
          row: { table: 'payment_sale', xenditInvoiceId: x.id },
          note: 'sale recorded in Xero by hand',
          ...who,
          audit: { merchantId: h.merchant.id, ...who, action: 'review_handled', detail: { jobId: sale.id } },
        },
        h.clock(),
      );
      assert.equal(marked, true);
      const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false });
      await webhook(id).expect(200);
      await h.worker.drain();
      const refundJob = await jobOf('record-refund');
      assert.equal(refundJob.state, 'needs_review', 'a person is told at once, not after a day of waiting');
      assert.match(refundJob.lastError ?? '', /marked handled by hand: book the refund by hand too/);
      assert.match(refundJob.lastError ?? '', new RegExp(`Reference "Xendit refund ${id}"`));
      assert.equal(notes().length, 0);
    });

    it('a sale left in review puts its refund in review too; the commit that records the sale queues the refund again, booked once (no listing needed)', async () => {
      const { x, id } = await refundedSaleInReview();
      for (let i = 0; i < 40 && (await jobOf('record-refund')).state !== 'needs_review'; i++) {
        h.clock.advance(9 * 3600_000);
        await h.worker.drain();
      }
      const refundJob = await jobOf('record-refund');
      assert.equal(refundJob.state, 'needs_review', 'gave up waiting: a person sees it');
      assert.match(refundJob.lastError ?? '', /^gave up after \d+ attempts: .*backend-flow sale not in Xero yet/);
      assert.equal(notes().length, 0);

      await saleFixed(x.id);
      assert.equal((await refundRow(id))?.state, 'recorded', 'booked in the drain that recorded the sale');
      bookedOnce(id);
      const again = await jobOf('record-refund');
      assert.equal(again.state, 'done');
      assert.equal(again.payload.waitsFor, undefined, 'queued again once: no longer marked as waiting');
      await list();
      await h.worker.drain();
      await webhook(id).expect(200, { received: true, duplicate: true });
      await h.worker.drain();
      bookedOnce(id);
    });

    it('a refund whose job ended as "not ours" before the sale was even seen (its PAID callback late): recording the sale runs it again, booked once', async () => {
      const { x } = await backendSalePaid(h, { sendCallback: false });
      const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false });
      await webhook(id).expect(200);
      await h.worker.drain();
      assert.equal((await jobOf('record-refund')).state, 'done', 'no sale of that invoice yet: not ours, done');
      assert.equal(notes().length, 0);

      await paidCallback(h, { id: x.id, external_id: x.externalId });
      await h.worker.drain();
      assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))?.syncState, 'recorded');
      assert.equal((await refundRow(id))?.state, 'recorded');
      bookedOnce(id);
      await list();
      await h.worker.drain();
      bookedOnce(id);
    });

    /** A paid invoice another system made in this account (never a sale of the merchant's), and its refund at Xendit's time `at`. */
    async function othersRefund(at: Date) {
      const other = h.sims.xendit.createInvoice({ account: h.merchant.xenditSecretKey, currency: 'IDR', amount: 50_000 });
      await h.sims.xendit.pay(other.id, { sendCallback: false, ...REFUNDABLE });
      return (await h.sims.xendit.refund(other.id, { amount: 1000, sendWebhook: false, createdAt: at })).id;
    }
    const refundJobOf = async (refundId: string) =>
      (await h.stores.jobs.list()).filter((j) => j.kind === 'record-refund' && (j.payload as { xenditRefundId?: string }).xenditRefundId === refundId);

    it('a refund found only by the listing before the sale was seen (webhook and PAID callback lost), the listing past it since: recording the sale books it once', async () => {
      const t0 = Date.now();
      const older = await othersRefund(new Date(t0 + 1000));
      const { x } = await backendSalePaid(h, { sendCallback: false });
      const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false, createdAt: new Date(t0 + 2000) });
      await list(); // newest first: R read once, before its sale is known
      await h.worker.drain();
      await othersRefund(new Date(t0 + 3000));
      await list(); // the walk stops at the mark: R is not read again
      await h.worker.drain();
      assert.equal(notes().length, 0);

      await paidCallback(h, { id: x.id, external_id: x.externalId });
      await h.worker.drain();
      assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))?.syncState, 'recorded');
      await list();
      await h.worker.drain();
      assert.equal((await refundRow(id))?.state, 'recorded', 'booked although no listing reads it again');
      bookedOnce(id);
      // Another system's refund: one job, ended at its first run, nothing in review or queued again.
      assert.deepEqual(
        (await refundJobOf(older)).map((j) => [j.state, j.attempts]),
        [['done', 1]],
      );
    });

    it("without the backend flow no sale of an invoice the gateway did not make can come: the listing queues nothing for another system's refund", async () => {
      const id = await othersRefund(new Date(Date.now() + 1000));
      await list();
      await h.worker.drain();
      assert.deepEqual(await refundJobOf(id), []);
    });
  });

  it('a lost answer to the credit note: the retry finds it by Reference and creates one of each', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.refund(x.id, { sendWebhook: false });
    h.sims.xero.faults.dropResponseAfterSave(1, { path: CREDIT_NOTES });
    await webhook(id).expect(200);
    await h.worker.drain();
    assert.equal(notes().length, 1, 'Xero saved it');
    assert.equal(cashRefunds().length, 0);
    assert.ok((await refundRow(id))?.creditAttemptAt, 'outcome unknown');

    h.clock.advance(60_000);
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId); // later than Xero keeps a key
    await h.worker.drain();
    assert.equal(notes().length, 1, 'found, not created again');
    assert.equal(cashRefunds().length, 1);
    assert.equal((await refundRow(id))?.state, 'recorded');
  });

  it('a lost answer to the cash refund: the retry finds it by Reference on the credit note and pays out once', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.refund(x.id, { amount: 30_000, sendWebhook: false });
    h.sims.xero.faults.dropResponseAfterSave(1, { path: '/api.xro/2.0/Payments' });
    await webhook(id).expect(200);
    await h.worker.drain();
    assert.equal(cashRefunds().length, 1, 'Xero saved it');
    const marked = await refundRow(id);
    assert.ok(marked?.xeroCreditNoteId, 'the credit note was stored before the refund was sent');
    assert.ok(marked?.refundAttemptAt, 'outcome unknown');
    assert.equal(marked?.state, 'pending');

    h.clock.advance(60_000);
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
    await h.worker.drain();
    assert.equal(notes().length, 1);
    assert.equal(cashRefunds().length, 1, 'found, not paid out again');
    assert.equal((await refundRow(id))?.state, 'recorded');
    assert.equal((await refundRow(id))?.xeroRefundPaymentId, cashRefunds()[0].paymentId);
  });

  it("the merchant allocated the credit note's credit in Xero before its cash refund went out: the refund goes to review saying why, and nothing is paid out", async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.refund(x.id, { sendWebhook: false });
    h.sims.xero.faults.failNext(20, 503, { method: 'POST', path: '/api.xro/2.0/Payments' }); // Xero down for the cash refund
    await webhook(id).expect(200);
    await h.worker.drain();
    h.sims.xero.faults.reset();
    const [note] = notes();
    assert.equal(cashRefunds().length, 0, 'Xero was down for the cash refund');
    // Meanwhile the merchant allocates 100 000 of the 150 000 credit to another invoice of the customer.
    const other = h.addInvoice({});
    await h.sims.xero.test.allocateCreditNote(h.tenantId, note.creditNoteId, 10000000n, other.invoiceId);
    h.clock.advance(10 * 60_000);
    await h.worker.drain();
    assert.equal(cashRefunds().length, 0, 'no cash refund beyond what the credit note still holds');
    const job = (await h.stores.jobs.list()).find((j) => j.kind === 'record-refund')!;
    assert.equal(job.state, 'needs_review');
    assert.match(job.lastError ?? '', /exceeds the amount outstanding/);
    assert.equal((await refundRow(id))?.xeroCreditNoteId, note.creditNoteId, 'the credit note is kept, not made again');
    assert.equal(notes().length, 1);
  });

  it('a refund whose clearing account is in another currency (none set for its own since: the IDR default) goes to review before anything is made in Xero', async () => {
    const { x } = await paidAndRecorded({ currency: 'PHP', lineItems: [{ description: 'Halo-halo', quantity: '1', unitAmount: '1500.00' }] });
    // The merchant's PHP clearing account unset since the payment: clearingAccountFor falls back to the IDR one.
    await h.stores.db.deleteFrom('clearing_accounts').execute();
    const { id } = await h.sims.xendit.refund(x.id, { sendWebhook: false });
    await webhook(id).expect(200);
    await h.worker.drain();
    const job = (await h.stores.jobs.list()).find((j) => j.kind === 'record-refund')!;
    assert.equal(job.state, 'needs_review');
    assert.match(
      job.lastError ?? '',
      /currency mismatch: this PHP refund would be paid out of the clearing account \S+, which is in IDR, and Xero refuses that: nothing was made in Xero/,
    );
    assert.equal(notes().length, 0, 'no credit note left standing in Xero without its refund');
    assert.equal(cashRefunds().length, 0);
    assert.equal((await refundRow(id))?.state, 'needs_review');
  });

  it("reverses the sale's tax: a full refund of a PPN invoice credits its tax, a part refund its share", async () => {
    // 2 × 55 500 incl. PPN 11% on 200 Sales + 39 000 untaxed on 260 Other revenue = 150 000.
    h.sims.xero.addAccount(h.tenantId, { code: '260', name: 'Other Revenue', type: 'REVENUE' });
    const { x } = await paidAndRecorded({
      lineItems: [
        { description: 'Kopi', quantity: '2', unitAmount: '55500', accountCode: '200', taxType: 'OUTPUT' },
        { description: 'Ongkir', quantity: '1', unitAmount: '39000', accountCode: '260' },
      ],
    });
    const part = await h.sims.xendit.refund(x.id, { amount: 50_000, sendWebhook: false });
    await webhook(part.id).expect(200);
    await h.worker.drain();
    const [note] = notes();
    assert.equal(note.lineAmountTypes, 'Inclusive');
    assert.deepEqual(
      note.lineItems.map((li) => [li.accountCode, li.taxType, li.lineAmount, li.taxAmount]),
      [
        ['200', 'OUTPUT', 3700000n, 366667n],
        ['260', 'NONE', 1300000n, 0n],
      ],
      '50 000 shared 111 000 : 39 000; PPN taken out of the taxed share',
    );
    assert.equal(note.total, 5000000n, 'the credit note is exactly the refund');

    const rest = await h.sims.xendit.refund(x.id, { sendWebhook: false });
    await webhook(rest.id).expect(200);
    await h.worker.drain();
    const all = notes();
    assert.equal(all.length, 2);
    assert.equal(
      all.reduce((s, n) => s + n.totalTax, 0n),
      1100000n,
      "both refunds together give back the invoice's 11 000 PPN",
    );
    assert.equal(
      cashRefunds().reduce((s, p) => s + p.amount, 0n),
      15000000n,
    );
  });

  describe('an account of the sale archived in Xero since', () => {
    const ARCHIVED = "Account code '260' has been archived, or has been deleted. Each line item must reference a valid account.";
    const archive = (code: string) => h.sims.xero.test.archiveAccount(h.tenantId, h.sims.xero.bankAccountFor(h.tenantId, code).accountId);
    const refundJob = async () => (await h.stores.jobs.list()).find((j) => j.kind === 'record-refund')!;

    it("Xero refuses the sale's own lines; the credit note gives the tax back on the sales account instead, its line saying why, and is booked", async () => {
      // 2 × 55 500 incl. PPN 11% on 200 Sales + 39 000 untaxed on 260 Other revenue = 150 000.
      h.sims.xero.addAccount(h.tenantId, { code: '260', name: 'Other Revenue', type: 'REVENUE' });
      const { x } = await paidAndRecorded({
        lineItems: [
          { description: 'Kopi', quantity: '2', unitAmount: '55500', accountCode: '200', taxType: 'OUTPUT' },
          { description: 'Ongkir', quantity: '1', unitAmount: '39000', accountCode: '260' },
        ],
      });
      archive('260');
      // The credit note the refund made so far: the sale's lines as they were.
      const payment = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
      const sale = (await h.sims.xeroClient.getInvoice(h.merchant.xero, payment.xeroInvoiceId))!;
      const contactId = sale.contactId!;
      await assert.rejects(
        h.sims.xeroClient.createCreditNote(
          h.merchant.xero,
          {
            contactId,
            date: '2026-12-01',
            reference: 'the old lines',
            currencyCode: 'IDR',
            lineAmountTypes: 'Inclusive',
            lineItems: [{ description: 'Refund', accountCode: '260', taxType: 'NONE', amount: '39000' }],
          },
          'old-lines',
        ),
        (err: Error) => err.message.includes(ARCHIVED),
      );

      const { id } = await h.sims.xendit.refund(x.id, { sendWebhook: false });
      await webhook(id).expect(200);
      await h.worker.drain();
      const row = await refundRow(id);
      assert.equal(row?.state, 'recorded', row?.lastError ?? '');
      const [note, ...more] = notes();
      assert.equal(more.length, 0);
      assert.deepEqual(
        note.lineItems.map((li) => [li.accountCode, li.taxType, li.lineAmount, li.taxAmount]),
        [
          ['200', 'OUTPUT', 11100000n, 1100000n],
          ['200', 'NONE', 3900000n, 0n],
        ],
        "the sale's PPN still given back; the untaxed part on the sales account",
      );
      assert.deepEqual(
        note.lineItems.map((li) => li.description),
        [
          `Refund of ${sale.invoiceNumber} (Xendit refund ${id})`,
          `Refund of ${sale.invoiceNumber} (Xendit refund ${id}); account 260 is archived in Xero, credited to 200`,
        ],
      );
      assert.equal(note.total, 15000000n);
      assert.equal(cashRefunds().length, 1);
      assert.equal(cashRefunds()[0].documentId, note.creditNoteId);
    });

    it('the sales account archived too: the refund waits for review naming it and what to do, nothing sent; once an active one is chosen, the job run again books it', async () => {
      const { x } = await paidAndRecorded(); // no tax detail: one line on the sales account, 200
      archive('200');
      const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false });
      await webhook(id).expect(200);
      await h.worker.drain();
      const held = await refundRow(id);
      assert.equal(held?.state, 'needs_review');
      assert.equal(
        held?.lastError,
        "the merchant's sales account 200 is archived or deleted in Xero: no credit note was made. Choose an active sales account on the merchant's Accounts page (or restore the account in Xero), then run this job again (jobs replay)",
      );
      assert.equal(held?.creditAttemptAt, null, 'nothing was sent');
      assert.equal((await refundJob()).state, 'needs_review');
      assert.equal(notes().length, 0);

      h.sims.xero.addAccount(h.tenantId, { code: '210', name: 'Online Sales', type: 'REVENUE' });
      await h.stores.db.updateTable('merchants').set({ sales_account_code: '210' }).where('id', '=', h.merchant.id).execute();
      assert.equal(await h.stores.jobs.replay((await refundJob()).id, h.clock()), true);
      await h.worker.drain();
      assert.equal((await refundRow(id))?.state, 'recorded');
      const [note, ...more] = notes();
      assert.equal(more.length, 0);
      assert.deepEqual(
        note.lineItems.map((li) => [li.accountCode, li.lineAmount]),
        [['210', 4000000n]],
      );
      assert.equal(cashRefunds().length, 1);
    });
  });

  it('a credit note that never reached Xero (connection reset, as a crash before sending): the retry looks it up, finds none, creates one', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.refund(x.id, { sendWebhook: false });
    h.sims.xero.faults.resetConnection(1, { path: CREDIT_NOTES });
    await webhook(id).expect(200);
    await h.worker.drain();
    assert.equal(notes().length, 0);
    assert.ok((await refundRow(id))?.creditAttemptAt, 'marked: whether it reached Xero is unknown');
    h.sims.xero.test.clearRequests();
    // Once Xero would show what it made of it (UNSETTLED_MS): before, nothing is sent again.
    h.clock.advance(UNSETTLED_MS);
    await h.worker.drain();
    assert.equal(notes().length, 1);
    assert.equal(cashRefunds().length, 1);
    assert.equal(h.sims.xero.test.countRequests({ method: 'GET', pathPrefix: CREDIT_NOTES }), 1, 'looked up once before creating');
    assert.equal((await refundRow(id))?.state, 'recorded');
  });

  it('a pending refund waits; when Xendit says it failed, nothing goes into Xero', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.refund(x.id, { pending: true });
    await webhook(id).expect(200);
    await h.worker.drain();
    assert.equal(notes().length, 0);
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-refund');
    assert.equal(job.state, 'queued', 'tried again later');

    await h.sims.xendit.completeRefund(id, 'FAILED', { sendWebhook: false });
    h.clock.advance(15 * 60_000);
    await h.worker.drain();
    assert.equal(notes().length, 0);
    assert.equal(cashRefunds().length, 0);
    assert.equal((await h.stores.jobs.list()).find((j) => j.kind === 'record-refund')?.state, 'done');
  });

  it("takes the refund's id from either documented webhook shape (docs.xendit.co's envelope inside data, xendit-node's refund in data), and refuses garbage (400) writing nothing", async () => {
    const { x } = await paidAndRecorded();
    const send = (body: object) => request(h.app).post(refundCallbackPathFor(h.merchant.id)).set('x-callback-token', h.merchant.callbackToken).send(body);
    const before = (await h.stores.jobs.list()).length;
    for (const garbage of [
      { event: 'refund.succeeded', data: { data: {} } },
      { event: 'refund.succeeded', data: { data: { id: 7 } } },
      { event: 'refund.succeeded', data: { event: 'refund.succeeded' } },
      { event: 'refund.succeeded', data: [] },
    ])
      await send(garbage).expect(400);
    assert.equal((await h.stores.jobs.list()).length, before, 'nothing written for garbage');

    const nested = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false });
    const envelope = { event: 'refund.succeeded', business_id: 'b', created: '2026-12-01T00:00:00Z' };
    await send({ ...envelope, data: { ...envelope, data: { id: nested.id, status: 'SUCCEEDED', invoice_id: null } } }).expect(200, {
      received: true,
      duplicate: false,
    });
    const flat = await h.sims.xendit.refund(x.id, { amount: 10_000, sendWebhook: false });
    await send({ ...envelope, data: { id: flat.id, status: 'SUCCEEDED' } }).expect(200, { received: true, duplicate: false });
    await h.worker.drain();
    assert.deepEqual(
      notes()
        .map((n) => n.reference)
        .sort(),
      [`Xendit refund ${nested.id}`, `Xendit refund ${flat.id}`].sort(),
    );
  });

  it('refuses a refund webhook with a wrong token (401) or a malformed body (400), writing nothing', async () => {
    const before = (await h.stores.jobs.list()).length;
    await webhook('rfd-x', 'wrong').expect(401);
    await request(h.app)
      .post(refundCallbackPathFor(h.merchant.id))
      .set('x-callback-token', h.merchant.callbackToken)
      .send({ event: 'refund.succeeded' })
      .expect(400);
    await request(h.app).post(refundCallbackPathFor(h.merchant.id)).set('x-callback-token', h.merchant.callbackToken).type('text').send('hello').expect(415);
    assert.equal((await h.stores.jobs.list()).length, before);
  });
});
