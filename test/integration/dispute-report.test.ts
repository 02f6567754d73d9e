import { strict as assert } from 'node:assert';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { PASSWORD, page, seedAdminCast, signedIn, type Agent } from '../helpers/admin.js';
import { hashPassword } from '../../app/admin/auth/passwords.js';
import { adminMerchantPath, disputeCallbackPathFor, paths } from '../../app/paths.js';
import { MAX_REPORTED_DISPUTES } from '../../app/admin/disputes/dispute-report.js';
import { MAX_WAITING_READS } from '../../app/admin/disputes/service.js';
import { listRefundsJob } from '../../app/jobs/sync/list-refunds.js';
import { pino } from 'pino';

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

  /** The upload's reads fall due five a second: a minute later they all have. */
  async function readAtXendit() {
    h.clock.advance(60_000);
    await h.worker.drain();
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
    const before = (await disputeJobs()).length;
    await uploaded(agent, report, 4, 4);
    const spread = (await disputeJobs()).slice(before).map((j) => j.runAt.getTime() - h.clock().getTime());
    assert.deepEqual(
      spread.sort((a, b) => a - b),
      [0, 200, 400],
      "the reads are spread out, not all due at once ahead of other merchants' jobs (the fourth is the early LOST job, run again)",
    );
    await readAtXendit();

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
    await readAtXendit();
    assert.equal((await disputeJobs()).length, jobs, 'the same report again queues nothing');
    assert.equal(notes().length, 2);

    await h.sims.xendit.resolveDispute(open.id, 'LOST', { sendWebhook: false });
    await uploaded(agent, await exportedReport(), 4, 1);
    await readAtXendit();
    assert.equal(notes().length, 3);
    assert.equal(notes().find((n) => n.reference === `Xendit chargeback ${open.id}`)?.total, 5_000_000n, 'the part disputed, IDR 50,000');
    assert.deepEqual(await watched(), []);
  });

  it("a report is only a hint: a LOST it gets wrong books nothing and keeps the dispute watched; another account's dispute goes to review; a dispute gone later is reviewed too", async () => {
    const { x } = await paidAndRecorded();
    const open = await h.sims.xendit.dispute(x.id, { sendWebhook: false });
    // A dispute of another Xendit account (another business's report pasted by mistake).
    h.sims.xendit.registerAccount({ secretKey: 'xnd_development_someone_else', callbackToken: 'tok-else', businessName: 'Someone Else' });
    const theirInvoice = h.sims.xendit.createInvoice({ account: 'xnd_development_someone_else', currency: 'IDR', amount: 100_000 });
    await h.sims.xendit.pay(theirInvoice.id, { sendCallback: false });
    const theirs = await h.sims.xendit.dispute(theirInvoice.id, { sendWebhook: false });
    await h.sims.xendit.resolveDispute(theirs.id, 'LOST', { sendWebhook: false });

    const agent = await signedIn(h.app, 'a@toko.test');
    // Columns in another order and case, no status column, quoted cells, CRLF and a BOM.
    await uploaded(agent, `\uFEFFReason,"DISPUTE_ID"\r\n"fraud, stolen card",${open.id}\r\n`, 1, 1);
    await readAtXendit();
    assert.deepEqual(
      (await watched()).map((d) => d.xenditDisputeId),
      [open.id],
      'read open at Xendit: watched daily',
    );
    await uploaded(agent, `dispute_id,status\n${open.id},LOST\n${theirs.id},LOST\n`, 2, 2);
    assert.equal((await watched()).length, 1, 'a LOST in a file does not stop the daily looks: only Xendit saying so does');
    await readAtXendit();
    assert.equal(notes().length, 0, 'nothing booked: Xendit says ours is open, and does not know theirs with our key');
    assert.deepEqual(
      (await watched()).map((d) => d.xenditDisputeId),
      [open.id],
    );
    const review = (await disputeJobs()).filter((j) => j.state === 'needs_review');
    assert.deepEqual(
      review.map((j) => j.payload.xenditDisputeId),
      [theirs.id],
    );
    assert.match(String(review[0].lastError), /Xendit has no dispute/);

    // Later Xendit no longer has ours (the key changed to another account, say): the daily look's
    // job says so in review, although the report's job of that dispute is done already.
    h.sims.xendit.faults.failNext(10, 404, { path: `/v1/disputes/${open.id}` });
    h.clock.advance(86_400_000 + 1000);
    await listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
    await h.worker.drain();
    const gone = (await disputeJobs()).find((j) => j.payload.xenditDisputeId === open.id && j.state === 'needs_review');
    assert.equal(gone?.payload.status, 'GONE');
    assert.deepEqual(await watched(), []);
  });

  it('a merchant without a Xendit key, or with an earlier upload still being read, gets the form back; nothing queued', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const rows = (n: number, from = 0) => ['dispute_id', ...Array.from({ length: n }, (_, i) => `mi-dspt-${from + i}`)].join('\n');
    await uploaded(agent, rows(MAX_WAITING_READS + 1), MAX_WAITING_READS + 1, MAX_WAITING_READS + 1);
    const busy = cheerio.load((await upload(agent, rows(1, 10_000), 422)).text);
    assert.match(busy('#e-report').text(), new RegExp(`still being asked about ${MAX_WAITING_READS + 1} disputes`));
    assert.equal((await disputeJobs()).length, MAX_WAITING_READS + 1);

    const keyless = await h.stores.merchants.add({
      name: 'Tanpa Kunci',
      shortCode: '!NOKEY1',
      xero: { clientId: 'k', clientSecret: 'k-secret', tenantId: '' },
    });
    const ops = await signedIn(h.app, 'ops@example.com');
    const form = await page(ops, adminMerchantPath(keyless.id, 'adminMerchantDisputes'));
    const noKey = await ops
      .post(adminMerchantPath(keyless.id, 'adminMerchantDisputesReport'))
      .type('form')
      .send({ _csrf: form.csrf(), report: rows(1, 20_000) })
      .expect(400);
    assert.match(cheerio.load(noKey.text)('#e-report').text(), /Xendit key first/);
    assert.equal((await disputeJobs()).length, MAX_WAITING_READS + 1);
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
    await request(h.app)
      .post(adminMerchantPath(h.merchant.id, 'adminMerchantDisputesReport'))
      .type('form')
      .send({ report })
      .expect(303)
      .expect('location', paths.adminLogin);
    const owner = await signedIn(h.app, 'a@toko.test');
    await owner.post(adminMerchantPath(h.merchant.id, 'adminMerchantDisputesReport')).type('form').send({ report }).expect(403);
    assert.deepEqual(await disputeJobs(), []);
    // Operators may upload for any merchant.
    const ops = await signedIn(h.app, 'ops@example.com');
    await uploaded(ops, report, 1, 1);
  });
});
