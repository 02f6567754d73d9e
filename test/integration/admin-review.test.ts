import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { sql, type KyselyPlugin } from 'kysely';
import { pino } from 'pino';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { addedAtTheTestsStart, box, createHarness, paidThroughGateway, REFUNDABLE, refundWebhook, type Harness } from '../helpers/harness.js';
import { page, PASSWORD, seedAdminCast, signedIn, type Agent } from '../helpers/admin.js';
import { adminMerchantPath, adminPaymentPath, adminReviewRetryPath, paths } from '../../app/paths.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import { jobRow } from '../../app/jobs/enqueue.js';
import { hashPassword } from '../../app/admin/auth/passwords.js';
import { formatMoney } from '../../app/money.js';
import type { Merchant } from '../../app/store/merchants.js';
import { createApp } from '../../app/server.js';
import { createStores } from '../../app/store/index.js';
import { enqueueJob } from '../helpers/jobs.js';
import { pickSettlementOnPage, withdrawalRefusedByXero } from '../helpers/withdrawal-review.js';

/**
 * A merchant's "Needs review" page: what the worker stopped trying to book besides payments, each
 * with why, and a Retry that queues it again from review only, for those who may change the merchant.
 */
describeEachDatabase('admin: needs review, besides payments, and its Retry', ({ db }) => {
  let h: Harness;
  let other: Merchant;
  let savings: { accountId: string; code: string };
  beforeEach(async () => {
    h = await createHarness(db());
    other = await seedAdminCast(h, db());
    savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account');
  });
  afterEach(() => h.close());

  const reviewPath = (merchantId = h.merchant.id) => adminMerchantPath(merchantId, 'adminMerchantReview');
  const transfers = () => h.sims.xero.test.bankTransfers(h.tenantId);
  const list = () => listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
  const jobOf = async (kind: string) => (await h.stores.jobs.list()).find((j) => j.kind === kind)!;
  const retry = (agent: Agent, csrf: string | undefined, jobId: number, merchantId = h.merchant.id) =>
    agent
      .post(adminReviewRetryPath(merchantId, jobId))
      .type('form')
      .send(csrf === undefined ? {} : { _csrf: csrf });

  const pickSettlement = (agent: Agent, accountId: string) => pickSettlementOnPage(h, agent, accountId);

  /** A withdrawal Xero refused (its settlement bank account archived in Xero since); nothing booked. */
  async function withdrawalInReview(owner: Agent) {
    const refused = await withdrawalRefusedByXero(h, (accountId) => pickSettlement(owner, accountId));
    assert.equal(transfers().length, 0);
    return refused;
  }

  it('lists a withdrawal Xero refused with its reason; Retry after the fix books it once, and a second Retry queues nothing', async () => {
    const owner = await signedIn(h.app, 'a@toko.test');
    const { w, job } = await withdrawalInReview(owner);

    // The dashboard counts it and links to the page.
    const dashboard = await page(owner, paths.admin);
    const banner = dashboard.$(`[data-in-review="${h.merchant.id}"]`);
    assert.match(banner.text(), /Toko Test: 1 item\(s\) besides payments wait for review/);
    assert.equal(banner.find('a').attr('href'), reviewPath());

    const listed = await page(owner, reviewPath());
    const row = listed.$(`#review tr[data-job="${job.id}"]`);
    const stored = (await h.stores.settlements.byXenditId(h.merchant.id, w.id))!;
    const at = listed.$(`#review tr[data-job="${job.id}"] time`).text();
    assert.match(at, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    assert.match(
      row.find('td.what').text(),
      new RegExp(
        `^Withdrawal of ${literal(formatMoney(stored.amount, 'IDR', 'en-US'))} to the bank on \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} \\(Xendit ${w.id}\\)$`,
      ),
    );
    assert.equal(row.find('td.reason').text(), `Xero refused the bank transfer: xero rejected (400): Account code '${savings.code}' has been archived`);
    assert.equal(row.find('form.retry button').text(), 'Retry');
    assert.equal(listed.$('nav.tabs a[aria-current=page]').text(), 'Needs review');

    // The merchant picks another settlement bank account (the archived one stays archived).
    const current = h.sims.xero.addAccount(h.tenantId, { code: '093', name: 'Business Current Account', type: 'BANK' }).accountId;
    await pickSettlement(owner, current);
    assert.equal((await h.stores.jobs.byId(job.id))?.state, 'needs_review', 'saving the account alone queues nothing in review');

    const csrf = listed.csrf();
    await retry(owner, csrf, job.id).expect(303).expect('location', `${reviewPath()}?retried=1`);
    // Pressed again before the worker ran: nothing more is queued, and the page says why.
    const again = await retry(owner, csrf, job.id).expect(409);
    assert.match(cheerio.load(again.text)('#review-notice[data-notice=gone]').text(), /Nothing was done: that item is not waiting for review any more/);
    assert.equal((await h.stores.jobs.byId(job.id))?.state, 'queued');

    await h.worker.drain();
    const [t, ...more] = transfers();
    assert.equal(more.length, 0, 'one bank transfer');
    assert.deepEqual([t.fromAccountId, t.toAccountId, t.reference], [h.clearingAccountId, current, `Xendit withdrawal ${w.id}`]);
    assert.equal((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.state, 'recorded');

    // Done since: Retry answers 409 and queues nothing; the list is empty and says so.
    await retry(owner, csrf, job.id).expect(409);
    assert.equal((await h.stores.jobs.byId(job.id))?.state, 'done');
    await h.worker.drain();
    assert.equal(transfers().length, 1);
    const after = await page(owner, `${reviewPath()}?retried=1`);
    assert.match(after.$('#review-notice[data-notice=retried]').text(), /Queued again/);
    assert.equal(after.$('#review-empty').text(), 'Nothing is waiting for review: everything the gateway found is recorded in Xero or on its way.');
    assert.equal((await page(owner, paths.admin)).$('[data-in-review]').length, 0);

    const audited = (await h.stores.audit.forMerchant(h.merchant.id)).filter((e) => e.action === 'review_retried');
    assert.deepEqual(
      audited.map((e) => [e.userEmail, e.detail]),
      [['a@toko.test', { job: job.id, kind: 'record-withdrawal' }]],
      'one entry: the refused presses changed nothing',
    );
  });

  it('without the CSRF token, or from a read-only staff user, Retry is refused and nothing is queued; staff see the list without the button', async () => {
    const owner = await signedIn(h.app, 'a@toko.test');
    const { job } = await withdrawalInReview(owner);

    await retry(owner, undefined, job.id).expect(403);
    await retry(owner, 'x'.repeat(43), job.id).expect(403);
    assert.equal((await h.stores.jobs.byId(job.id))?.state, 'needs_review');

    await h.stores.users.add(
      { email: 'staff@toko.test', passwordHash: await hashPassword(PASSWORD), role: 'merchant', merchantId: h.merchant.id, merchantRole: 'staff' },
      h.clock(),
    );
    const staff = await signedIn(h.app, 'staff@toko.test');
    const seen = await page(staff, reviewPath());
    assert.equal(seen.$(`#review tr[data-job="${job.id}"]`).length, 1);
    assert.match(seen.$(`#review tr[data-job="${job.id}"] td.reason`).text(), /has been archived/);
    assert.equal(seen.$('#review form').length, 0, 'no Retry for staff');
    assert.match(seen.$('#review-read-only').text(), /the business's owners or the operator retry/);
    // A forged form with the staff user's own token: only owners and operators change the merchant.
    await retry(staff, seen.csrf(), job.id).expect(403);
    assert.equal((await h.stores.jobs.byId(job.id))?.state, 'needs_review');
    assert.equal((await h.stores.audit.forMerchant(h.merchant.id)).filter((e) => e.action === 'review_retried').length, 0);

    // The operator may.
    const ops = await signedIn(h.app, 'ops@example.com');
    const opsPage = await page(ops, reviewPath());
    await retry(ops, opsPage.csrf(), job.id).expect(303);
    assert.equal((await h.stores.jobs.byId(job.id))?.state, 'queued');
  });

  it("another merchant's page or job is not found: no list, no queue", async () => {
    const owner = await signedIn(h.app, 'a@toko.test');
    const { job } = await withdrawalInReview(owner);
    const row = jobRow('record-withdrawal', { merchantId: other.id, xenditTransactionId: 'txn-of-other', live: false }, h.clock());
    await h.stores.jobs.insert(row);
    await h.stores.db.updateTable('jobs').set({ state: 'needs_review', last_error: 'refused' }).where('dedupe_key', '=', row.dedupe_key).execute();
    const othersJob = (await h.stores.jobs.byDedupeKey(row.dedupe_key!))!;

    const ownPage = await page(owner, reviewPath());
    assert.equal(ownPage.$(`#review tr[data-job="${othersJob.id}"]`).length, 0);
    await retry(owner, ownPage.csrf(), othersJob.id).expect(404);
    await retry(owner, ownPage.csrf(), othersJob.id, other.id).expect(404);
    await owner.get(reviewPath(other.id)).expect(404);

    const stranger = await signedIn(h.app, 'b@lain.test');
    const strangerPage = await page(stranger, reviewPath(other.id));
    assert.equal(strangerPage.$(`#review tr[data-job="${othersJob.id}"]`).length, 1);
    await stranger.get(reviewPath()).expect(404);
    await retry(stranger, strangerPage.csrf(), job.id).expect(404);
    await retry(stranger, strangerPage.csrf(), job.id, other.id).expect(404);
    for (const id of [job.id, othersJob.id]) assert.equal((await h.stores.jobs.byId(id))?.state, 'needs_review');
    // Not a job id at all: not found either.
    await retry(owner, ownPage.csrf(), 0).expect(404);
    await owner.post(`${reviewPath()}/1e3/retry`).type('form').send({ _csrf: ownPage.csrf() }).expect(404);
  });

  it("an other balance movement Xero refused: listed in the merchant's words, and booked once after the fix and Retry", async () => {
    h.sims.xendit.test.useClock(h.clock);
    try {
      await addedAtTheTestsStart(h);
      const suspense = h.sims.xero.addAccount(h.tenantId, { code: '899', name: 'Xendit other movements', type: 'CURRENT' }).code;
      const { x } = await paidThroughGateway(h);
      await h.worker.drain();
      await h.sims.xendit.settle(x.id, { sendCallback: false });
      await h.stores.merchants.setSettings(h.merchant.id, { otherMovementsAccountCode: '999' }, h.clock());
      h.clock.advance(60_000);
      const m = h.sims.xendit.test.movement(h.merchant.xenditSecretKey, { type: 'TRANSFER_OUT', currency: 'IDR', amount: 20_000, cashflow: 'MONEY_OUT' });
      await list();
      await h.worker.drain();
      const job = await jobOf('record-other-movement');
      assert.equal(job.state, 'needs_review');

      const owner = await signedIn(h.app, 'a@toko.test');
      const listed = await page(owner, reviewPath());
      const row = listed.$(`#review tr[data-job="${job.id}"]`);
      const moved = (await h.stores.otherMovements.byXenditId(h.merchant.id, m.id))!;
      assert.ok(moved.amount < 0, 'out of the balance');
      assert.match(
        row.find('td.what').text(),
        new RegExp(
          `^Other balance movement out of the Xendit balance: TRANSFER_OUT, ${literal(formatMoney(-moved.amount, 'IDR', 'en-US'))} on .* \\(Xendit ${m.id}\\)$`,
        ),
      );
      assert.match(row.find('td.reason').text(), /^Xero refused the spend money: .*999/);

      await h.stores.merchants.setSettings(h.merchant.id, { otherMovementsAccountCode: suspense }, h.clock());
      await retry(owner, listed.csrf(), job.id).expect(303);
      await h.worker.drain();
      const booked = h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === `Xendit movement ${m.id}` && t.status === 'AUTHORISED');
      assert.equal(booked.length, 1);
      assert.equal((await h.stores.otherMovements.byXenditId(h.merchant.id, m.id))?.state, 'recorded');
    } finally {
      h.sims.xendit.test.useClock();
    }
  });

  it('shows a reason escaped and on one line (never a stack), and a job whose row was never made by its kind and Xendit id, in Indonesian too', async () => {
    const row = jobRow('record-refund', { merchantId: h.merchant.id, xenditRefundId: 'rfd-unread' }, h.clock());
    await h.stores.jobs.insert(row);
    const reason = '<img src=x onerror=alert(1)> refused\n    at bookRefund (/app/jobs/sync/record-refund.ts:120:11)\n    at run (/app/jobs/runner.ts:1:1)';
    await h.stores.db.updateTable('jobs').set({ state: 'needs_review', last_error: reason }).where('dedupe_key', '=', row.dedupe_key).execute();
    const job = (await h.stores.jobs.byDedupeKey(row.dedupe_key!))!;

    const owner = await signedIn(h.app, 'a@toko.test');
    const { $, res } = await page(owner, reviewPath());
    const tr = $(`#review tr[data-job="${job.id}"]`);
    assert.equal(tr.find('td.what').text(), 'Refund (Xendit rfd-unread)');
    assert.equal(tr.find('td.reason').text(), '<img src=x onerror=alert(1)> refused');
    assert.equal($('#review img').length, 0);
    assert.ok(!res.text.includes('bookRefund') && !res.text.includes('runner.ts'), 'no stack on the page');

    const id = await page(owner, `${reviewPath()}?lang=id`);
    assert.equal(id.$('h1').text(), 'Perlu ditinjau — Toko Test');
    assert.equal(id.$(`#review tr[data-job="${job.id}"] td.what`).text(), 'Pengembalian dana (Xendit rfd-unread)');
    assert.equal(id.$(`#review tr[data-job="${job.id}"] form.retry button`).text(), 'Coba lagi');
  });

  it('describes every kind from a few reads for the whole page, however many jobs it lists', async () => {
    // A payment with its fee, refunded: its jobs (fee, refund, fee return) put in review, beside
    // jobs whose rows were never made and refunds waiting for that payment.
    const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE });
    await h.worker.drain();
    const { id: refundId } = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false });
    await refundWebhook(h, refundId).expect(200);
    await h.worker.drain();
    const payment = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
    const queue = (kind: string, payload: Record<string, unknown>) => enqueueJob(h.stores.db, { kind, merchantId: h.merchant.id, payload }, h.clock());
    const m = { merchantId: h.merchant.id };
    await queue('record-backend-payment', { ...m, xenditInvoiceId: x.id });
    await queue('record-dispute', { ...m, xenditDisputeId: 'dsp-unread', status: 'LOST' });
    await queue('record-fee-bill', { ...m, feeBillId: '00000000-0000-4000-8000-000000000000' });
    await queue('record-withdrawal', { ...m, xenditTransactionId: 'txn-unread', live: false });
    // Rows made: a chargeback, a fee given back, a fee bill; and another merchant's fee bill, not described.
    const now = h.clock();
    const refund = (await h.stores.refunds.byXenditId(h.merchant.id, refundId))!;
    const money = { currency: 'IDR' as const, reason: null, refundedAt: now, paymentId: payment.id, merchantId: h.merchant.id };
    await h.stores.refunds.getOrCreate({ ...money, kind: 'chargeback', id: randomUUID(), xenditRefundId: 'dsp-booked', amount: 10_000 }, now);
    await queue('record-dispute', { ...m, xenditDisputeId: 'dsp-booked', status: 'LOST' });
    await h.stores.feeReturns.getOrCreate(
      { paymentId: payment.id, merchantId: h.merchant.id, refundId: refund.id, returnedAt: now, fee: 1_000, tax: 110 },
      now,
    );
    const bill = { period: '2026-11', currency: 'IDR', fees: 50_000, vat: 5_500, transactions: 3, xendit_invoice_number: null, xero_invoice_id: null };
    const [mine, others] = [randomUUID(), randomUUID()];
    await h.stores.db
      .insertInto('fee_bills')
      .values([
        { ...bill, id: mine, merchant_id: h.merchant.id, attempt_at: null, last_error: null, created_by: null, created_at: now, updated_at: now },
        { ...bill, id: others, merchant_id: other.id, attempt_at: null, last_error: null, created_by: null, created_at: now, updated_at: now },
      ])
      .execute();
    await queue('record-fee-bill', { ...m, feeBillId: mine });
    await queue('record-fee-bill', { ...m, feeBillId: others });
    // The payment itself waits for review: its sale, refunds and chargebacks are retried on its page.
    await h.stores.payments.markNeedsReview(payment.id, 'stopped', now);
    await queue('record-other-movement', { ...m, xenditTransactionId: 'mvt-unread', live: false });
    const waiting = async (from: number, to: number) => {
      for (let i = from; i < to; i++) await queue('record-refund', { ...m, xenditRefundId: `rfd-waiting-${i}` });
      await h.stores.db
        .updateTable('jobs')
        .set({ state: 'needs_review', last_error: 'stopped', payload: sql`payload || jsonb_build_object('waitsFor', ${x.id}::text)` })
        .where('kind', '=', 'record-refund')
        .where(sql<boolean>`payload->>'xenditRefundId' like 'rfd-waiting-%'`)
        .execute();
      await h.stores.db.updateTable('jobs').set({ state: 'needs_review', last_error: 'stopped' }).where('merchant_id', '=', h.merchant.id).execute();
    };
    await waiting(0, 2);

    let queries = 0;
    const counting: KyselyPlugin = { transformQuery: (a) => (queries++, a.node), transformResult: async (a) => a.result };
    const app = createApp({ ...h.deps, stores: createStores(h.stores.db.withPlugin(counting), box) });
    const owner = await signedIn(app, 'a@toko.test');
    const shown = async () => {
      queries = 0;
      const { $ } = await page(owner, reviewPath());
      const rows = $('#review tr[data-job]')
        .toArray()
        .map((tr) => ({
          kind: $(tr).attr('data-kind'),
          what: $(tr).find('td.what').text(),
          payment: $(tr).find('a.payment').attr('href') ?? null,
          onPayment: $(tr).find('.on-payment').length > 0,
        }));
      return { rows, queries };
    };
    const few = await shown();
    const invoice = (await h.stores.dashboard.payment(payment.id))!.invoiceNumber!;
    const plain = (text: string) =>
      text
        .replace(/\s/g, ' ') // Intl puts no-break spaces in amounts and times
        .replace(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}/g, 'DATE')
        .replaceAll(invoice, 'INV')
        .replaceAll(x.id, 'X')
        .replaceAll(refundId, 'RFD');
    assert.deepEqual(
      few.rows.map((r) => [r.kind, plain(r.what), r.payment === adminPaymentPath(payment.id) ? 'linked' : r.payment, r.onPayment]),
      [
        ['record-refund', 'Refund (Xendit rfd-waiting-1)Of the payment for INV', 'linked', true],
        ['record-refund', 'Refund (Xendit rfd-waiting-0)Of the payment for INV', 'linked', true],
        ['record-other-movement', 'Other balance movement (Xendit mvt-unread)', null, false],
        ['record-fee-bill', 'Xendit fee bill', null, false],
        ['record-fee-bill', 'Xendit fee bill for 2026-11: IDR 55,500 with VAT', null, false],
        ['record-dispute', 'Chargeback (lost dispute) of IDR 10,000 on DATE (Xendit dispute dsp-booked)Of the payment for INV', 'linked', true],
        ['record-withdrawal', 'Withdrawal (Xendit txn-unread)', null, false],
        ['record-fee-bill', 'Xendit fee bill', null, false],
        ['record-dispute', 'Dispute (Xendit dsp-unread)', null, false],
        ['record-backend-payment', 'Sale of IDR 150,000 made outside Xero, paid on DATE (Xendit invoice X)Of the payment for INV', 'linked', true],
        ['return-fee', 'Xendit fee of IDR 1,110 given back with a refund on DATE (Xendit invoice X)Of the payment for INV', 'linked', false],
        ['record-refund', 'Refund of IDR 40,000 on DATE (Xendit RFD)Of the payment for INV', 'linked', true],
        ['post-fee', 'Xendit fee of IDR 4,350 on a payment of DATE (Xendit invoice X)Of the payment for INV', 'linked', false],
      ],
    );
    await waiting(2, 40);
    const many = await shown();
    assert.equal(many.rows.length, few.rows.length + 38);
    assert.equal(many.queries, few.queries, `${few.queries} queries for ${few.rows.length} items, ${many.queries} for ${many.rows.length}`);
  });

  it('is behind sign-in', async () => {
    await request(h.app).get(reviewPath()).expect(303).expect('location', paths.adminLogin);
  });
});

/** Text as a regular expression matching it exactly. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
