import { strict as assert } from 'node:assert';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { PASSWORD, page, seedAdminCast, signedIn, type Agent } from '../helpers/admin.js';
import { hashPassword } from '../../app/admin/auth/passwords.js';
import { adminMerchantPath, disputeCallbackPathFor } from '../../app/paths.js';
import { MAX_REPORTED_DISPUTES } from '../../app/admin/disputes/dispute-report.js';

/**
 * Issue 16 §2: a dispute none of whose webhooks arrived. Xendit lists no disputes by API; its
 * dashboard exports a Dispute Report (docs.xendit.co "Dispute Report"). The merchant pastes it on
 * the Disputes tab; each dispute is read from Xendit and booked only when Xendit says LOST, once.
 */
describeEachDatabase('Xendit dispute report: disputes whose webhooks never came', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    await seedAdminCast(h, db());
  });
  afterEach(() => h.close());

  const pagePath = () => adminMerchantPath(h.merchant.id, 'adminMerchantDisputes');
  const notes = () => h.sims.xero.test.creditNotes(h.tenantId);
  const cashRefunds = () => h.sims.xero.test.refundPayments(h.tenantId);
  const disputeJobs = async () => (await h.stores.jobs.list()).filter((j) => j.kind === 'record-dispute');
  const watched = () => h.stores.openDisputes.forMerchant(h.merchant.id, 100);

  /** What the merchant downloads from the (simulated) Xendit dashboard's Disputes section. */
  async function exportedReport(): Promise<string> {
    const dashboard = cheerio.load((await request(h.sims.xenditUrl).get('/dashboard').expect(200)).text);
    const links = dashboard('a.dispute-report')
      .map((_, a) => dashboard(a).attr('href')!)
      .get();
    const ours = links
      .map((l) => new URL(l, 'http://sim'))
      .find((u) => u.searchParams.get('account') === h.sims.xendit.test.account(h.merchant.xenditSecretKey)?.userId);
    assert.ok(ours, 'the dashboard offers this account a dispute report');
    return (
      await request(h.sims.xenditUrl)
        .get(ours.pathname + ours.search)
        .expect(200)
        .expect('content-type', /text\/csv/)
    ).text;
  }

  async function upload(agent: Agent, report: string, status = 303) {
    const { csrf } = await page(agent, pagePath());
    return agent.post(adminMerchantPath(h.merchant.id, 'adminMerchantDisputesReport')).type('form').send({ _csrf: csrf(), report }).expect(status);
  }
  /** Uploaded, and the page says how many were read and queued. */
  async function uploaded(agent: Agent, report: string, read: number, queued: number) {
    const res = await upload(agent, report);
    assert.equal(res.headers.location, `${pagePath()}?read=${read}&queued=${queued}`);
  }

  async function paidAndRecorded() {
    const paid = await paidThroughGateway(h);
    await h.worker.drain();
    return paid;
  }

  it('lost ones are read at Xendit and booked once, open ones watched daily, won ones nothing; the same report again queues nothing; a later export books what was lost since', async () => {
    const [p1, p2, p3, p4] = [await paidAndRecorded(), await paidAndRecorded(), await paidAndRecorded(), await paidAndRecorded()];
    const lost = await h.sims.xendit.dispute(p1.x.id, { sendWebhook: false });
    await h.sims.xendit.resolveDispute(lost.id, 'LOST', { sendWebhook: false });
    const open = await h.sims.xendit.dispute(p2.x.id, { amount: 50_000, sendWebhook: false });
    const won = await h.sims.xendit.dispute(p3.x.id, { sendWebhook: false });
    await h.sims.xendit.resolveDispute(won.id, 'WON', { sendWebhook: false });
    // Its LOST webhook came while Xendit still showed it open: that job is done having booked nothing.
    const early = await h.sims.xendit.dispute(p4.x.id, { sendWebhook: false });
    await request(h.app)
      .post(disputeCallbackPathFor(h.merchant.id))
      .set('x-callback-token', h.merchant.callbackToken)
      .send({ event: 'dispute.lost', id: early.id, status: 'LOST', currency: 'IDR', amount: { initial: '1.00', terminal: null } })
      .expect(200);
    await h.worker.drain();
    await h.sims.xendit.resolveDispute(early.id, 'LOST', { sendWebhook: false });
    assert.equal(notes().length, 0, 'no webhook told the gateway of a lost dispute');

    const agent = await signedIn(h.app, 'a@toko.test');
    const report = await exportedReport();
    await uploaded(agent, report, 4, 4);
    await h.worker.drain();

    assert.deepEqual(
      notes()
        .map((n) => n.reference)
        .sort(),
      [`Xendit chargeback ${early.id}`, `Xendit chargeback ${lost.id}`].sort(),
    );
    assert.equal(cashRefunds().length, 2);
    assert.deepEqual(
      (await watched()).map((d) => [d.xenditDisputeId, d.status]),
      [[open.id, 'ACTION_REQUIRED']],
      'the open one is looked at daily from now on; the won one is not',
    );
    const shown = await page(agent, `${pagePath()}?read=4&queued=4`);
    assert.match(shown.$('#dispute-result').text(), /4 dispute\(s\) read; 4 to be looked up/);
    assert.equal(shown.$(`#open-disputes tr[data-dispute="${open.id}"]`).length, 1);
    assert.equal(shown.$(`#chargebacks tr[data-dispute="${lost.id}"]`).attr('data-state'), 'recorded');
    assert.equal(shown.$(`#chargebacks tr[data-dispute="${early.id}"]`).attr('data-state'), 'recorded');
    assert.equal((await h.stores.audit.forMerchant(h.merchant.id, 10)).filter((e) => e.action === 'xendit_dispute_report_read').length, 1);

    const jobs = (await disputeJobs()).length;
    await uploaded(agent, report, 4, 0);
    await h.worker.drain();
    assert.equal((await disputeJobs()).length, jobs, 'the same report again queues nothing');
    assert.equal(notes().length, 2);

    await h.sims.xendit.resolveDispute(open.id, 'LOST', { sendWebhook: false });
    await uploaded(agent, await exportedReport(), 4, 1);
    await h.worker.drain();
    assert.equal(notes().length, 3);
    assert.equal(notes().find((n) => n.reference === `Xendit chargeback ${open.id}`)?.total, 5_000_000n, 'the part disputed, IDR 50,000');
    assert.deepEqual(await watched(), []);
  });

  it('a report is only a hint: a status it gets wrong books nothing Xendit does not confirm, and a dispute of another Xendit account goes to review', async () => {
    const { x } = await paidAndRecorded();
    const open = await h.sims.xendit.dispute(x.id, { sendWebhook: false });
    const agent = await signedIn(h.app, 'a@toko.test');
    // Columns in another order and case, no status column, quoted cells, CRLF and a BOM.
    await uploaded(agent, `\uFEFFReason,"DISPUTE_ID"\r\n"fraud, stolen card",${open.id}\r\n`, 1, 1);
    await uploaded(agent, `dispute_id,status\n${open.id},LOST\nmi-dspt-not-ours,LOST\n`, 2, 2);
    await h.worker.drain();
    assert.equal(notes().length, 0, 'Xendit says the dispute is open: nothing booked');
    assert.deepEqual(
      (await watched()).map((d) => d.xenditDisputeId),
      [open.id],
    );
    const review = (await disputeJobs()).filter((j) => j.state === 'needs_review');
    assert.deepEqual(
      review.map((j) => j.payload.xenditDisputeId),
      ['mi-dspt-not-ours'],
    );
    assert.match(String(review[0].lastError), /Xendit has no dispute mi-dspt-not-ours/);
  });

  it('careless uploads get a 400 page naming the problem, and queue nothing', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const tooMany = ['dispute_id', ...Array.from({ length: MAX_REPORTED_DISPUTES + 1 }, (_, i) => `mi-dspt-${i}`)].join('\n');
    for (const [report, text] of [
      ['', /empty/],
      [
        'transaction_id,billed_at,fees_paid_amount\ntxn_1,2026-11-01,4500',
        /This file cannot be read: it is not a Xendit dispute report: it has no dispute_id column/,
      ],
      ['dispute_id,status', /the report lists no dispute/],
      [
        "dispute_id,status\nmi-dspt-1,LOST\n'; drop table jobs; --,LOST\n,WON",
        /line 3: "'; drop table jobs; --" is not a Xendit dispute id.*line 4: "" is not/,
      ],
      ['dispute_id\n"mi-dspt-1', /ends inside a quoted cell/],
      [tooMany, new RegExp(`more than ${MAX_REPORTED_DISPUTES} disputes`)],
    ] as const) {
      const res = await upload(agent, report, 400);
      const $ = cheerio.load(res.text);
      assert.match($('#e-report').text(), text, report.slice(0, 60));
      assert.equal($('#f-report').attr('aria-invalid'), 'true');
    }
    assert.deepEqual(await disputeJobs(), []);
    assert.equal((await h.stores.audit.forMerchant(h.merchant.id, 10)).filter((e) => e.action === 'xendit_dispute_report_read').length, 0);
  });

  it('staff read the page but may not upload (403), another merchant gets 404, no session or CSRF token is refused; nothing queued', async () => {
    await h.stores.users.add(
      { email: 'staff@toko.test', passwordHash: await hashPassword(PASSWORD), role: 'merchant', merchantId: h.merchant.id, merchantRole: 'staff' },
      h.clock(),
    );
    const report = 'dispute_id,status\nmi-dspt-1,LOST\n';
    const staff = await signedIn(h.app, 'staff@toko.test');
    assert.equal((await page(staff, pagePath())).$('h1').length, 1);
    await upload(staff, report, 403);
    const other = await signedIn(h.app, 'b@lain.test');
    await page(other, pagePath(), 404);
    const { csrf } = await page(other, adminMerchantPath((await h.stores.users.byEmail('b@lain.test'))!.merchantId!, 'adminMerchantDisputes'));
    await other.post(adminMerchantPath(h.merchant.id, 'adminMerchantDisputesReport')).type('form').send({ _csrf: csrf(), report }).expect(404);
    const anonymous = await request(h.app).post(adminMerchantPath(h.merchant.id, 'adminMerchantDisputesReport')).type('form').send({ report });
    assert.ok([302, 303, 403].includes(anonymous.status), `anonymous: ${anonymous.status}`);
    const owner = await signedIn(h.app, 'a@toko.test');
    await owner.post(adminMerchantPath(h.merchant.id, 'adminMerchantDisputesReport')).type('form').send({ report }).expect(403);
    assert.deepEqual(await disputeJobs(), []);
  });
});
