import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, REFUNDABLE, refundWebhook, type Harness } from '../helpers/harness.js';
import { seedAdminCast, page, PASSWORD, signedIn, type Agent } from '../helpers/admin.js';
import { hashPassword } from '../../app/admin/auth/passwords.js';
import {
  adminMerchantPath,
  adminPaymentPath,
  adminPaymentRefundPath,
  adminPaymentRetryPath,
  callbackPathFor,
  customPaymentUrl,
  paths,
} from '../../app/paths.js';
import { formatMoney, type Currency } from '../../app/money.js';
import type { Merchant } from '../../app/store/merchants.js';
import { PAGE_SIZE } from '../../app/admin/payments/service.js';

describeEachDatabase('admin: dashboard and payments', ({ db }) => {
  let h: Harness;
  let other: Merchant;
  beforeEach(async () => {
    h = await createHarness(db());
    other = await seedAdminCast(h, db());
  });
  afterEach(() => h.close());

  let seq = 0;
  /** A payment row as the worker leaves it (the listing does not care how it got there). */
  async function payment(
    merchantId: string,
    o: { currency?: Currency; amount?: number; fee?: number | null; state?: 'recorded' | 'needs_review'; minutesAgo?: number } = {},
  ) {
    const p = await h.stores.payments.getOrCreate(
      {
        id: randomUUID(),
        merchantId,
        checkoutId: null,
        xenditInvoiceId: `x-${++seq}`,
        xeroInvoiceId: `xero-inv-${seq}`,
        currency: o.currency ?? 'IDR',
        amount: o.amount ?? 150000,
        fee: o.fee === undefined ? 4995 : o.fee,
        paidAt: new Date(h.clock().getTime() - (o.minutesAgo ?? seq) * 60_000),
        reference: `Xendit x-${seq}`,
      },
      h.clock(),
    );
    if (o.state === 'recorded') await h.stores.payments.markInXero(p, { xeroPaymentId: `xero-pay-${seq}`, fee: 'not_needed' }, h.clock());
    if (o.state === 'needs_review') await h.stores.payments.markNeedsReview(p.id, 'Xero refused the payment: Account code 090 has been archived', h.clock());
    return p;
  }

  const rowsOf = ($: cheerio.CheerioAPI) =>
    $('#payments tbody tr')
      .map((_, tr) => $(tr).attr('data-payment-id'))
      .get();

  it('searches by Xendit id or amount, totals per currency for the filter, and exports the filtered list as CSV', async () => {
    const a = await payment(h.merchant.id, { amount: 1500000, fee: 4995, state: 'recorded' });
    const b = await payment(h.merchant.id, { amount: 250000, fee: 2500 });
    const c = await payment(h.merchant.id, { currency: 'PHP', amount: 125050, fee: 3000 });
    const agent = await signedIn(h.app, 'a@toko.test');
    assert.deepEqual(rowsOf((await page(agent, `${paths.admin}?q=${a.xenditInvoiceId}`)).$), [a.id], 'by Xendit id');
    assert.deepEqual(rowsOf((await page(agent, `${paths.admin}?q=1.500.000`)).$), [a.id], 'by amount, Indonesian separators');
    assert.deepEqual(rowsOf((await page(agent, `${paths.admin}?q=1,250.50`)).$), [c.id], 'by amount in pesos');
    assert.deepEqual(rowsOf((await page(agent, `${paths.admin}?q=${encodeURIComponent('%_')}`)).$), [], 'LIKE wildcards are plain text');
    const all = await page(agent, paths.admin);
    const total = (cur: string) =>
      all
        .$(`#totals tr[data-currency="${cur}"] td`)
        .map((_, td) => all.$(td).text())
        .get();
    assert.deepEqual(total('IDR'), ['IDR', '2', formatMoney(1750000, 'IDR', 'en-US'), formatMoney(7495, 'IDR', 'en-US'), formatMoney(1742505, 'IDR', 'en-US')]);
    assert.deepEqual(total('PHP'), ['PHP', '1', '₱1,250.50', '₱30.00', '₱1,220.50']);
    const csv = await agent
      .get(`${paths.adminPaymentsCsv}?q=${b.xenditInvoiceId}`)
      .expect(200)
      .expect('content-type', /text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0], /^paid \(UTC\),merchant,invoice/);
    assert.match(lines[1], new RegExp(`,IDR,250000,2500,247500,pending,${b.xenditInvoiceId}$`));
    const others = await agent.get(`${paths.adminPaymentsCsv}?merchant=${randomUUID()}`).expect(200);
    assert.equal(others.text.trim().split('\r\n').length, 1 + 3, 'a merchant user exports only their own payments');
  });

  it("shows times and days in the merchant's Xero time zone: an evening payment in Jakarta is on that day there", async () => {
    await h.stores.merchants.setXeroTimezone(h.merchant.id, 'SE Asia Standard Time');
    // Xero's "SE Asia Standard Time" is Asia/Bangkok (UTC+7, as Jakarta): 2026-11-25 18:15 UTC is 2026-11-26 01:15 there; the harness clock is 2026-11-25 03:00 UTC.
    h.clock.advance((15 * 60 + 15) * 60_000);
    const late = await payment(h.merchant.id, { state: 'recorded', minutesAgo: 0 });
    const agent = await signedIn(h.app, 'a@toko.test');
    const { $ } = await page(agent, paths.admin);
    assert.equal($('[data-time-zone]').text(), 'Times: Asia/Bangkok');
    assert.equal($(`tr[data-payment-id="${late.id}"] td`).first().text().trim(), '2026-11-26 01:15');
    const day = await page(agent, `${paths.admin}?from=2026-11-26&to=2026-11-26`);
    assert.deepEqual(rowsOf(day.$), [late.id], "the Jakarta day's filter finds it");
    const before = await page(agent, `${paths.admin}?from=2026-11-25&to=2026-11-25`);
    assert.ok(!rowsOf(before.$).includes(late.id), 'not on the UTC day');
    const detail = await page(agent, adminPaymentPath(late.id));
    assert.equal(detail.$('[data-time-zone]').text(), 'Times: Asia/Bangkok');
  });

  it('a merchant user sees only their payments, formatted, with the reason for needs review, and their URLs', async () => {
    const mine = await payment(h.merchant.id, { state: 'recorded', minutesAgo: 5 });
    const php = await payment(h.merchant.id, { currency: 'PHP', amount: 245050, fee: null, state: 'needs_review', minutesAgo: 1 });
    const theirs = await payment(other.id);
    const agent = await signedIn(h.app, 'a@toko.test');
    const { $ } = await page(agent, paths.admin);
    assert.deepEqual(rowsOf($), [php.id, mine.id], 'newest first, only merchant A');
    assert.ok(!rowsOf($).includes(theirs.id));

    const cells = (id: string) =>
      $(`tr[data-payment-id="${id}"] td`)
        .map((_, td) => $(td).text().trim())
        .get();
    const [date, invoice, customer, amount, fee, state] = cells(mine.id);
    assert.equal(customer, '–', 'a payment without a checkout or backend sale has no known customer');
    assert.equal(date, '2026-11-25 02:55');
    assert.equal($('[data-time-zone]').text(), 'Times: UTC', "the zone is named once: Xero has not told this organisation's zone yet");
    assert.equal(invoice, mine.xeroInvoiceId, 'no checkout → the Xero invoice id');
    assert.equal(amount, formatMoney(150000, 'IDR', 'en-US'));
    assert.equal(fee, formatMoney(4995, 'IDR', 'en-US'));
    assert.equal(state, 'Recorded in Xero');
    const phpCells = cells(php.id);
    assert.equal(phpCells[3], '₱2,450.50');
    assert.equal(phpCells[4], '–');
    assert.match(phpCells[5], /^Needs review\s+Xero refused the payment: Account code 090 has been archived$/);

    assert.equal($('#custom-url').val(), customPaymentUrl(h.baseUrl));
    assert.equal($('#callback-url').val(), h.baseUrl + callbackPathFor(h.merchant.id));
    assert.equal($('#custom-url').attr('readonly'), 'readonly', 'selectable without JavaScript');
    assert.equal($('button[data-copy]').attr('hidden'), 'hidden', 'copy buttons appear only with JavaScript');
    assert.equal($('script[src="/public/copy.js"]').length, 1);
    assert.equal($('script:not([src])').length, 0, 'no inline script');
    assert.equal($('[style]').length, 0, 'no inline style');
    assert.equal($('#f-merchant').length, 0, 'no merchant filter for merchant users');

    const forced = await page(agent, `${paths.admin}?merchant=${other.id}`);
    assert.deepEqual(rowsOf(forced.$), [php.id, mine.id], 'a merchant cannot widen the view by URL');
    assert.equal(forced.$('#callback-url').val(), h.baseUrl + callbackPathFor(h.merchant.id));
  });

  it('filters by state and pages through older payments', async () => {
    const review = await payment(h.merchant.id, { state: 'needs_review', minutesAgo: 0 });
    const ids: string[] = [];
    for (let i = 1; i <= PAGE_SIZE + 2; i++) ids.push((await payment(h.merchant.id, { state: 'recorded', minutesAgo: i })).id);
    const agent = await signedIn(h.app, 'a@toko.test');

    const filtered = await page(agent, `${paths.admin}?state=needs_review`);
    assert.deepEqual(rowsOf(filtered.$), [review.id]);
    assert.equal(filtered.$('#f-state option[selected]').val(), 'needs_review');

    const first = await page(agent, `${paths.admin}?state=recorded`);
    assert.deepEqual(rowsOf(first.$), ids.slice(0, PAGE_SIZE));
    assert.equal(first.$('a[rel=prev]').length, 0);
    const next = first.$('a[rel=next]').attr('href')!;
    assert.equal(next, '/admin?state=recorded&page=2');
    const second = await page(agent, next);
    assert.deepEqual(rowsOf(second.$), ids.slice(PAGE_SIZE));
    assert.equal(second.$('a[rel=next]').length, 0);
    assert.equal(second.$('a[rel=prev]').attr('href'), '/admin?state=recorded');

    const empty = await page(agent, `${paths.admin}?state=pending`);
    assert.match(empty.$('#no-payments').text(), /No payments match this view/);
    const garbage = await page(agent, `${paths.admin}?state=bogus&page=-3`);
    assert.equal(rowsOf(garbage.$).length, PAGE_SIZE, 'a garbled filter falls back to everything, page 1');
  });

  it("an operator sees every merchant, with a merchant filter that shows that merchant's URLs", async () => {
    const a = await payment(h.merchant.id, { minutesAgo: 2 });
    const b = await payment(other.id, { minutesAgo: 1 });
    const agent = await signedIn(h.app, 'ops@example.com');
    const all = await page(agent, paths.admin);
    assert.deepEqual(rowsOf(all.$), [b.id, a.id]);
    assert.equal(all.$(`tr[data-payment-id="${b.id}"] td`).eq(3).text(), 'Warung Lain');
    assert.equal(all.$('#callback-url').length, 0, 'no single merchant chosen, no URLs');
    assert.deepEqual(
      all
        .$('#f-merchant option')
        .map((_, o) => all.$(o).text())
        .get(),
      ['All merchants', 'Toko Test', 'Warung Lain'],
    );

    const onlyB = await page(agent, `${paths.admin}?merchant=${other.id}`);
    assert.deepEqual(rowsOf(onlyB.$), [b.id]);
    assert.equal(onlyB.$('#callback-url').val(), h.baseUrl + callbackPathFor(other.id));
    await page(agent, adminPaymentPath(b.id));
  });

  it("answers 404 when merchant A opens or retries merchant B's payment, and for malformed ids", async () => {
    const theirs = await payment(other.id, { state: 'needs_review' });
    const agent = await signedIn(h.app, 'a@toko.test');
    const dash = await page(agent, paths.admin);
    const res = await agent.get(adminPaymentPath(theirs.id)).expect(404);
    assert.match(cheerio.load(res.text)('h1').text(), /Page not found/);
    await agent.post(adminPaymentRetryPath(theirs.id)).type('form').send({ _csrf: dash.csrf() }).expect(404);
    assert.equal((await h.stores.payments.byXenditInvoice(other.id, theirs.xenditInvoiceId))?.syncState, 'needs_review');
    await agent.get(adminPaymentPath('not-a-uuid')).expect(404);
    await agent.get('/admin/no-such-page').expect(404);
    const b = await signedIn(h.app, 'b@lain.test');
    await page(b, adminPaymentPath(theirs.id));
  });

  describe('a payment Xero refused, fixed by the merchant, retried', () => {
    async function refusedPayment() {
      const inv = h.addInvoice({});
      await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
      const x = h.sims.xendit.listInvoices().at(-1)!;
      const clearing = h.sims.xero.bankAccountFor(h.tenantId, 'Xendit');
      h.sims.xero.test.archiveAccount(h.tenantId, clearing.accountId); // the merchant archived the clearing account in Xero
      await h.sims.xendit.pay(x.id, REFUNDABLE);
      await h.worker.drain();
      const p = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
      assert.equal(p.syncState, 'needs_review');
      return { inv, x, p, clearing };
    }

    it('shows the timeline and the reason, and records the payment after Retry once the cause is fixed', async () => {
      const { inv, x, p, clearing } = await refusedPayment();
      const agent = await signedIn(h.app, 'a@toko.test');

      const dash = await page(agent, `${paths.admin}?state=needs_review`);
      assert.deepEqual(rowsOf(dash.$), [p.id]);
      assert.equal(dash.$(`tr[data-payment-id="${p.id}"] td a[href^="/admin/payments/"]`).text(), inv.invoiceNumber);
      assert.match(dash.$('.reason').text(), /not an active bank account/);

      const detail = await page(agent, adminPaymentPath(p.id));
      const steps = detail
        .$('#timeline li')
        .map((_, li) => detail.$(li).text().replace(/\s+/g, ' ').trim())
        .get();
      assert.match(steps[0], new RegExp(`Customer clicked "Pay with Xendit"; Xendit invoice ${x.id} for IDR`));
      assert.match(steps[1], /Xendit callback: PAID/);
      assert.ok(
        steps.some((s) => /Recording in Xero: stopped, needs review after 1 attempt — .*not an active bank account/.test(s)),
        steps.join('\n'),
      );
      assert.match(detail.$('#last-error').text(), /not an active bank account/);
      assert.equal(detail.$('#xero-payment').text(), 'not recorded yet');
      const retryForm = detail.$(`form[action="${adminPaymentRetryPath(p.id)}"]`);
      assert.equal(retryForm.attr('method'), 'post');

      await agent.post(adminPaymentRetryPath(p.id)).type('form').send({}).expect(403);
      assert.equal((await h.stores.jobs.list())[0].state, 'needs_review', 'nothing re-queued without the token');

      clearing.status = 'ACTIVE'; // the merchant restores the account in Xero
      h.clock.advance(3600_000);
      await agent
        .post(adminPaymentRetryPath(p.id))
        .type('form')
        .send({ _csrf: detail.csrf() })
        .expect(303)
        .expect('location', `${adminPaymentPath(p.id)}?retried=1`);
      const [job] = await h.stores.jobs.list();
      assert.equal(job.state, 'queued');
      assert.equal(job.attempts, 0);
      assert.equal(job.payload.retry, 1, 'counted, for a fresh Xero Idempotency-Key (Xero replays the stored refusal otherwise)');
      assert.equal(job.runAt.getTime(), h.clock().getTime());
      const queued = await page(agent, `${adminPaymentPath(p.id)}?retried=1`);
      assert.match(queued.$('.notice').text(), /Queued again/);
      assert.match(queued.$('#state').text(), /Pending/);
      assert.equal(queued.$(`form[action="${adminPaymentRetryPath(p.id)}"]`).length, 0, 'no retry while queued');

      await h.worker.drain();
      const recorded = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
      assert.equal(recorded.syncState, 'recorded', recorded.lastError ?? '');
      const inXero = h.sims.xero.paymentsOf(inv.invoiceId).filter((pay) => pay.status !== 'DELETED');
      assert.equal(inXero.length, 1);
      assert.equal(inXero[0].paymentId, recorded.xeroPaymentId);
      assert.equal(h.sims.xero.findInvoice(inv.invoiceId)?.status, 'PAID');

      const done = await page(agent, adminPaymentPath(p.id));
      assert.equal(done.$('#xero-payment').text(), recorded.xeroPaymentId);
      assert.match(done.$('#state').text(), /Recorded in Xero/);

      const again = await agent.post(adminPaymentRetryPath(p.id)).type('form').send({ _csrf: done.csrf() }).expect(409);
      assert.match(cheerio.load(again.text)('h1').text(), /Nothing to retry/);
    });

    it('a refund that gave up waiting for the payment to reach Xero is booked once after Retry records the payment', async () => {
      const { x, p, clearing } = await refusedPayment();
      const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false });
      await refundWebhook(h, id).expect(200);
      const refundJob = async () => (await h.stores.jobs.list()).find((j) => j.kind === 'record-refund')!;
      for (let i = 0; i < 40 && (await refundJob()).state !== 'needs_review'; i++) {
        h.clock.advance(6 * 3600_000);
        await h.worker.drain();
      }
      assert.equal((await refundJob()).state, 'needs_review', 'gave up waiting for the payment');
      assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, id))?.state, 'pending');

      // The merchant's Needs review page lists the refund and sends the user to its payment's Retry.
      const agent = await signedIn(h.app, 'a@toko.test');
      const review = await page(agent, adminMerchantPath(h.merchant.id, 'adminMerchantReview'));
      const listed = review.$('#review tr[data-kind="record-refund"]');
      assert.match(listed.find('td.what').text(), new RegExp(`^Refund of .+ \\(Xendit ${id}\\)Of the payment for .+$`));
      assert.equal(listed.find('a.payment').attr('href'), adminPaymentPath(p.id));
      assert.equal(listed.find('form.retry').length, 0, 'retried with its payment');
      assert.match(listed.find('.on-payment').text(), /retry the payment on its page/);

      clearing.status = 'ACTIVE';
      const detail = await page(agent, adminPaymentPath(p.id));
      await agent.post(adminPaymentRetryPath(p.id)).type('form').send({ _csrf: detail.csrf() }).expect(303);
      for (let i = 0; i < 5; i++) {
        h.clock.advance(3600_000);
        await h.worker.drain();
      }
      assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))?.syncState, 'recorded');
      assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, id))?.state, 'recorded');
      assert.equal(h.sims.xero.test.creditNotes(h.tenantId).length, 1);
      assert.equal(h.sims.xero.test.refundPayments(h.tenantId).length, 1);
    });

    it('refuses Retry (and Refund) to staff users with 403, shows them no Retry button, and leaves the job as it was', async () => {
      const { p } = await refusedPayment();
      await h.stores.users.add(
        { email: 'staff@toko.test', passwordHash: await hashPassword(PASSWORD), role: 'merchant', merchantId: h.merchant.id, merchantRole: 'staff' },
        h.clock(),
      );
      const staff = await signedIn(h.app, 'staff@toko.test');
      const detail = await page(staff, adminPaymentPath(p.id));
      assert.match(detail.$('#state').text(), /needs review/i);
      assert.equal(detail.$(`form[action="${adminPaymentRetryPath(p.id)}"]`).length, 0, 'no Retry button');
      assert.equal(detail.$(`form[action="${adminPaymentRefundPath(p.id)}"]`).length, 0, 'no Refund form');

      const jobsBefore = await h.stores.jobs.list();
      const res = await staff.post(adminPaymentRetryPath(p.id)).type('form').send({ _csrf: detail.csrf() }).expect(403);
      assert.match(cheerio.load(res.text)('h1').text(), /owners/i);
      assert.deepEqual(await h.stores.jobs.list(), jobsBefore, 'nothing re-queued');
      assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, p.xenditInvoiceId))?.syncState, 'needs_review');

      // The page's other change, a refund (the sign-in counts as the step-up), is refused the same way.
      await staff
        .post(adminPaymentRefundPath(p.id))
        .type('form')
        .send({ _csrf: detail.csrf(), requestId: randomUUID(), amount: '1000', reason: 'REQUESTED_BY_CUSTOMER' })
        .expect(403);
      assert.equal((await h.stores.refundRequests.forPayment(p.id)).length, 0);
    });

    it('goes back to needs review with the new reason when the cause was not fixed', async () => {
      const { p } = await refusedPayment();
      const agent: Agent = await signedIn(h.app, 'ops@example.com');
      const detail = await page(agent, adminPaymentPath(p.id));
      await agent.post(adminPaymentRetryPath(p.id)).type('form').send({ _csrf: detail.csrf() }).expect(303);
      await h.worker.drain();
      const after = await h.stores.payments.byXenditInvoice(h.merchant.id, p.xenditInvoiceId);
      assert.equal(after?.syncState, 'needs_review');
      assert.match(after?.lastError ?? '', /not an active bank account/);
      assert.equal((await h.stores.jobs.list())[0].state, 'needs_review');
    });
  });
});
