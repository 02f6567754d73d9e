import { strict as assert } from 'node:assert';
import * as cheerio from 'cheerio';
import { sql } from 'kysely';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { page, PASSWORD, seedAdminCast, signedIn, type Agent } from '../helpers/admin.js';
import { adminMerchantPath, adminPaymentPath, adminReviewHandledPath, adminReviewRetryPath, paths } from '../../app/paths.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import { hashPassword } from '../../app/admin/auth/passwords.js';
import { enqueueJob } from '../helpers/jobs.js';
import { pickSettlementOnPage, withdrawalRefusedByXero } from '../helpers/withdrawal-review.js';

/**
 * Mark as handled on a merchant's "Needs review" page: a person did by hand what the item was for
 * (or nothing was to be booked), says so in a short note, and the job leaves review as 'handled':
 * never queued again, counted nowhere, its note in the audit log and on its payment's page.
 */
describeEachDatabase('admin: needs review, marked as handled by hand', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    await seedAdminCast(h, db());
  });
  afterEach(() => h.close());

  const reviewPath = () => adminMerchantPath(h.merchant.id, 'adminMerchantReview');
  const transfers = () => h.sims.xero.test.bankTransfers(h.tenantId);
  const list = () => listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
  const jobOf = async (kind: string) => (await h.stores.jobs.list()).find((j) => j.kind === kind)!;
  const handledRows = () => h.stores.db.selectFrom('review_handled').selectAll().execute();
  const audited = async () => (await h.stores.audit.forMerchant(h.merchant.id)).filter((e) => e.action === 'review_handled');
  /** The job's row's Mark as handled form as the page shows it: its token and its stop. */
  const formOf = (shown: Awaited<ReturnType<typeof page>>, jobId: number) => ({
    _csrf: shown.csrf(),
    stopped: String(shown.$(`#review tr[data-job="${jobId}"] form.handled input[name=stopped]`).val()),
  });
  const mark = (agent: Agent, jobId: number, body: Record<string, unknown>) => agent.post(adminReviewHandledPath(h.merchant.id, jobId)).type('form').send(body);

  /** A withdrawal Xero refused (its settlement bank account archived in Xero since). */
  const withdrawalInReview = async (owner: Agent) => (await withdrawalRefusedByXero(h, (accountId) => pickSettlementOnPage(h, owner, accountId))).job;

  it('takes the item out of review with the note: audited, counted nowhere, never queued again; a second mark is a 409 that writes nothing', async () => {
    const owner = await signedIn(h.app, 'a@toko.test');
    const job = await withdrawalInReview(owner);
    assert.equal((await h.stores.metrics.queue(h.clock())).filter((r) => r.kind === 'record-withdrawal').length, 1);

    const shown = await page(owner, reviewPath());
    assert.equal(shown.$(`#review tr[data-job="${job.id}"] form.handled button`).text(), 'Mark as handled');
    const form = formOf(shown, job.id);
    await mark(owner, job.id, { ...form, note: '  Transfer deleted in Xero on purpose:\n   booked by hand as BT-1 ' })
      .expect(303)
      .expect('location', `${reviewPath()}?handled=1`);

    assert.equal((await h.stores.jobs.byId(job.id))?.state, 'handled');
    const withdrawal = await h.stores.settlements.byXenditIds(h.merchant.id, [String(job.payload.xenditTransactionId)]);
    assert.deepEqual(
      [...withdrawal.values()].map((w) => w.state),
      ['handled'],
      'the withdrawal leaves review with its job',
    );
    const [row, ...more] = await handledRows();
    assert.equal(more.length, 0);
    assert.deepEqual(
      [row.note, row.user_email, row.kind, row.payment_id],
      ['Transfer deleted in Xero on purpose: booked by hand as BT-1', 'a@toko.test', 'record-withdrawal', null],
    );
    assert.match(row.reason ?? '', /has been archived/);
    assert.deepEqual(
      (await audited()).map((e) => [e.userEmail, e.detail, e.at.getTime()]),
      [['a@toko.test', { job: job.id, kind: 'record-withdrawal', note: 'Transfer deleted in Xero on purpose: booked by hand as BT-1' }, h.clock().getTime()]],
    );

    const after = await page(owner, `${reviewPath()}?handled=1`);
    assert.match(after.$('#review-notice[data-notice=handled]').text(), /Marked as handled: the gateway will not book it/);
    assert.equal(after.$(`#review tr[data-job="${job.id}"]`).length, 0);
    assert.equal(after.$('#review-empty').length, 1);
    assert.equal((await page(owner, paths.admin)).$('[data-in-review]').length, 0, 'the dashboard counts it no more');
    assert.equal((await h.stores.metrics.queue(h.clock())).filter((r) => r.kind === 'record-withdrawal').length, 0, 'nor does the queue gauge');
    const audit = await page(owner, adminMerchantPath(h.merchant.id, 'adminMerchantAudit'));
    assert.match(audit.$('tr[data-action=review_handled]').text(), /marked as handled by hand.*note: Transfer deleted in Xero on purpose/);

    // Pressed again from the same page: 409, the page as it is now, nothing written.
    const again = await mark(owner, job.id, { ...form, note: 'again' }).expect(409);
    assert.match(cheerio.load(again.text)('#review-notice[data-notice=gone]').text(), /Nothing was done: that item is not waiting for review any more/);
    // Nor does Retry, the CLI's replay, the worker, or the next listing queue it again.
    await owner.post(adminReviewRetryPath(h.merchant.id, job.id)).type('form').send({ _csrf: form._csrf }).expect(409);
    assert.equal(await h.stores.jobs.replay(job.id, h.clock()), false);
    h.clock.advance(60 * 60_000);
    await list();
    await h.worker.drain();
    assert.equal((await h.stores.jobs.byId(job.id))?.state, 'handled');
    assert.equal(transfers().length, 0, 'the gateway books nothing');
    assert.equal((await handledRows()).length, 1);
    assert.equal((await audited()).length, 1);
  });

  it('a job retried since the page was shown, and stopped again, is not marked from the old page (409); from the page as it is now it is', async () => {
    const owner = await signedIn(h.app, 'a@toko.test');
    const job = await withdrawalInReview(owner);
    const old = formOf(await page(owner, reviewPath()), job.id);

    await owner.post(adminReviewRetryPath(h.merchant.id, job.id)).type('form').send({ _csrf: old._csrf }).expect(303);
    // Queued: not in review.
    await mark(owner, job.id, { ...old, note: 'done by hand' }).expect(409);
    h.clock.advance(60_000);
    await h.worker.drain();
    assert.equal((await h.stores.jobs.byId(job.id))?.state, 'needs_review', 'stopped again: the account is still archived');
    await mark(owner, job.id, { ...old, note: 'done by hand' }).expect(409);
    assert.equal((await h.stores.jobs.byId(job.id))?.state, 'needs_review');
    assert.equal((await handledRows()).length + (await audited()).length, 0);

    await mark(owner, job.id, { ...formOf(await page(owner, reviewPath()), job.id), note: 'done by hand' }).expect(303);
    assert.equal((await h.stores.jobs.byId(job.id))?.state, 'handled');
  });

  it('without the CSRF token, or from a read-only staff user, nothing is marked; staff see no form; the operator may', async () => {
    const owner = await signedIn(h.app, 'a@toko.test');
    const job = await withdrawalInReview(owner);
    const form = formOf(await page(owner, reviewPath()), job.id);

    await mark(owner, job.id, { stopped: form.stopped, note: 'by hand' }).expect(403);
    await mark(owner, job.id, { _csrf: 'x'.repeat(43), stopped: form.stopped, note: 'by hand' }).expect(403);

    await h.stores.users.add(
      { email: 'staff@toko.test', passwordHash: await hashPassword(PASSWORD), role: 'merchant', merchantId: h.merchant.id, merchantRole: 'staff' },
      h.clock(),
    );
    const staff = await signedIn(h.app, 'staff@toko.test');
    const seen = await page(staff, reviewPath());
    assert.equal(seen.$(`#review tr[data-job="${job.id}"]`).length, 1);
    assert.equal(seen.$('#review form.handled').length, 0, 'no Mark as handled for staff');
    await mark(staff, job.id, { _csrf: seen.csrf(), stopped: form.stopped, note: 'by hand' }).expect(403);

    assert.equal((await h.stores.jobs.byId(job.id))?.state, 'needs_review');
    assert.equal((await handledRows()).length + (await audited()).length, 0);

    const ops = await signedIn(h.app, 'ops@example.com');
    await mark(ops, job.id, { ...formOf(await page(ops, reviewPath()), job.id), note: 'booked by the operator' }).expect(303);
    assert.deepEqual(
      (await audited()).map((e) => e.userEmail),
      ['ops@example.com'],
    );
  });

  it('refuses an empty, blank, too long or odd note with the page showing why, and writes nothing', async () => {
    const owner = await signedIn(h.app, 'a@toko.test');
    const job = await withdrawalInReview(owner);
    const form = formOf(await page(owner, reviewPath()), job.id);

    const refused: [Record<string, unknown>, RegExp][] = [
      [{ ...form }, /Say in a few words what was done by hand/],
      [{ ...form, note: '' }, /Say in a few words what was done by hand/],
      [{ ...form, note: ' \n\t ' }, /Say in a few words what was done by hand/],
      [{ ...form, note: 'x'.repeat(301) }, /at most 300 characters/],
      [{ ...form, note: 'x'.repeat(5000) }, /at most 300 characters/],
      [{ ...form, note: 'bell \u0007 here' }, /cannot be saved/],
      [{ ...form, note: ['one', 'two'] }, /Say in a few words what was done by hand/],
      [{ ...form, note: { a: 'b' } }, /Say in a few words what was done by hand/],
      [{ _csrf: form._csrf, note: 'no stop sent' }, /Enter a valid value/],
      [{ ...form, stopped: 'yesterday', note: 'bad stop' }, /Enter a valid value/],
    ];
    for (const [body, why] of refused) {
      const res = await mark(owner, job.id, body);
      assert.equal(res.status, 422, JSON.stringify(body).slice(0, 80));
      const $ = cheerio.load(res.text);
      assert.match($('#review-notice[data-notice=invalid]').text(), /Nothing was marked/);
      assert.match($(`#review tr[data-job="${job.id}"] details.handled[open] .error`).text(), why);
    }
    // A note of the longest length, once its spaces are collapsed, is taken.
    assert.equal((await h.stores.jobs.byId(job.id))?.state, 'needs_review');
    assert.equal((await handledRows()).length + (await audited()).length, 0);
    await mark(owner, job.id, { ...form, note: `  ${'y'.repeat(150)}\n\n${'z'.repeat(149)}  ` }).expect(303);
    assert.equal((await handledRows())[0].note.length, 300);
  });

  it('a refund that waited for its payment and was handled by hand is not queued again when the payment reaches Xero; one still in review is', async () => {
    const { x } = await paidThroughGateway(h);
    await h.worker.drain();
    const payment = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
    for (const id of ['rfd-by-hand', 'rfd-left'])
      await enqueueJob(
        h.stores.db,
        { kind: 'record-refund', merchantId: h.merchant.id, payload: { merchantId: h.merchant.id, xenditRefundId: id } },
        h.clock(),
      );
    await h.stores.db
      .updateTable('jobs')
      .set({ state: 'needs_review', last_error: 'gave up waiting for its payment', payload: sql`payload || jsonb_build_object('waitsFor', ${x.id}::text)` })
      .where('kind', '=', 'record-refund')
      .execute();
    const jobs = await h.stores.jobs.list();
    const byHand = jobs.find((j) => j.payload.xenditRefundId === 'rfd-by-hand')!;
    const left = jobs.find((j) => j.payload.xenditRefundId === 'rfd-left')!;

    const owner = await signedIn(h.app, 'a@toko.test');
    await mark(owner, byHand.id, { ...formOf(await page(owner, reviewPath()), byHand.id), note: 'Refunded by hand in Xero' }).expect(303);
    // The payment is recorded (again): the refunds that gave up waiting for it are queued in the same commit (jobs-waiting.sql).
    await h.stores.payments.markInXero(payment, { xeroPaymentId: payment.xeroPaymentId, fee: 'not_needed' }, h.clock());

    assert.equal((await h.stores.jobs.byId(left.id))?.state, 'queued');
    const handled = (await h.stores.jobs.byId(byHand.id))!;
    assert.equal(handled.state, 'handled');
    assert.equal(handled.payload.waitsFor, x.id, 'its wait not spent either');
  });

  it("an item of a payment: its page's timeline shows it handled by hand, with who and the note", async () => {
    const { x } = await paidThroughGateway(h);
    await h.worker.drain();
    const payment = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
    await enqueueJob(h.stores.db, { kind: 'post-fee', merchantId: h.merchant.id, payload: { merchantId: h.merchant.id, paymentId: payment.id } }, h.clock());
    await h.stores.db.updateTable('jobs').set({ state: 'needs_review', last_error: 'Xero refused the fee' }).where('kind', '=', 'post-fee').execute();
    const job = await jobOf('post-fee');

    const owner = await signedIn(h.app, 'a@toko.test');
    const shown = await page(owner, reviewPath());
    assert.equal(shown.$(`#review tr[data-job="${job.id}"] a.payment`).attr('href'), adminPaymentPath(payment.id));
    await mark(owner, job.id, { ...formOf(shown, job.id), note: 'Fee <b>booked</b> by hand, ref FEE-9' }).expect(303);

    const { $ } = await page(owner, adminPaymentPath(payment.id));
    const li = $(`#timeline li.handled[data-job="${job.id}"]`);
    assert.equal(li.find('.note').text(), 'Fee <b>booked</b> by hand, ref FEE-9');
    assert.match(li.text(), /Xendit fee on a payment handled by hand by a@toko\.test: Fee <b>booked<\/b> by hand, ref FEE-9$/);
    assert.equal(li.find('b').length, 0, 'the note is text');

    const id = await page(owner, `${adminPaymentPath(payment.id)}?lang=id`);
    assert.match(id.$(`#timeline li.handled[data-job="${job.id}"]`).text(), /ditangani manual oleh a@toko\.test/);
  });
});
