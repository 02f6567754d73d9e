import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { sql } from 'kysely';
import { describeEachDatabase } from '../helpers/db.js';
import { freePort } from '../helpers/spawn.js';
import { startDemo, type DemoRun } from '../helpers/demo.js';
import { addUser, clearAdminTables, csrfOf, signedIn } from '../helpers/admin.js';
import { consent, startConnect } from '../helpers/xero-oauth.js';
import type { Harness } from '../helpers/harness.js';
import { DEMO, DEMO2 } from '../../app/simulators/demo-data.js';
import { runCli } from '../../app/bin/cli/index.js';
import { resetSavedDemo } from '../../app/bin/demo.js';
import { loadConfig } from '../../config/index.js';
import { createStores } from '../../app/store/index.js';
import { box, REFUNDABLE } from '../helpers/harness.js';
import { callbackPathFor, paths, payLinkFor } from '../../app/paths.js';
import { recordChange } from '../../app/admin/audit.js';
import { schedule } from '../../app/jobs/schedules.js';

describeEachDatabase('demo state across restarts', ({ db }) => {
  let dataDir: string;
  let port: number;
  let run: DemoRun | undefined;

  beforeEach(async () => {
    await sql`truncate jobs, payments, callback_events, checkouts, merchants, rate_limits, xero_oauth_states restart identity cascade`.execute(db());
    await clearAdminTables(db());
    dataDir = mkdtempSync(join(tmpdir(), 'gw-demo-state-'));
    port = await freePort();
  });
  afterEach(async () => {
    await run?.close();
    run = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const restart = async () => {
    await run!.close();
    run = await startDemo(db(), dataDir, port);
    return run;
  };
  const startDemoStopped = async () => ({ stores: createStores(db(), box), config: loadConfig({ DEMO: 'true', DATA_DIR: dataDir, LOG_LEVEL: 'silent' }) });
  const merchantOf = async (shortCode: string) => (await createStores(db(), box).merchants.list()).find((m) => m.shortCode === shortCode);

  /** Connect to Xero against the demo's simulated Xero, picking the second demo organisation. */
  async function onboardDemo2() {
    if (!(await run!.runtime.stores.users.hasOperator())) await addUser(run!.runtime.stores, 'ops@example.com', null);
    const ops = await signedIn(run!.app, 'ops@example.com');
    const authorize = await startConnect(ops);
    // The helper speaks to a simulator at its own root; the demo mounts it under /_sim/xero.
    const sims = { xeroUrl: `${run!.base}${paths.simXero}` } as Harness['sims'];
    const atSim = new URL(authorize.pathname.slice(paths.simXero.length) + authorize.search, run!.base);
    const org2 = orgIdOf(DEMO2.shortCode);
    await ops.get(await consent(sims, atSim, { tenants: [org2] })).expect(303);
    return ops;
  }
  /** Clicks the pay link of an unpaid demo invoice: the invoice and its Xendit invoice id. */
  async function openCheckout(demo: DemoRun) {
    const inv = (await demo.demo.invoices()).find((i) => i.status === 'AUTHORISED' && i.amountDue === i.total)!;
    const click = await request(demo.app)
      .get(new URL(inv.payLink).pathname + new URL(inv.payLink).search)
      .expect(303);
    return { inv, xenditId: new URL(click.headers.location, demo.base).pathname.split('/').pop()! };
  }
  const orgIdOf = (shortCode: string) => run!.demo.simulators.xero.test.findOrganisation((o) => o.shortCode === shortCode)!.tenantId;

  it('a merchant onboarded with Connect to Xero against the simulated Xero still pays after a restart', async () => {
    run = await startDemo(db(), dataDir, port);
    await onboardDemo2();
    const m = (await merchantOf(DEMO2.shortCode))!;
    // The rest of onboarding (admin steps): Xendit keys, clearing account, callback URL at the dashboard.
    const { xero, xendit } = run.demo.simulators;
    const org2 = orgIdOf(DEMO2.shortCode);
    const clearing = xero.addAccount(org2, { code: '095', name: 'Xendit', type: 'BANK', currencyCode: 'IDR' });
    await run.runtime.stores.merchants.setXenditKeys(m.id, { test: DEMO2.xenditSecretKey, callbackToken: DEMO2.callbackToken }, new Date());
    await run.runtime.stores.merchants.setAccounts(
      m.id,
      { clearingAccountId: clearing.accountId, clearingAccounts: {}, feeAccountCode: '404', salesAccountCode: null },
      new Date(),
    );
    xendit.test.updateAccount(DEMO2.xenditSecretKey, { callbackUrl: `${run.base}${callbackPathFor(m.id)}` });
    assert.ok(await run.runtime.stores.merchants.activateIfComplete(m.id, new Date()), 'onboarding complete');

    const after = await restart();
    assert.equal((await merchantOf(DEMO2.shortCode))?.id, m.id, 'the onboarded merchant is kept');
    assert.equal((await merchantOf(DEMO.shortCode))?.id !== undefined, true);
    const inv = DEMO2.invoice;
    const pay = await request(after.app)
      .get(payLinkFor(after.runtime.config.publicUrl, { ...inv, shortCode: DEMO2.shortCode }).replace(after.runtime.config.publicUrl, ''))
      .expect(303);
    const xid = new URL(pay.headers.location).pathname.split('/').pop()!;
    await after.demo.simulators.xendit.pay(xid);
    await after.worker.drain();
    const invoice = after.demo.simulators.xero.findInvoice(inv.invoiceNumber, org2)!;
    assert.equal(invoice.status, 'PAID');
    assert.equal(
      Number((await sql<{ n: string }>`select count(*) as n from payments where merchant_id = ${m.id}`.execute(db())).rows[0].n),
      1,
      'payment recorded',
    );
  });

  it('starts over from the Reset demo button and from the CLI', async () => {
    run = await startDemo(db(), dataDir, port);
    await onboardDemo2();
    const demoId = (await merchantOf(DEMO.shortCode))!.id;
    const home = request.agent(run.app);
    const page = await home.get('/').expect(200);
    await home.post('/demo/reset').type('form').send({}).expect(403);
    await home
      .post('/demo/reset')
      .type('form')
      .send({ _csrf: csrfOf(page.text) })
      .expect(303)
      .expect('location', '/');
    assert.equal(await merchantOf(DEMO2.shortCode), undefined, 'the onboarded merchant is forgotten');
    assert.notEqual((await merchantOf(DEMO.shortCode))?.id, demoId, 'the demo merchant is made anew');
    assert.equal(run.demo.simulators.xero.test.oauth.grants().length, 0, 'simulated Xero starts empty of consents');
    assert.match(
      cheerio
        .load((await home.get('/').expect(200)).text)('body')
        .text(),
      /INV-0001/,
    );

    await onboardDemo2();
    await run.close();
    run = undefined;
    // What `demo reset` runs once it has booted (the CLI opens its database from DATABASE_URL).
    const stopped = await startDemoStopped();
    assert.equal(await resetSavedDemo(stopped), 2, 'the demo merchant and the onboarded one');
    assert.equal(existsSync(join(dataDir, 'demo', 'xero.json')), false);
    run = await startDemo(db(), dataDir, port);
    assert.equal(run.demo.simulators.xero.test.oauth.grants().length, 0, 'seeded anew');
    assert.equal(await merchantOf(DEMO2.shortCode), undefined);
  });

  it('demo reset on the CLI refuses outside demo mode', async () => {
    const err: string[] = [];
    const code = await runCli(
      ['demo', 'reset'],
      { DEMO: 'false', DATA_DIR: dataDir, LOG_LEVEL: 'silent', XERO_CLIENT_ID: 'x', XERO_CLIENT_SECRET: 'y' },
      { out: () => undefined, err: (l) => err.push(l) },
    );
    assert.equal(code, 64);
    assert.match(err.join('\n'), /not in demo mode/);
  });

  it('sends alert e-mails over SMTP to the outbox simulator, linked from the home page', async () => {
    run = await startDemo(db(), dataDir, port);
    await addUser(run.runtime.stores, 'ops@example.com', null);
    const merchant = await merchantOf(DEMO.shortCode);
    await recordChange(run.runtime, null, merchant!.id, 'xendit_keys_changed');
    await schedule(run.runtime, 'send-alerts', 5);
    await run.worker.drain();
    const home = cheerio.load((await request(run.app).get('/').expect(200)).text);
    const outboxUrl = home('#outbox a').attr('href')!;
    const $ = cheerio.load((await request(run.app).get(outboxUrl).expect(200)).text);
    assert.equal($('article.mail').length, 1);
    assert.match($('article.mail h2').text(), /the command line \(CLI\) made a change: Xendit keys changed/);
    assert.match($('article.mail .muted').text(), /To ops@example\.com/);
    assert.equal((await run.runtime.stores.alerts.outbox(5))[0]?.sentAt instanceof Date, true, 'accepted by the SMTP server: sent');
  });

  it('refunds, credit notes and an open dispute made in the demo are still there after a restart', async () => {
    run = await startDemo(db(), dataDir, port);
    const { xenditId } = await openCheckout(run);
    await run.demo.simulators.xendit.pay(xenditId, REFUNDABLE);
    await run.worker.drain();
    await run.demo.simulators.xendit.refund(xenditId, { amount: 10_000 });
    const dispute = await run.demo.simulators.xendit.dispute(xenditId, { amount: 5_000 });
    await run.worker.drain();
    const tenant = orgIdOf(DEMO.shortCode);
    assert.equal(run.demo.simulators.xero.test.creditNotes(tenant).length, 1, 'the refund reached Xero through its webhook');

    const after = await restart();
    assert.equal(after.demo.simulators.xero.test.creditNotes(tenant).length, 1, 'credit note kept');
    assert.equal(after.demo.simulators.xero.test.refundPayments(tenant).length, 1, 'its cash refund kept');
    await after.demo.simulators.xendit.resolveDispute(dispute.id, 'LOST');
    await after.worker.drain();
    const notes = after.demo.simulators.xero.test.creditNotes(tenant);
    assert.deepEqual(
      notes.map((n) => n.reference).sort(),
      [`Xendit chargeback ${dispute.id}`, notes.find((n) => n.reference.startsWith('Xendit refund'))!.reference].sort(),
    );
  });

  it("Xendit's other balance movements made in the demo are still there after a restart", async () => {
    run = await startDemo(db(), dataDir, port);
    const key = DEMO.xenditSecretKey;
    const seeded = run.demo.simulators.xendit.test.balance(key, 'IDR');
    run.demo.simulators.xendit.test.movement(key, { type: 'TOPUP', currency: 'IDR', amount: 50_000, cashflow: 'MONEY_IN' });
    assert.equal(run.demo.simulators.xendit.test.balance(key, 'IDR'), seeded + 50_000);

    const after = await restart();
    assert.equal(after.demo.simulators.xendit.test.balance(key, 'IDR'), seeded + 50_000, 'the top-up kept');
  });

  it('a callback the server refused is still to be redelivered after a restart', async () => {
    run = await startDemo(db(), dataDir, port);
    const { xenditId } = await openCheckout(run);
    // A URL that answers 404: Xendit retries a callback answered other than 2xx.
    run.demo.simulators.xendit.test.updateAccount(DEMO.xenditSecretKey, { callbackUrl: `${run.base}/nowhere` });
    await run.demo.simulators.xendit.pay(xenditId, REFUNDABLE);
    const queued = run.demo.simulators.xendit.test.redeliveries();
    assert.deepEqual(
      queued.map((d) => [d.kind, d.subject, d.retries]),
      [['invoice', xenditId, 0]],
    );

    const after = await restart();
    assert.deepEqual(after.demo.simulators.xendit.test.redeliveries(), queued, 'kept, due when it was');
  });

  it('voiding an invoice in the simulated Xero expires its open checkout through the signed webhook', async () => {
    run = await startDemo(db(), dataDir, port);
    const { inv, xenditId } = await openCheckout(run);
    const xeroInvoice = run.demo.simulators.xero.findInvoice(inv.invoiceNumber)!;
    const page = cheerio.load(
      (await request(run.app).get(`${paths.simXero}/AccountsReceivable/View.aspx?InvoiceID=${xeroInvoice.invoiceId}`).expect(200)).text,
    );
    const form = page('#void-invoice').closest('form');
    await request(run.app)
      .post(form.attr('action')!)
      .type('form')
      .send({ InvoiceID: form.find('input[name=InvoiceID]').val() })
      .expect(303);
    assert.equal(run.demo.simulators.xero.test.webhooks.deliveries().at(-1)?.status, 200, 'the gateway took the signed event');
    await run.worker.drain();
    assert.equal(run.demo.simulators.xendit.getInvoice(xenditId)?.status, 'EXPIRED');
  });
});
