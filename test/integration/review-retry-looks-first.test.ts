import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { addedAtTheTestsStart, createHarness, paidThroughGateway, REFUNDABLE, type Harness } from '../helpers/harness.js';
import { BILLING_REPORT_HEAD } from '../helpers/fee-bills.js';
import { page, seedAdminCast, signedIn, versionOf, type Agent } from '../helpers/admin.js';
import { adminMerchantPath, adminReviewRetryPath, refundCallbackPathFor } from '../../app/paths.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import { toDecimal } from '../../app/money.js';

/**
 * The review page offers Retry, and its reasons tell a person they may post the entry by hand
 * with its Reference instead. Someone who does both must not get it twice: a job queued again
 * looks in Xero by Reference before it creates anything, whatever its attempt mark says (a refusal
 * with ValidationErrors cleared it), and takes what it finds.
 */
describeEachDatabase('admin: Retry from review after the entry was booked by hand', ({ db }) => {
  let h: Harness;
  let owner: Agent;
  beforeEach(async () => {
    h = await createHarness(db());
    await addedAtTheTestsStart(h);
    await seedAdminCast(h, db());
    owner = await signedIn(h.app, 'a@toko.test');
  });
  afterEach(() => h.close());

  const reviewPath = () => adminMerchantPath(h.merchant.id, 'adminMerchantReview');
  const jobOf = async (kind: string) => (await h.stores.jobs.list()).find((j) => j.kind === kind)!;
  const today = () => h.clock().toISOString().slice(0, 10);
  const authorised = (reference: string) => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === reference && t.status === 'AUTHORISED');
  const feeAccount = (code: string) => h.stores.db.updateTable('merchants').set({ fee_account_code: code }).where('id', '=', h.merchant.id).execute();

  /** The job is in review; a person presses Retry on the page, and the worker runs. */
  async function retried(kind: string) {
    const job = await jobOf(kind);
    assert.equal(job.state, 'needs_review', `${kind} waits for review`);
    const listed = await page(owner, reviewPath());
    assert.equal(listed.$(`#review tr[data-job="${job.id}"] form.retry button`).length, 1, 'Retry offered');
    await owner.post(adminReviewRetryPath(h.merchant.id, job.id)).type('form').send({ _csrf: listed.csrf() }).expect(303);
    await h.worker.drain();
    assert.equal((await h.stores.jobs.byId(job.id))?.state, 'done');
  }

  /** Spend or Receive Money booked in Xero by a person, as the review reason suggests. */
  async function byHand(type: 'SPEND' | 'RECEIVE', bankAccountId: string, reference: string, amount: string, accountCode: string): Promise<string> {
    const line = { description: 'booked by hand', accountCode, amount };
    const t = { type, bankAccountId, contactName: 'Xendit', date: today(), reference, currencyCode: 'IDR', lineItems: [line] };
    return (await h.deps.xero.createBankTransaction(h.merchant.xero, t, `by-hand-${reference}`)).bankTransactionId;
  }

  it('a fee Xero refused, posted by hand, then retried: no second Spend Money, the fee points at the one by hand', async () => {
    await feeAccount('999');
    const { x } = await paidThroughGateway(h);
    await h.worker.drain();
    const refused = await h.stores.payments.byXenditInvoice(h.merchant.id, x.id);
    assert.equal(refused?.feeState, 'needs_review');
    assert.equal(refused.feeAttemptAt, null, 'a refusal with ValidationErrors: nothing was made');

    const reference = `Xendit fee ${x.id}`;
    const mine = await byHand('SPEND', h.clearingAccountId, reference, '4350.00', '404');
    await feeAccount('404');
    await retried('post-fee');
    assert.deepEqual(
      authorised(reference).map((t) => t.bankTransactionId),
      [mine],
      'no second fee',
    );
    const p = await h.stores.payments.byXenditInvoice(h.merchant.id, x.id);
    assert.deepEqual([p?.feeState, p?.xeroFeeTxnId], ['posted', mine]);
  });

  it('a withdrawal Xero refused, transferred by hand, then retried: no second bank transfer, the withdrawal points at the one by hand', async () => {
    const savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
    await pickSettlement(savings);
    h.sims.xero.test.archiveAccount(h.tenantId, savings);
    const { x } = await paidThroughGateway(h);
    await h.worker.drain();
    await h.sims.xendit.settle(x.id);
    await h.worker.drain();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000);
    await listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
    await h.worker.drain();
    const row = (await h.stores.settlements.byXenditId(h.merchant.id, w.id))!;
    assert.equal(row.transferAttemptAt, null);

    const current = h.sims.xero.addAccount(h.tenantId, { code: '093', name: 'Business Current Account', type: 'BANK' }).accountId;
    const reference = `Xendit withdrawal ${w.id}`;
    const transfer = { fromAccountId: h.clearingAccountId, toAccountId: current, amount: toDecimal(row.amount, 'IDR'), date: today(), reference };
    const mine = (await h.deps.xero.createBankTransfer(h.merchant.xero, { ...transfer, fromIsReconciled: false, toIsReconciled: false }, 'by-hand-w'))
      .bankTransferId;
    await pickSettlement(current);
    await retried('record-withdrawal');
    assert.deepEqual(
      h.sims.xero.test
        .bankTransfers(h.tenantId)
        .filter((t) => t.reference === reference)
        .map((t) => t.bankTransferId),
      [mine],
      'no second transfer',
    );
    const booked = await h.stores.settlements.byXenditId(h.merchant.id, w.id);
    assert.deepEqual([booked?.state, booked?.xeroBankTransferId], ['recorded', mine]);
  });

  it('an other balance movement Xero refused, booked by hand, then retried: no second Spend Money', async () => {
    h.sims.xendit.test.useClock(h.clock);
    try {
      const suspense = h.sims.xero.addAccount(h.tenantId, { code: '899', name: 'Xendit other movements', type: 'CURRENT' }).code;
      const { x } = await paidThroughGateway(h);
      await h.worker.drain();
      await h.sims.xendit.settle(x.id, { sendCallback: false });
      await h.stores.merchants.setSettings(h.merchant.id, { otherMovementsAccountCode: '999' }, h.clock());
      h.clock.advance(60_000);
      const m = h.sims.xendit.test.movement(h.merchant.xenditSecretKey, { type: 'TRANSFER_OUT', currency: 'IDR', amount: 20_000, cashflow: 'MONEY_OUT' });
      await listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
      await h.worker.drain();
      const moved = (await h.stores.otherMovements.byXenditId(h.merchant.id, m.id))!;
      assert.equal(moved.attemptAt, null);

      const reference = `Xendit movement ${m.id}`;
      const mine = await byHand('SPEND', h.clearingAccountId, reference, toDecimal(-moved.amount, 'IDR'), suspense);
      await h.stores.merchants.setSettings(h.merchant.id, { otherMovementsAccountCode: suspense }, h.clock());
      await retried('record-other-movement');
      assert.deepEqual(
        authorised(reference).map((t) => t.bankTransactionId),
        [mine],
      );
      const booked = await h.stores.otherMovements.byXenditId(h.merchant.id, m.id);
      assert.deepEqual([booked?.state, booked?.xeroBankTransactionId], ['recorded', mine]);
    } finally {
      h.sims.xendit.test.useClock();
    }
  });

  it('a fee given back that Xero refused, booked by hand, then retried: no second Receive Money', async () => {
    const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE, beforeCallback: (i) => void (h.sims.xendit.getInvoice(i.id)!.feeTax = 479) });
    await h.sims.xendit.settle(x.id);
    await h.worker.drain();
    const payment = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
    assert.equal(payment.feeState, 'posted');
    await feeAccount('999');
    const { id } = await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
    await request(h.app)
      .post(refundCallbackPathFor(h.merchant.id))
      .set('x-callback-token', h.merchant.callbackToken)
      .send({ event: 'refund.succeeded', business_id: 'b', created: new Date().toISOString(), data: { id, status: 'SUCCEEDED', amount: 1 } })
      .expect(200);
    await h.worker.drain();
    const refused = await h.stores.feeReturns.byPayment(payment.id);
    assert.deepEqual([refused?.attemptAt, refused?.xeroEntryId], [null, null]);

    const reference = `Xendit fee returned ${x.id}`;
    const mine = await byHand('RECEIVE', h.clearingAccountId, reference, toDecimal((payment.fee ?? 0) + (payment.feeTax ?? 0), 'IDR'), '404');
    await feeAccount('404');
    await retried('return-fee');
    assert.deepEqual(
      authorised(reference).map((t) => t.bankTransactionId),
      [mine],
    );
    assert.equal((await h.stores.feeReturns.byPayment(payment.id))?.xeroEntryId, mine);
  });

  it('a monthly fee bill Xero refused, entered by hand with its number, then retried: no second bill', async () => {
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { xenditFeeBilling: 'invoiced' }, new Date('2026-01-01T00:00:00Z'));
    await feeAccount('999');
    const report = `${BILLING_REPORT_HEAD}\ntxn_10,"ref, 0",VA_PAYMENT,BCA,DEFAULT,biz_1,2026-10-15 10:00:00,IDR,150000,4500,0`;
    const feeBills = adminMerchantPath(h.merchant.id, 'adminMerchantFeeBills');
    const { csrf } = await page(owner, feeBills);
    const preview = cheerio.load(
      (await owner.post(adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsPreview')).type('form').send({ _csrf: csrf(), report }).expect(200)).text,
    );
    const form = preview('#fee-book');
    await owner
      .post(form.attr('action')!)
      .type('form')
      .send({ _csrf: String(form.find('input[name=_csrf]').val()), mode: 'report', report: form.find('textarea[name=report]').text() })
      .expect(303);
    await h.worker.drain();
    const [bill] = await h.stores.feeBills.forMerchant(h.merchant.id);
    assert.deepEqual([bill.state, bill.attemptAt], ['needs_review', null]);

    const number = 'Xendit fees 2026-10 IDR';
    const line = { description: 'Xendit fees October, by hand', quantity: '1', unitAmount: '4500.00', accountCode: '404' };
    const mine = await h.deps.xero.createInvoice(
      h.merchant.xero,
      {
        type: 'ACCPAY',
        contactName: 'Xendit',
        invoiceNumber: number,
        date: '2026-10-31',
        dueDate: '2026-11-30',
        reference: '',
        currencyCode: 'IDR',
        lineItems: [line],
      },
      'by-hand-bill',
    );
    await feeAccount('404');
    await retried('record-fee-bill');
    assert.deepEqual(
      h.sims.xero
        .invoicesOf(h.tenantId)
        .filter((i) => i.invoiceNumber === number)
        .map((i) => i.invoiceId),
      [mine.invoiceId],
      'no second bill',
    );
    const [booked] = await h.stores.feeBills.forMerchant(h.merchant.id);
    assert.deepEqual([booked.state, booked.xeroInvoiceId], ['recorded', mine.invoiceId]);
  });

  /** The settlement bank account for IDR, picked on the settings page. */
  async function pickSettlement(accountId: string) {
    const form = await page(owner, adminMerchantPath(h.merchant.id, 'adminMerchantSettings'));
    const version = versionOf(form.$, 'form[action$="/settings/settlement"]');
    await owner
      .post(adminMerchantPath(h.merchant.id, 'adminMerchantSettlement'))
      .type('form')
      .send({ _csrf: form.csrf(), version, settlement_IDR: accountId })
      .expect(303);
  }
});
