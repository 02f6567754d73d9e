import { strict as assert } from 'node:assert';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { sql } from 'kysely';
import pino from 'pino';
import request from 'supertest';
import { SMTPServer } from 'smtp-server';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { addUser, page, seedAdminCast, signedIn } from '../helpers/admin.js';
import { createWorker } from '../../app/bin/worker.js';
import { createMailer } from '../../app/clients/mail/index.js';
import { schedule } from '../../app/jobs/schedules.js';
import { recordChange } from '../../app/admin/audit.js';
import { readMail, type SimMail } from '../../app/simulators/outbox/index.js';
import { paths } from '../../app/paths.js';
import { jobHandlers } from '../../app/jobs/registry.js';
import { XeroDisconnected } from '../../app/clients/xero/errors.js';
import type { Job } from '../../app/store/jobs.js';

/** A real SMTP server in this process: what it accepted, and a switch that makes it refuse. */
async function smtpServer() {
  const received: Omit<SimMail, 'at'>[] = [];
  let refusing = false;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (refusing) return callback(Object.assign(new Error('451 try again later'), { responseCode: 451 }));
        received.push(readMail(Buffer.concat(chunks).toString('utf8')));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    received,
    refuse: (on: boolean) => void (refusing = on),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Alerts by e-mail: stored first, one digest per recipient, sent once the SMTP server accepted it. */
describeEachDatabase('alerts by e-mail', ({ db }) => {
  let h: Harness;
  let smtp: Awaited<ReturnType<typeof smtpServer>>;
  let worker: ReturnType<typeof createWorker>;
  beforeEach(async () => {
    h = await createHarness(db(), { env: { ALERT_OPERATOR_EMAILS: 'oncall@gateway.test' } });
    await sql`truncate alerts, alert_mails`.execute(db());
    await seedAdminCast(h, db()); // ops@example.com (operator), a@toko.test (this merchant), b@lain.test (another)
    await addUser(h.stores, 'staff@toko.test', h.merchant.id, h.clock());
    smtp = await smtpServer();
    const mailer = createMailer({ smtpUrl: smtp.url, from: 'Gateway <alerts@gateway.test>' });
    worker = createWorker({
      stores: h.stores,
      xero: h.sims.xeroClient,
      xendit: h.sims.xenditClient,
      clock: h.clock,
      logger: pino({ level: 'silent' }),
      mailer,
      config: h.deps.config,
    });
  });
  afterEach(async () => {
    await smtp.close();
    await h.close();
  });

  /** The digest run, as the schedule queues it every ALERT_DIGEST_MINUTES. */
  async function digest(): Promise<void> {
    h.clock.advance(5 * 60_000);
    await schedule(h, 'send-alerts', 5);
    await worker.drain();
  }
  const to = (email: string) => smtp.received.filter((m) => m.to === email);

  it('the digest reads the translation catalogues once per worker, not on every run', async () => {
    const read = fs.readFileSync;
    let catalogueReads = 0;
    // The i18n module imports readFileSync by name: the builtin's ESM exports follow the patch once synced.
    fs.readFileSync = ((...args: Parameters<typeof read>) => {
      if (/[/\\]locales[/\\]/.test(String(args[0]))) catalogueReads++;
      return read(...args);
    }) as typeof read;
    syncBuiltinESMExports();
    try {
      for (let i = 0; i < 3; i++) {
        await recordChange(h, (await h.stores.users.byEmail('ops@example.com'))!, h.merchant.id, 'xendit_keys_changed', { test: `…${i}` });
        await digest();
      }
    } finally {
      fs.readFileSync = read;
      syncBuiltinESMExports();
    }
    assert.equal(to('a@toko.test').length, 3, 'each run mailed');
    assert.equal(catalogueReads, 0);
  });

  it('many events at once make one mail per recipient; nobody hears about their own change', async () => {
    // 1. A payment that needs a person: the Xero invoice was voided after the customer paid.
    await paidThroughGateway(h, { afterCheckout: (inv) => void h.sims.xero.test.invoices.void(inv.invoiceId) });
    await worker.drain();
    // 2. The merchant's owner changes the Xendit keys (the admin records it so).
    const owner = (await h.stores.users.byEmail('a@toko.test'))!;
    await recordChange(h, owner, h.merchant.id, 'xendit_keys_changed', { test: '…abcd' });
    // 3. Three paid callbacks, then Xendit refuses the merchant's key: every job that meets it says so, in one line.
    for (let i = 0; i < 3; i++) await paidThroughGateway(h);
    await h.stores.merchants.setXendit(h.merchant.id, { secretKey: 'xnd_development_revoked', callbackToken: h.merchant.callbackToken }, h.clock());
    await worker.drain();
    assert.equal((await h.stores.jobs.list({ state: 'queued' })).length, 3, 'the jobs wait to retry');
    assert.equal(smtp.received.length, 0, 'nothing is mailed before the digest run');

    await digest();
    const ops = to('ops@example.com');
    assert.equal(ops.length, 1, 'one mail for the operator, not one per event');
    assert.match(ops[0].subject, /^\d+ gateway alerts$/);
    const lines = ops[0].text.split('\n').filter((l) => l.startsWith('- '));
    assert.equal(lines.filter((l) => /needs a person/.test(l)).length, 1, ops[0].text);
    assert.equal(lines.filter((l) => /Xendit refused the merchant's secret key/.test(l)).length, 1, 'deduplicated while waiting');
    assert.equal(lines.filter((l) => /a@toko\.test made a change: Xendit keys changed/.test(l)).length, 1, ops[0].text);
    assert.ok(
      lines.every((l) => l.includes('Toko Test')),
      'each line names the merchant',
    );
    assert.equal(to('oncall@gateway.test').length, 1, 'ALERT_OPERATOR_EMAILS hear about every merchant');
    const staff = to('staff@toko.test');
    assert.equal(staff.length, 1);
    assert.match(staff[0].text, /a@toko\.test made a change/);
    const own = to('a@toko.test');
    assert.equal(own.length, 1);
    assert.match(own[0].text, /needs a person/);
    assert.doesNotMatch(own[0].text, /made a change/, 'not told about their own change');
    assert.equal(to('b@lain.test').length, 0, "another merchant's user hears nothing");
    assert.match(staff[0].text, new RegExp(`${paths.adminAccount}`), 'says how to stop them');

    // The jobs keep meeting the refused key; the alert is not repeated in every digest.
    await digest();
    assert.equal(smtp.received.length, 4, 'ops, on-call, staff and owner: each alert mailed once');
  });

  it('a user who turned alerts off on their account page gets none; turning them on again works', async () => {
    const staff = await signedIn(h.app, 'staff@toko.test');
    const { $, csrf } = await page(staff, paths.adminAccount);
    assert.equal($('#alerts-form input[name=alerts]').attr('checked'), 'checked', 'on by default');
    await staff.post(paths.adminAccountAlerts).type('form').send({ _csrf: csrf() }).expect(200); // unticked: no field
    assert.equal((await page(staff, paths.adminAccount)).$('#alerts-form input[name=alerts]').attr('checked'), undefined);
    const owner = (await h.stores.users.byEmail('a@toko.test'))!;
    await recordChange(h, owner, h.merchant.id, 'accounts_changed', {});
    await digest();
    assert.equal(to('staff@toko.test').length, 0);
    assert.equal(to('ops@example.com').length, 1);
    await staff.post(paths.adminAccountAlerts).type('form').send({ _csrf: csrf(), alerts: 'on' }).expect(200);
    await recordChange(h, owner, h.merchant.id, 'accounts_changed', {});
    await digest();
    assert.equal(to('staff@toko.test').length, 1);
    // Without the CSRF token nothing changes.
    await staff.post(paths.adminAccountAlerts).type('form').send({ alerts: 'on' }).expect(403);
  });

  it('SMTP refusing: the digest waits in the outbox and is sent once, when the server takes mail again', async () => {
    const owner = (await h.stores.users.byEmail('a@toko.test'))!;
    await recordChange(h, owner, h.merchant.id, 'xero_disconnected', {});
    smtp.refuse(true);
    await digest();
    assert.equal(smtp.received.length, 0);
    const outbox = await h.stores.alerts.outbox(10);
    assert.equal(outbox.length, 3, 'ops, on-call and staff: stored before sending');
    assert.ok(outbox.every((m) => m.sentAt === null));
    assert.deepEqual(
      outbox.filter((m) => m.lastError).map((m) => m.lastError?.match(/451/)?.[0]),
      ['451'],
      'the first refusal ends the run: the others would meet the same',
    );
    smtp.refuse(false);
    h.clock.advance(10 * 60_000);
    await worker.drain(); // the failed run's retry
    await digest();
    assert.deepEqual(smtp.received.map((m) => m.to).sort(), ['oncall@gateway.test', 'ops@example.com', 'staff@toko.test']);
    assert.ok((await h.stores.alerts.outbox(10)).every((m) => m.sentAt !== null));
  });

  it('reconcile finding a payment whose callback never came says the callback URL or token is likely wrong', async () => {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    await h.sims.xendit.pay(x.id, { sendCallback: false });
    h.clock.advance(10 * 60_000);
    await schedule(h, 'reconcile', 10);
    await worker.drain();
    await digest();
    assert.match(to('staff@toko.test')[0]?.text ?? '', /without a callback reaching the gateway: check the callback URL/);
  });

  it("Xendit answering 403 with a refund's error code to a call that makes no refund: the key is refused, and the merchant is told", async () => {
    // Only a refund create documents a 403 refusing the refund itself (INELIGIBLE_TRANSACTION); anywhere else a 403 is the key.
    await paidThroughGateway(h);
    // Every read the payment's job makes (invoice, transactions) answers so, however often it is tried.
    h.sims.xendit.faults.failNext(1000, 403, { method: 'GET', body: { error_code: 'TRANSACTION_NOT_FOUND', message: 'Transaction not found' } });
    await worker.drain();
    await digest();
    const lines = (to('staff@toko.test')[0]?.text ?? '').split('\n').filter((l) => l.startsWith('- '));
    assert.equal(lines.filter((l) => /Xendit refused the merchant's secret key/.test(l)).length, 1, lines.join('\n'));
  });

  it('Xero disconnected: one line per merchant, however many of its jobs meet it', async () => {
    const { onFailure } = jobHandlers({
      stores: h.stores,
      xero: h.sims.xeroClient,
      xendit: h.sims.xenditClient,
      clock: h.clock,
      logger: pino({ level: 'silent' }),
    });
    for (let id = 1; id <= 5; id++) {
      const job = { id, kind: 'record-payment', merchantId: h.merchant.id } as Job;
      await onFailure!(job, new XeroDisconnected(h.merchant.id, 'invalid_grant'));
    }
    await digest();
    const lines = (to('staff@toko.test')[0]?.text ?? '').split('\n').filter((l) => l.startsWith('- '));
    assert.equal(lines.length, 1);
    assert.match(lines[0], /Toko Test: Xero refused the connection/);
  });

  it('a payment refused again after Retry is told again', async () => {
    await paidThroughGateway(h, { afterCheckout: (inv) => void h.sims.xero.test.invoices.void(inv.invoiceId) });
    await worker.drain();
    await digest();
    const job = (await h.stores.jobs.list({ state: 'needs_review' }))[0]!;
    assert.ok(await h.stores.jobs.replay(job.id, h.clock())); // what Retry does
    await worker.drain();
    await digest();
    const told = to('staff@toko.test').filter((m) => /needs a person/.test(m.text));
    assert.equal(told.length, 2, 'once per refusal');
  });
});
