import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { atOnce, formFields, seedAdminCast, page, signedIn, versionOf, type Agent } from '../helpers/admin.js';
import * as cheerio from 'cheerio';
import { adminMerchantPath } from '../../app/paths.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import { reconciliationReport } from '../../app/report/reconcile.js';
import { JOB_SPECS } from '../../app/jobs/kinds.js';
import { UNSETTLED_MS } from '../../app/jobs/sync/send-once.js';
import type { XenditGateway } from '../../app/clients/xendit/types.js';

const BANK_TRANSFERS = '/api.xro/2.0/BankTransfers';
const BANK_TRANSACTIONS = '/api.xro/2.0/BankTransactions';

/**
 * Settlements (issue 16 §1): a withdrawal from the Xendit balance to the merchant's bank becomes one
 * Bank Transfer in Xero, clearing account → the settlement bank account the merchant picked.
 */
describeEachDatabase('settlements: Xendit withdrawals into Xero as bank transfers', ({ db }) => {
  let h: Harness;
  let savings: string;
  beforeEach(async () => {
    h = await createHarness(db());
    await seedAdminCast(h, db());
    savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
  });
  afterEach(() => h.close());

  const transfers = () => h.sims.xero.test.bankTransfers(h.tenantId);
  const row = (id: string) => h.stores.settlements.byXenditId(h.merchant.id, id);
  const list = () => listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
  const settingsPath = () => adminMerchantPath(h.merchant.id, 'adminMerchantSettings');
  const settlementPath = () => adminMerchantPath(h.merchant.id, 'adminMerchantSettlement');
  /** The reconciliation report from yesterday to tomorrow (the simulators date by the wall clock). */
  const reportAroundToday = () => {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    return reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient }, h.merchant, { from: day(-1), to: day(1) });
  };

  /** The admin's report page for the last three days up to the clock's today, with today's balances. */
  const reportPage = async (agent: Agent) => {
    const day = (offset: number) => new Date(h.clock().getTime() + offset * 86_400_000).toISOString().slice(0, 10);
    const { $ } = await page(agent, `/admin/report?${new URLSearchParams({ merchant: h.merchant.id, from: day(-3), to: day(0) })}`);
    return { verdict: $('#verdict').attr('data-verdict'), text: $('#verdict').text(), idr: $('#report-balances tr[data-currency=IDR] .state').text().trim() };
  };

  /** The merchant books a payout out of the Xendit balance by hand: Spend Money naming it, out of a clearing account. */
  const bookPayoutByHand = (payoutId: string, on: { accountId: string; currency: string; amount: string }) =>
    h.sims.xeroClient.createBankTransaction(
      h.merchant.xero,
      {
        type: 'SPEND',
        bankAccountId: on.accountId,
        contactName: 'Supplier',
        date: new Date().toISOString().slice(0, 10),
        reference: `Supplier payout ${payoutId}`,
        currencyCode: on.currency,
        lineItems: [{ description: 'Stock', accountCode: '404', amount: on.amount }],
      },
      `hand-booked-payout-${payoutId}`,
    );

  async function pick(agent: Agent, body: Record<string, string>, status: number) {
    const form = await page(agent, settingsPath());
    const version = versionOf(form.$, 'form[action$="/settings/settlement"]');
    return agent
      .post(settlementPath())
      .type('form')
      .send({ _csrf: form.csrf(), version, ...body })
      .expect(status);
  }

  /** A paid invoice recorded in Xero, then part of the balance withdrawn at Xendit. */
  async function withdrawn(amount = 100_000) {
    const { x } = await paidThroughGateway(h);
    await h.worker.drain();
    // Only settled money can be withdrawn. Xendit sends no callback when it settles: the balance shows it.
    await h.sims.xendit.settle(x.id);
    return h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', amount);
  }

  /** A withdrawal to the savings account picked in settings, listed and booked as one transfer. */
  async function transferredToSavings(amount: number) {
    await pick(await signedIn(h.app, 'a@toko.test'), { settlement_IDR: savings }, 303);
    const w = await withdrawn(amount);
    await list();
    await h.worker.drain();
    assert.equal(transfers().length, 1);
    return w;
  }

  it('a withdrawal found by the listing becomes one bank transfer, clearing → settlement account; listing again or replaying the job adds nothing', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    await pick(agent, { settlement_IDR: savings }, 303);
    const [audited] = await h.stores.audit.forMerchant(h.merchant.id);
    assert.deepEqual(
      [audited.action, audited.userEmail, audited.detail],
      ['settlement_accounts_changed', 'a@toko.test', { accounts: `IDR=${savings}`, destinations: '' }],
    );
    const w = await withdrawn();
    await list();
    await h.worker.drain();

    const [t, ...more] = transfers();
    assert.equal(more.length, 0);
    assert.equal(t.fromAccountId, h.clearingAccountId);
    assert.equal(t.toAccountId, savings);
    assert.equal(t.amount, 10000000n, '100 000 IDR');
    assert.equal(t.reference, `Xendit withdrawal ${w.id}`);
    assert.equal(t.fromIsReconciled, true, 'no feed will ever match the clearing side');
    assert.equal(t.toIsReconciled, false, "the bank's own feed matches the other side");
    const r = await row(w.id);
    assert.equal(r?.state, 'recorded');
    assert.equal(r?.xeroBankTransferId, t.bankTransferId);

    await list();
    await h.worker.drain();
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal');
    assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
    await h.worker.drain();
    assert.equal(transfers().length, 1);
  });

  it('a merchant disabled after its sales: the listing still finds its withdrawal and books the transfer', async () => {
    await pick(await signedIn(h.app, 'a@toko.test'), { settlement_IDR: savings }, 303);
    const w = await withdrawn();
    await h.stores.merchants.setStatus(h.merchant.id, 'disabled');
    await list();
    await h.worker.drain();
    assert.deepEqual(
      transfers().map((t) => t.reference),
      [`Xendit withdrawal ${w.id}`],
    );
  });

  it('a lost answer from Xero: the retry finds the transfer by Reference and creates no second one', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    await pick(agent, { settlement_IDR: savings }, 303);
    const w = await withdrawn();
    h.sims.xero.faults.dropResponseAfterSave(1, { path: BANK_TRANSFERS });
    await list();
    await h.worker.drain();
    assert.equal(transfers().length, 1, 'Xero saved it');
    assert.ok((await row(w.id))?.transferAttemptAt, 'outcome unknown');

    h.clock.advance(60_000);
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId); // later than Xero keeps a key
    h.sims.xero.test.clearRequests();
    await h.worker.drain();
    assert.equal(transfers().length, 1, 'found, not created again');
    assert.equal(h.sims.xero.test.countRequests({ method: 'GET', pathPrefix: BANK_TRANSFERS }), 1, 'looked up by Reference');
    assert.equal((await row(w.id))?.state, 'recorded');
  });

  it('a crash after the mark, before the send: the rerun looks the transfer up, finds none, and creates it once the mark is old enough that Xero would show it', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    await pick(agent, { settlement_IDR: savings }, 303);
    const w = await withdrawn();
    await list();
    // What a worker that died between the commit of its mark and the send leaves behind.
    const r = (await row(w.id))!;
    await h.stores.settlements.noteAttempt(r.id, 'transfer', h.clock(), h.clock());
    h.sims.xero.test.clearRequests();
    await h.worker.drain();
    // From here a crash before the send looks like a send Xero is still making: nothing is sent yet.
    assert.equal(transfers().length, 0);
    assert.equal(h.sims.xero.test.countRequests({ method: 'GET', pathPrefix: BANK_TRANSFERS }), 1);
    h.clock.advance(UNSETTLED_MS);
    await h.worker.drain();
    assert.equal(transfers().length, 1);
    assert.equal(h.sims.xero.test.countRequests({ method: 'GET', pathPrefix: BANK_TRANSFERS }), 2);
    assert.equal((await row(w.id))?.state, 'recorded');
  });

  it('with no settlement bank account picked the withdrawal waits (shown on the settings page), and is recorded once one is picked', async () => {
    const w = await withdrawn(50_000);
    await list();
    await h.worker.drain();
    assert.equal(transfers().length, 0, 'never a guessed account');
    assert.equal((await row(w.id))?.state, 'waiting');
    assert.equal((await h.stores.jobs.list()).find((j) => j.kind === 'record-withdrawal')?.state, 'done', 'nothing failing meanwhile');

    const agent = await signedIn(h.app, 'a@toko.test');
    const { $ } = await page(agent, settingsPath());
    assert.match($('#w-settlement_IDR').text(), /waiting for a settlement bank account: 1 \(IDR\)/);
    assert.deepEqual(
      $('#f-settlement_IDR option')
        .map((_, el) => $(el).val())
        .get(),
      ['', savings],
      'only the IDR bank accounts other than the clearing one',
    );

    await pick(agent, { settlement_IDR: savings }, 303);
    await h.worker.drain();
    const [t] = transfers();
    assert.equal(t?.amount, 5000000n);
    assert.equal(t?.toAccountId, savings);
    assert.equal((await row(w.id))?.state, 'recorded');
  });

  it('an account picked between the job reading none and it setting the withdrawal waiting: the job runs again and books it', async () => {
    const w = await withdrawn(50_000);
    const agent = await signedIn(h.app, 'a@toko.test');
    const settlements = h.stores.settlements;
    const setWaiting = settlements.waiting.bind(settlements);
    let picked = false;
    // The save lands after the job read the accounts: it finds no waiting row to resume yet.
    settlements.waiting = async (...args) => {
      if (!picked) {
        picked = true;
        await pick(agent, { settlement_IDR: savings }, 303);
      }
      return setWaiting(...args);
    };
    await list();
    await h.worker.drain();
    assert.equal(picked, true);
    for (let i = 0; i < 5 && (await row(w.id))?.state !== 'recorded'; i++) {
      h.clock.advance(60_000);
      await h.worker.drain();
    }
    assert.equal((await row(w.id))?.state, 'recorded', 'not stranded in waiting');
    assert.equal(transfers().length, 1);
    assert.equal(transfers()[0].toAccountId, savings);
  });

  it('a merchant paid in IDR and PHP: Xendit is asked one currency at a time, so the PHP fee is posted, the PHP withdrawal found and the PHP payout on the report', async () => {
    // The simulated Xendit, like the real one's docs, refuses a transactions listing without a
    // currency for an account that holds more than one.
    const savingsPhp = h.sims.xero.addAccount(h.tenantId, { code: '093', name: 'Savings PHP', type: 'BANK', currencyCode: 'PHP' }).accountId;
    await pick(await signedIn(h.app, 'a@toko.test'), { settlement_IDR: savings, settlement_PHP: savingsPhp }, 303);
    const idr = await paidThroughGateway(h);
    const php = await paidThroughGateway(h, { invoice: { currency: 'PHP', lineItems: [{ description: 'Tour', quantity: '1', unitAmount: '1250.50' }] } });
    await h.worker.drain();
    for (const { x } of [idr, php]) await h.sims.xendit.settle(x.id);
    await h.worker.drain();
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, php.x.id))?.feeState, 'posted');

    const key = h.merchant.xenditSecretKey;
    const w = h.sims.xendit.test.withdraw(key, 'PHP', 50_000);
    const payout = h.sims.xendit.test.movement(key, { type: 'DISBURSEMENT', currency: 'PHP', amount: 10_000, cashflow: 'MONEY_OUT' });
    await list();
    await h.worker.drain();
    const [t, ...more] = transfers();
    assert.equal(more.length, 0);
    assert.deepEqual([t.reference, t.fromAccountId, t.toAccountId, t.amount], [`Xendit withdrawal ${w.id}`, h.clearingPhpAccountId, savingsPhp, 50_000n]);

    const report = await reportAroundToday();
    const about = (id: string) => report.rows.filter((r) => r.note.includes(id)).map((r) => [r.currency, r.status, r.xenditAmount]);
    assert.deepEqual(about(w.id), [['PHP', 'transferred', '-500.00']]);
    assert.deepEqual(about(payout.id), [['PHP', 'not_in_xero', '-100.00']]);
    assert.equal(report.reconciled, false, 'the payout left the PHP balance and not the PHP clearing account');

    // Xero's Bank Summary is in the base currency (IDR) only: the report adds PHP's clearing account
    // balance up from its payment, fee and transfer as Xero lists them, and sets it against Xendit's.
    h.clock.advance(Math.max(0, Date.now() - h.clock().getTime()) + 86_400_000);
    const agent = await signedIn(h.app, 'a@toko.test');
    const phpRow = async () => {
      const day = (offset: number) => new Date(h.clock().getTime() + offset * 86_400_000).toISOString().slice(0, 10);
      const { $ } = await page(agent, `/admin/report?${new URLSearchParams({ merchant: h.merchant.id, from: day(-3), to: day(0) })}`);
      const row = $('#report-balances tr[data-currency=PHP]');
      const text = (cls: string) => row.find(cls).clone().children().remove().end().text().trim().replace(/\s/g, ' ');
      return {
        xendit: text('.xendit'),
        xero: text('.xero'),
        summed: row.find('.xero .summed').length,
        state: row.find('.state').text().trim().replace(/\s/g, ' '),
      };
    };
    const left = h.sims.xendit.test.balance(key, 'PHP');
    assert.equal(h.sims.xero.balanceOf(h.tenantId, h.clearingPhpAccountId), BigInt(left + 10_000), 'the clearing account still holds the payout');
    const before = await phpRow();
    assert.deepEqual(before, { xendit: `₱${(left / 100).toFixed(2)}`, xero: `₱${((left + 10_000) / 100).toFixed(2)}`, summed: 1, state: 'Differs by ₱100.00' });
    // The merchant books the payout by hand on the PHP clearing account: both sides agree.
    await bookPayoutByHand(payout.id, { accountId: h.clearingPhpAccountId, currency: 'PHP', amount: '100.00' });
    const after = await phpRow();
    assert.deepEqual(after, { ...before, xero: before.xendit, state: 'Balanced' });
    const reconciled = await reportPage(agent);
    assert.equal(reconciled.verdict, 'reconciled', reconciled.text);
  });

  it('a settlement account that has since become the clearing account is not transferred to itself: needs review, with the reason', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    await pick(agent, { settlement_IDR: savings }, 303);
    // Later, on the Accounts step, the merchant made the savings account the clearing account.
    const m = (await h.stores.merchants.byId(h.merchant.id))!;
    await h.stores.merchants.setAccounts(
      h.merchant.id,
      { clearingAccountId: savings, clearingAccounts: m.clearingAccounts, feeAccountCode: m.feeAccountCode ?? '404', salesAccountCode: m.salesAccountCode },
      h.clock(),
    );
    const w = await withdrawn();
    await list();
    await h.worker.drain();
    assert.equal(transfers().length, 0);
    const r = await row(w.id);
    assert.equal(r?.state, 'needs_review');
    assert.match(r?.lastError ?? '', /settlement bank account for IDR is the clearing account itself/);
    assert.equal((await h.stores.jobs.list()).find((j) => j.kind === 'record-withdrawal')?.state, 'needs_review');
  });

  it('a withdrawal made with a test key never reaches an organisation that is not a test company', async () => {
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { xeroTestOrganisation: false }, h.clock());
    const agent = await signedIn(h.app, 'a@toko.test');
    await pick(agent, { settlement_IDR: savings }, 303);
    await withdrawn();
    await list();
    await h.worker.drain();
    assert.equal(transfers().length, 0);
    const [w] = await h.stores.settlements.list(h.merchant.id, new Date(0));
    assert.equal(w?.state, 'test_mode');
  });

  it('the picker refuses a non-bank, wrong-currency, clearing or unknown account id with a 400 and writes nothing', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const sales = h.sims.xero.bankAccountFor(h.tenantId, 'Sales').accountId;
    for (const [body, field] of [
      [{ settlement_IDR: sales }, 'settlement_IDR'],
      [{ settlement_IDR: h.clearingPhpAccountId }, 'settlement_IDR'],
      [{ settlement_IDR: h.clearingAccountId }, 'settlement_IDR'],
      [{ settlement_IDR: 'not-an-account' }, 'settlement_IDR'],
      [{ settlement_USD: savings }, null],
    ] as const) {
      const res = await pick(agent, body, 400);
      if (field) assert.match(res.text, /Choose a IDR bank account from the list/);
      else assert.match(res.text, /no clearing account for USD/);
    }
    assert.deepEqual(await h.stores.settlements.accounts(h.merchant.id), {});
    // The merchant's staff read the settings but do not change where money goes.
    const owner = (await h.stores.users.byEmail('a@toko.test'))!;
    await h.stores.users.add(
      { email: 'staff@toko.test', passwordHash: owner.passwordHash, role: 'merchant', merchantId: h.merchant.id, merchantRole: 'staff' },
      h.clock(),
    );
    await pick(await signedIn(h.app, 'staff@toko.test'), { settlement_IDR: savings }, 403);
    assert.deepEqual(await h.stores.settlements.accounts(h.merchant.id), {});
    // Users of another merchant cannot reach this one's picker at all.
    const stranger = await signedIn(h.app, 'b@lain.test');
    await stranger.get(settingsPath()).expect(404);
  });

  it('two saves of one settlement form at the same moment: one is saved, the other refused (409), and nothing of it written; none without its version', async () => {
    const savingsPhp = h.sims.xero.addAccount(h.tenantId, { code: '093', name: 'Savings PHP', type: 'BANK', currencyCode: 'PHP' }).accountId;
    const agent = await signedIn(h.app, 'a@toko.test');
    const form = 'form[action$="/settings/settlement"]';
    const tab1 = await page(agent, settingsPath());
    const tab2 = await page(agent, settingsPath());
    const [a, b] = await atOnce(db(), h.merchant.id, [
      () =>
        agent
          .post(settlementPath())
          .type('form')
          .send({ ...formFields(tab1.$, form), settlement_IDR: savings }),
      () =>
        agent
          .post(settlementPath())
          .type('form')
          .send({ ...formFields(tab2.$, form), settlement_PHP: savingsPhp }),
    ]);
    assert.deepEqual([a.status, b.status].sort(), [303, 409], 'exactly one of the two is saved');
    const won = a.status === 303 ? { IDR: savings } : { PHP: savingsPhp };
    assert.deepEqual(await h.stores.settlements.accounts(h.merchant.id), won, "the refused one did not take the other's choice away");
    assert.match(
      cheerio
        .load((a.status === 409 ? a : b).text)('.errorsummary')
        .text(),
      /Someone saved this form in another tab or session/,
    );

    // Without the version it was shown with: refused, the form shown again with what is stored.
    const shown = await page(agent, settingsPath());
    const { version: _, ...unversioned } = formFields(shown.$, form);
    const res = await agent
      .post(settlementPath())
      .type('form')
      .send({ ...unversioned, settlement_IDR: '', settlement_PHP: '' })
      .expect(409);
    assert.match(cheerio.load(res.text)('.errorsummary').text(), /arrived without the version it was shown with/);
    assert.deepEqual(await h.stores.settlements.accounts(h.merchant.id), won);
  });

  it('two tabs: the settlement form shown before another tab saved is refused (409) with what is stored now, and nothing is written', async () => {
    const savingsPhp = h.sims.xero.addAccount(h.tenantId, { code: '093', name: 'Savings PHP', type: 'BANK', currencyCode: 'PHP' }).accountId;
    const agent = await signedIn(h.app, 'a@toko.test');
    const tab1 = await page(agent, settingsPath());
    const tab2 = await page(agent, settingsPath());
    const form = 'form[action$="/settings/settlement"]';
    await agent
      .post(settlementPath())
      .type('form')
      .send({ ...formFields(tab1.$, form), settlement_IDR: savings })
      .expect(303);
    // A save of the other form on the page is not a change to this one.
    const settingsForm = 'form[action$="/settings"]';
    await agent
      .post(settingsPath())
      .type('form')
      .send({ ...formFields(tab1.$, settingsForm), overpayments: 'true' })
      .expect(303);
    // Tab 2 still shows no IDR account: saving it would silently take the one tab 1 picked away.
    const stale = await agent
      .post(settlementPath())
      .type('form')
      .send({ ...formFields(tab2.$, form), settlement_PHP: savingsPhp })
      .expect(409);
    const $ = cheerio.load(stale.text);
    assert.match($('.errorsummary').text(), /Someone saved this form in another tab or session after you opened it\. Nothing was saved/);
    assert.equal($('#f-settlement_IDR option[selected]').val(), savings, "the other tab's choice is shown");
    assert.equal($('#f-settlement_PHP option[selected]').val(), undefined, 'what is stored, not what this tab sent');
    assert.deepEqual(await h.stores.settlements.accounts(h.merchant.id), { IDR: savings }, 'not undone');
    // The form shown again carries the version now stored: the change can be made on top of the other.
    await agent
      .post(settlementPath())
      .type('form')
      .send({ ...formFields($, form), settlement_PHP: savingsPhp })
      .expect(303);
    assert.deepEqual(await h.stores.settlements.accounts(h.merchant.id), { IDR: savings, PHP: savingsPhp });
    const idStale = await agent.post(`${settlementPath()}?lang=id`).type('form').send(formFields(tab2.$, form)).expect(409);
    assert.match(cheerio.load(idStale.text)('.errorsummary').text(), /Seseorang menyimpan formulir ini di tab atau sesi lain/);
    assert.deepEqual(await h.stores.settlements.accounts(h.merchant.id), { IDR: savings, PHP: savingsPhp });
  });

  it("the dashboard shows Xendit's balance next to the clearing account's in Xero: Balanced when equal, the difference while a withdrawal waits", async () => {
    const balances = async (agent: Agent) => {
      h.clock.advance(61_000); // past the minute the dashboard keeps a merchant's balances
      const { $ } = await page(agent, '/admin');
      const row = $('#balances tr[data-currency=IDR]');
      // Intl puts a no-break space between the currency and the amount.
      const text = (cls: string) => row.find(cls).text().trim().replace(/\s/g, ' ');
      return { xendit: text('.xendit'), xero: text('.xero'), state: text('.state') };
    };
    const w = await withdrawn(100_000);
    await list();
    await h.worker.drain();
    // Xero's Bank Summary is read up to the organisation's today; the simulators date things by the real clock.
    h.clock.advance(Math.max(0, Date.now() - h.clock().getTime()) + 86_400_000);
    const agent = await signedIn(h.app, 'a@toko.test');
    const before = await balances(agent);
    assert.equal(before.state, 'Differs by IDR 100,000', JSON.stringify(before));
    const flagged = await reportPage(agent);
    assert.equal(flagged.verdict, 'flagged', 'the report does not say reconciled while Xendit and Xero hold different amounts');
    assert.match(flagged.text, /The balances today differ/);
    assert.match(flagged.idr, /Differs by IDR/);

    await pick(agent, { settlement_IDR: savings }, 303);
    await h.worker.drain();
    assert.equal((await row(w.id))?.state, 'recorded');
    const after = await balances(agent);
    assert.equal(after.state, 'Balanced');
    assert.equal(after.xendit, after.xero);

    // Paid and in Xero, not settled by Xendit yet: not in Xendit's balance, counted as on its way.
    const { x: next } = await paidThroughGateway(h);
    await h.worker.drain();
    const unsettled = await balances(agent);
    assert.equal(unsettled.state, 'Balanced', JSON.stringify(unsettled));
    assert.equal(unsettled.xendit, `${after.xendit}+ IDR 145,650 paid, not settled by Xendit yet`, '150 000 less the 4 350 fee Xendit keeps at settlement');
    await h.sims.xendit.settle(next.id);
    const settled = await balances(agent);
    assert.equal(settled.state, 'Balanced');
    assert.equal(settled.xendit, settled.xero);
    const report = await reportPage(agent);
    assert.equal(report.idr, 'Balanced', report.text);
    assert.doesNotMatch(report.text, /The balances today differ/);
    // PHP's clearing account, never used, holds nothing at either side: the report adds it up from
    // no entries. The dashboard does not read every entry on each load: it points to the report.
    assert.equal(report.verdict, 'reconciled', report.text);
    const php = (await page(agent, '/admin')).$('#balances tr[data-currency=PHP]');
    assert.equal(php.find('.xero').text().trim(), 'Xero reports balances in IDR onlyadded up in the reconciliation report');
    const left = h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR');
    assert.ok(left > 0, 'paid less fee, less the withdrawal');
    assert.equal(h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId), BigInt(left * 100), 'IDR has no minor unit: hundredths in Xero');
  });

  it('a payout from the Xendit balance the gateway does not book: not in Xero (the report unreconciled, off by its amount) until the merchant books it with its id, then matched', async () => {
    const { x } = await paidThroughGateway(h);
    await h.worker.drain();
    await h.sims.xendit.settle(x.id, { sendCallback: false });
    const payout = h.sims.xendit.test.movement(h.merchant.xenditSecretKey, { type: 'DISBURSEMENT', currency: 'IDR', amount: 20_000, cashflow: 'MONEY_OUT' });
    assert.equal(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR'), 145_650 - 20_000, 'it left the balance');
    const before = await reportAroundToday();
    const [row, ...more] = before.rows.filter((r) => r.note.includes(payout.id));
    assert.equal(more.length, 0);
    assert.deepEqual([row.status, row.xenditAmount, row.xeroPayment], ['not_in_xero', '-20000.00', null]);
    assert.match(row.note, new RegExp(`DISBURSEMENT ${payout.id} out of the Xendit balance is not in Xero`));
    assert.equal(before.reconciled, false);
    assert.equal(before.totals.IDR.difference, '-20000.00', 'Xendit holds 20 000 less than the clearing account');

    // The merchant books it by hand (a supplier paid out of the Xendit balance), naming the payout.
    await bookPayoutByHand(payout.id, { accountId: h.clearingAccountId, currency: 'IDR', amount: '20000' });
    const after = await reportAroundToday();
    const booked = after.rows.filter((r) => r.note.includes(payout.id));
    assert.deepEqual(
      booked.map((r) => [r.status, r.xenditAmount, r.xeroPayment]),
      [['matched', '-20000.00', '-20000.00']],
      'one row: the booking is not also an unexplained movement',
    );
    assert.equal(after.totals.IDR.difference, '0.00');
    assert.equal(after.totals.IDR.otherMovement, '0.00');
    assert.equal(after.reconciled, true, JSON.stringify(after.rows));
    assert.equal(h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId), BigInt((145_650 - 20_000) * 100), 'the clearing account is the balance');
  });

  it('a top-up into the Xendit balance, booked by the merchant as a bank transfer into the clearing account naming it, is matched; a transfer in that names nothing is not from Xendit', async () => {
    const { x } = await paidThroughGateway(h);
    await h.worker.drain();
    await h.sims.xendit.settle(x.id, { sendCallback: false });
    const topUp = h.sims.xendit.test.movement(h.merchant.xenditSecretKey, { type: 'TOPUP', currency: 'IDR', amount: 50_000, cashflow: 'MONEY_IN' });
    const into = (reference: string, amount: string) =>
      h.sims.xeroClient.createBankTransfer(
        h.merchant.xero,
        {
          fromAccountId: savings,
          toAccountId: h.clearingAccountId,
          amount,
          date: new Date().toISOString().slice(0, 10),
          reference,
          fromIsReconciled: false,
          toIsReconciled: true,
        },
        `in-${reference}`,
      );
    await into(`Top-up ${topUp.id}`, '50000');
    await into('Owner float', '1000');
    const r = await reportAroundToday();
    // Sorted: the rows are in date order, and the top-up is dated in the organisation's zone
    // (UTC+7), the transfers by UTC: after 17:00 UTC the top-up's day is the next one.
    assert.deepEqual(
      r.rows
        .filter((row) => row.note.includes(topUp.id) || row.note.includes('Owner float'))
        .map((row) => [row.status, row.xenditAmount, row.xeroPayment])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [
        ['matched', '50000.00', '50000.00'],
        ['not_from_xendit', null, '1000.00'],
      ],
    );
    assert.deepEqual([r.totals.IDR.difference, r.totals.IDR.otherMovement], ['0.00', '1000.00']);
    assert.equal(r.reconciled, false, 'the float is on the clearing account and not at Xendit');
  });

  it('the reconciliation report has a row per withdrawal: missing in Xero while it waits, transferred once recorded, and reconciled', async () => {
    const report = reportAroundToday;
    const w = await withdrawn(100_000);
    await list();
    await h.worker.drain();
    const waiting = await report();
    const row = (r: Awaited<ReturnType<typeof report>>) => r.rows.find((x) => x.note.includes(w.id));
    assert.deepEqual([row(waiting)?.status, row(waiting)?.xenditAmount, row(waiting)?.xeroPayment], ['missing_in_xero', '-100000.00', null]);
    assert.equal(waiting.reconciled, false);

    const agent = await signedIn(h.app, 'a@toko.test');
    await pick(agent, { settlement_IDR: savings }, 303);
    await h.worker.drain();
    const done = await report();
    assert.deepEqual([row(done)?.status, row(done)?.xenditAmount, row(done)?.xeroPayment], ['transferred', '-100000.00', '-100000.00']);
    assert.equal(done.totals.IDR.difference, '0.00');
    assert.equal(done.reconciled, true, JSON.stringify(done.rows));
  });

  it('a withdrawal made before the weeks the listing reads, sent back now, is found by its reversal and booked back once', async () => {
    const w = await transferredToSavings(100_000);
    // Weeks later: a listing of withdrawals made in the last weeks no longer returns it (the
    // simulators keep the wall clock, so its creation date is moved out of that listing here).
    const calls: { currency: string; createdAfter?: Date; reversedAfter?: Date }[] = [];
    const later = listWithdrawalsJob({
      stores: h.stores,
      xendit: {
        ...h.sims.xenditClient,
        listWithdrawals: async (key, q) => {
          calls.push(q);
          const r = await h.sims.xenditClient.listWithdrawals(key, q);
          return q.createdAfter ? { ...r, withdrawals: r.withdrawals.filter((x) => x.id !== w.id) } : r;
        },
      },
      clock: h.clock,
      logger: pino({ level: 'silent' }),
    });
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id);
    await later();
    await h.worker.drain();
    assert.equal((await row(w.id))?.state, 'reversed');
    assert.deepEqual(
      transfers().map((t) => t.reference),
      [`Xendit withdrawal ${w.id}`, `Xendit withdrawal reversed ${w.id}`],
    );
    assert.deepEqual([...new Set(calls.map((c) => c.currency))].sort(), ['IDR', 'MYR', 'PHP', 'THB', 'USD', 'VND'], 'each currency named');
    await later();
    await h.worker.drain();
    assert.equal(transfers().length, 2, 'booked back once');
  });

  it('a withdrawal the bank sends back: the next listing books one transfer back into the clearing account; the report nets it to nothing and the balances agree', async () => {
    const w = await transferredToSavings(100_000);
    const before = h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR');

    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id);
    assert.equal(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR'), before + 100_000, 'the money is back in the balance');
    await list();
    await h.worker.drain();
    const [out, back, ...more] = transfers();
    assert.equal(more.length, 0);
    assert.equal(out.reference, `Xendit withdrawal ${w.id}`);
    assert.deepEqual(
      [back.fromAccountId, back.toAccountId, back.amount, back.reference, back.fromIsReconciled, back.toIsReconciled],
      [savings, h.clearingAccountId, 10000000n, `Xendit withdrawal reversed ${w.id}`, false, true],
      'from the settlement bank (its feed carries the bounce-back) into the clearing account (no feed: reconciled)',
    );
    const r = await row(w.id);
    assert.equal(r?.state, 'reversed');
    assert.equal(r?.xeroReversalTransferId, back.bankTransferId);
    assert.equal(h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId), BigInt(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR') * 100));

    // Listed again, or its job replayed: nothing more.
    await list();
    await h.worker.drain();
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal');
    assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
    await h.worker.drain();
    assert.equal(transfers().length, 2);

    const report = await reportAroundToday();
    const line = report.rows.find((x) => x.note.includes(w.id));
    assert.deepEqual([line?.status, line?.xenditAmount, line?.xeroPayment], ['transferred', '0.00', '0.00']);
    assert.match(line?.note ?? '', /sent back by the bank .*in Xero in this range: the transfer out and the transfer back$/);
    assert.equal(report.reconciled, true, JSON.stringify(report.rows));
  });

  it('its transfer deleted by the merchant in Xero: never booked again silently; sent back, the job goes to review rather than transfer back money Xero shows never left', async () => {
    const w = await transferredToSavings(100_000);
    const [t] = transfers();
    h.sims.xero.test.deleteBankTransfer(h.tenantId, t.bankTransferId);
    await list();
    await h.worker.drain();
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal');
    assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
    await h.worker.drain();
    assert.deepEqual(
      transfers().map((x) => x.status ?? 'AUTHORISED'),
      ['DELETED'],
      'the row keeps its transfer id: no second transfer out',
    );
    assert.equal((await row(w.id))?.state, 'recorded');

    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id);
    await list();
    await h.worker.drain();
    const r = await row(w.id);
    assert.equal(r?.state, 'needs_review');
    assert.match(r?.lastError ?? '', /the bank transfer out \(\S+\) is no longer in Xero: book the money coming back by hand/);
    assert.match(
      r?.lastError ?? '',
      /unless the entry out was deleted on purpose \(then nothing comes back into the clearing account in Xero: book nothing\)$/,
    );
    assert.equal(transfers().length, 1, 'nothing transferred back');
  });

  it('a withdrawal sent back before anything went to Xero (no settlement account yet, or before the worker got to it) books nothing, now or later', async () => {
    // Five withdrawal listings (12 calls of GET /transactions each: 6 currencies, made and sent back),
    // hours apart in production, then the report's reads, all within a second of the simulator's clock.
    h.sims.xendit.limits.testPerMinute = 1000; // restored by the next harness
    const waiting = await withdrawn(40_000);
    await list();
    await h.worker.drain();
    assert.equal((await row(waiting.id))?.state, 'waiting');
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, waiting.id);
    await list();
    await h.worker.drain();
    assert.equal((await row(waiting.id))?.state, 'reversed');

    // Listed while its job is still queued, sent back before the worker runs it.
    const queued = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 30_000);
    await list();
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, queued.id);
    await list();
    // And one first seen already sent back.
    const unseen = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 20_000);
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, unseen.id);
    await list();

    const agent = await signedIn(h.app, 'a@toko.test');
    await pick(agent, { settlement_IDR: savings }, 303);
    await h.worker.drain();
    for (const w of [waiting, queued, unseen]) assert.equal((await row(w.id))?.state, 'reversed', w.id);
    assert.equal(transfers().length, 0, 'nothing left the clearing account, so nothing comes back');
    const report = await reportAroundToday();
    for (const w of [waiting, queued, unseen]) {
      const line = report.rows.find((x) => x.note.includes(w.id));
      assert.deepEqual([line?.status, line?.xenditAmount, line?.xeroPayment], ['transferred', '0.00', '0.00'], w.id);
    }
    assert.equal(report.reconciled, true, JSON.stringify(report.rows));
  });

  it('sent back after the settlement account was changed: the transfer back leaves the account the money went to, and a refused one never sends a second transfer out', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    await pick(agent, { settlement_IDR: savings }, 303);
    const w = await withdrawn(100_000);
    await list();
    await h.worker.drain();
    const other = h.sims.xero.addAccount(h.tenantId, { code: '092', name: 'Business Current Account', type: 'BANK' }).accountId;
    await pick(agent, { settlement_IDR: other }, 303);

    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id);
    h.sims.xero.faults.failNext(1, 400, { path: BANK_TRANSFERS });
    await list();
    await h.worker.drain();
    assert.equal(transfers().length, 1, 'the transfer back refused');
    assert.equal((await row(w.id))?.state, 'needs_review');

    // The operator retries it, and later the settlement account is removed altogether: still one transfer out.
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal');
    await pick(agent, {}, 303);
    assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
    await h.worker.drain();
    const [out, back, ...more] = transfers();
    assert.equal(more.length, 0, 'no second transfer out');
    assert.equal(out.toAccountId, savings);
    assert.deepEqual([back.fromAccountId, back.toAccountId], [savings, h.clearingAccountId], "back from where the money went, not from today's choice");
    assert.equal((await row(w.id))?.state, 'reversed');
  });
  describe('withdrawals of other months, lock dates and busy accounts', () => {
    const at = (day: string) => new Date(`${day}T03:00:00Z`); // 10:00 in Jakarta: the same local day
    /** The clock moved to that day; the listing run then, its jobs run (a lock refusal's retry included). */
    async function listOn(day: string, xendit: XenditGateway = h.sims.xenditClient) {
      h.clock.advance(at(day).getTime() - h.clock().getTime());
      await listWithdrawalsJob({ stores: h.stores, xendit, clock: h.clock, logger: pino({ level: 'silent' }) })();
      for (let i = 0; i < 4; i++) {
        await h.worker.drain();
        h.clock.advance(5_000);
      }
    }
    const pickSavings = () =>
      h.stores.settlements.saveAndResume(h.merchant.id, { IDR: savings }, (w) => JOB_SPECS['record-withdrawal'].dedupeKey(w), h.clock());
    /** Money in the balance to withdraw: a paid invoice, settled. */
    async function funded() {
      const { x } = await paidThroughGateway(h);
      await h.worker.drain();
      await h.sims.xendit.settle(x.id);
      await h.worker.drain();
    }
    const reportOf = async (from: string, to: string, xendit: XenditGateway = h.sims.xenditClient) =>
      reconciliationReport({ xero: h.sims.xeroClient, xendit, stores: h.stores }, (await h.stores.merchants.byId(h.merchant.id))!, { from, to });
    const lineOf = (r: Awaited<ReturnType<typeof reportOf>>, id: string) => {
      const lines = r.rows.filter((x) => x.note.includes(id));
      assert.equal(lines.length, 1, JSON.stringify(r.rows));
      return [lines[0].status, lines[0].xenditAmount, lines[0].xeroPayment];
    };
    const dated = () => transfers().map((t) => [t.reference.replace(/ txn_[\w-]+$/, ''), t.date]);

    it('sent back in a month locked before the listing saw it: the return is dated the first open day, and each month reconciles its own half', async () => {
      await pickSavings();
      await funded();
      const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { at: at('2027-01-20') });
      await listOn('2027-01-21');
      h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, at('2027-01-30'));
      h.sims.xero.test.setLockDates(h.tenantId, { period: '2027-01-31' });
      await listOn('2027-02-02');
      assert.deepEqual(dated(), [
        ['Xendit withdrawal', '2027-01-20'],
        ['Xendit withdrawal reversed', '2027-02-01'],
      ]);
      const january = await reportOf('2027-01-01', '2027-01-31');
      assert.deepEqual(lineOf(january, w.id), ['transferred', '-100000.00', '-100000.00'], 'the return counts in February');
      assert.match(january.rows.find((r) => r.note.includes(w.id))!.note, /came back on 2027-01-30; its transfer back is dated 2027-02-01 in Xero/);
      const february = await reportOf('2027-02-01', '2027-02-28');
      assert.deepEqual(lineOf(february, w.id), ['transferred', '100000.00', '100000.00']);
      assert.equal(february.totals.IDR.difference, '0.00', JSON.stringify(february.rows));
    });

    it("a withdrawal made weeks before the month it came back in, or booked in after a lock, is found by the month's report", async () => {
      await pickSavings();
      await funded();
      const back = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 40_000, { at: at('2026-12-10') });
      await listOn('2026-12-11');
      // Not listed until 1 February (the gateway was down), January locked by then: booked that day.
      const late = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 30_000, { at: at('2026-12-20') });
      h.sims.xero.test.setLockDates(h.tenantId, { period: '2027-01-31' });
      await listOn('2027-02-01');
      h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, back.id, at('2027-02-10'));
      await listOn('2027-02-11');
      assert.deepEqual(dated(), [
        ['Xendit withdrawal', '2026-12-10'],
        ['Xendit withdrawal', '2027-02-01'],
        ['Xendit withdrawal reversed', '2027-02-10'],
      ]);
      // Both were made more than the report's look-back before February.
      const february = await reportOf('2027-02-01', '2027-02-28');
      assert.deepEqual(lineOf(february, late.id), ['transferred', '-30000.00', '-30000.00']);
      assert.deepEqual(lineOf(february, back.id), ['transferred', '40000.00', '40000.00']);
      assert.equal(february.totals.IDR.difference, '0.00', JSON.stringify(february.rows));
      const december = await reportOf('2026-12-01', '2026-12-31');
      assert.deepEqual(lineOf(december, late.id), ['xendit_only', '-30000.00', null], 'left in December, counted in February');
      assert.deepEqual(lineOf(december, back.id), ['transferred', '-40000.00', '-40000.00']);
    });

    it('Xendit sends no `updated` for a reversed withdrawal: the report dates its return by the day the gateway booked it', async () => {
      const noUpdated: XenditGateway = {
        ...h.sims.xenditClient,
        listWithdrawals: async (key, q) => {
          const r = await h.sims.xenditClient.listWithdrawals(key, q);
          return { ...r, withdrawals: r.withdrawals.map(({ updated: _, ...w }) => w) };
        },
      };
      await pickSavings();
      await funded();
      const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { at: at('2027-01-05') });
      await listOn('2027-01-06', noUpdated);
      h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, at('2027-01-10'));
      await listOn('2027-01-15', noUpdated);
      assert.deepEqual(dated(), [
        ['Xendit withdrawal', '2027-01-05'],
        ['Xendit withdrawal reversed', '2027-01-15'],
      ]);
      const r = await reportOf('2027-01-11', '2027-01-20', noUpdated);
      assert.deepEqual(lineOf(r, w.id), ['transferred', '100000.00', '100000.00']);
    });

    it('more withdrawals in the weeks read than one run reads: each run continues where the last stopped, every one is found once, and a listing behind for a day raises an alert', async () => {
      await funded();
      // Runs a day apart on the test's clock, within a second of the simulator's: past Xendit's 60 calls a minute.
      h.sims.xendit.limits.testPerMinute = 1000; // restored by the next harness
      const made = Array.from({ length: 210 }, () => h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100).id);
      // Two pages (100) a run: the listing's end is three runs away.
      const run = () =>
        listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }), pageBudget: 2 })();
      const queued = async () =>
        new Set((await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal').map((j) => String(j.payload.xenditTransactionId)));
      await run();
      assert.equal((await queued()).size, 100);
      h.clock.advance(86_400_000);
      await run();
      assert.equal((await queued()).size, 200);
      await run();
      const all = await queued();
      assert.equal(all.size, 210);
      for (const id of made) assert.ok(all.has(id) && (await row(id)), id);
      await run();
      await run();
      assert.equal((await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal').length, 210, 'one job each');
      const alerts = await h.stores.alerts.recent('withdrawalsBehind', [h.merchant.id], new Date(0), 10);
      assert.equal(alerts.length, 1, 'a listing begun a day ago and still not at its end');
      assert.match(String(alerts[0].message), /"mode":"test"/, "says which key's account is behind");
    });

    it('a withdrawal PENDING at Xendit: the balances are shown balanced with it as money in transit, and plainly once it is sent and booked', async () => {
      const balances = async (agent: Agent) => {
        h.clock.advance(61_000); // past the minute the dashboard keeps a merchant's balances
        const { $ } = await page(agent, '/admin');
        const line = $('#balances tr[data-currency=IDR]');
        const text = (cls: string) => line.find(cls).text().trim().replace(/\s/g, ' ');
        return { xendit: text('.xendit'), state: text('.state') };
      };
      await pickSavings();
      await funded();
      const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { pending: true });
      await list();
      await h.worker.drain();
      assert.equal(transfers().length, 0, 'only a sent withdrawal is booked');
      h.clock.advance(Math.max(0, Date.now() - h.clock().getTime()) + 86_400_000);
      const agent = await signedIn(h.app, 'a@toko.test');
      const pending = await balances(agent);
      assert.equal(pending.state, 'Balanced, counting the pending withdrawals as money in transit', JSON.stringify(pending));
      assert.match(pending.xendit, /IDR 100,000 withdrawn, pending at Xendit/);
      h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
      await list();
      await h.worker.drain();
      assert.equal(transfers().length, 1);
      const sent = await balances(agent);
      assert.equal(sent.state, 'Balanced', JSON.stringify(sent));
      assert.doesNotMatch(sent.xendit, /pending at Xendit/);
    });
  });

  describe('a clearing account that is not a bank account (fees as manual journals)', () => {
    let clearing: string;
    beforeEach(async () => {
      // A current asset with payments enabled: Xero takes payments and journals on it, but no bank transfer.
      clearing = h.sims.xero.addAccount(h.tenantId, { code: '095', name: 'Xendit clearing', type: 'CURRENT', enablePaymentsToAccount: true }).accountId;
      await h.stores.merchants.setAccounts(
        h.merchant.id,
        { clearingAccountId: clearing, clearingAccounts: {}, feeAccountCode: '404', salesAccountCode: null },
        h.clock(),
      );
      await h.stores.merchants.setAccountingOptions(h.merchant.id, { feePosting: 'manual_journal' }, h.clock());
      h.merchant = (await h.stores.merchants.byId(h.merchant.id))!;
      await pick(await signedIn(h.app, 'a@toko.test'), { settlement_IDR: savings }, 303);
    });
    const withdrawalTxns = (id: string) => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference.endsWith(` ${id}`));
    const xenditBalance = () => h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR');

    it('a withdrawal is one Receive Money into the settlement bank account coded to the clearing account; the report shows it transferred; listing again adds nothing', async () => {
      const w = await withdrawn(100_000);
      const before = h.sims.xero.balanceOf(h.tenantId, clearing);
      await list();
      await h.worker.drain();

      assert.equal(transfers().length, 0, 'Xero transfers between bank accounts only');
      const [t, ...more] = withdrawalTxns(w.id);
      assert.equal(more.length, 0);
      assert.deepEqual(
        [t.type, t.accountId, t.reference, t.total, t.reconciled],
        ['RECEIVE', savings, `Xendit withdrawal ${w.id}`, 10000000n, false],
        "into the settlement bank, not reconciled: the bank's feed line of the deposit matches it",
      );
      assert.deepEqual(
        t.lineItems.map((l) => [l.accountCode, l.lineAmount]),
        [['095', 10000000n]],
      );
      const r = await row(w.id);
      assert.deepEqual([r?.state, r?.xeroBankTransferId, r?.entryKind], ['recorded', t.bankTransactionId, 'receive']);
      assert.equal(h.sims.xero.balanceOf(h.tenantId, clearing), before - 10000000n, 'the clearing account down by the withdrawal');
      assert.equal(h.sims.xero.balanceOf(h.tenantId, clearing), BigInt(xenditBalance() * 100), "at Xendit's balance");
      assert.equal(h.sims.xero.balanceOf(h.tenantId, savings), 10000000n);

      const report = await reportAroundToday();
      const line = report.rows.filter((x) => x.note.includes(w.id));
      assert.deepEqual(
        line.map((x) => [x.status, x.xenditAmount, x.xeroPayment]),
        [['transferred', '-100000.00', '-100000.00']],
      );
      assert.equal(report.totals.IDR.difference, '0.00');
      assert.equal(report.reconciled, true, JSON.stringify(report.rows));

      await list();
      await h.worker.drain();
      const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal');
      assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
      await h.worker.drain();
      assert.equal(withdrawalTxns(w.id).length, 1);
    });

    it("the dashboard says Xero's Bank Summary has no figure for a non-bank clearing account, never 'not available' nor a difference", async () => {
      const w = await withdrawn(100_000);
      await list();
      await h.worker.drain();
      assert.equal((await row(w.id))?.state, 'recorded');
      const { $ } = await page(await signedIn(h.app, 'a@toko.test'), '/admin');
      const idr = $('#balances tr[data-currency=IDR]');
      assert.equal(idr.find('.xero').text().trim(), "Xero's Bank Summary lists bank accounts only: see this account in Xero's Balance Sheet");
      assert.equal(idr.find('.state').text().trim(), '–');
    });

    it('a lost answer from Xero: the retry finds the Receive Money by Reference and creates no second one', async () => {
      const w = await withdrawn();
      h.sims.xero.faults.dropResponseAfterSave(1, { path: BANK_TRANSACTIONS });
      await list();
      await h.worker.drain();
      assert.equal(withdrawalTxns(w.id).length, 1, 'Xero saved it');
      assert.ok((await row(w.id))?.transferAttemptAt, 'outcome unknown');

      h.clock.advance(60_000);
      h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
      h.sims.xero.test.clearRequests();
      await h.worker.drain();
      assert.equal(withdrawalTxns(w.id).length, 1, 'found, not created again');
      assert.equal(h.sims.xero.test.countRequests({ method: 'GET', pathPrefix: BANK_TRANSACTIONS }), 1, 'looked up by Reference');
      assert.equal((await row(w.id))?.state, 'recorded');
    });

    it('sent back by the bank: one Spend Money out of the settlement bank coded to the clearing account; the report nets it to nothing', async () => {
      const w = await withdrawn(100_000);
      await list();
      await h.worker.drain();
      h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id);
      await list();
      await h.worker.drain();

      const [out, back, ...more] = withdrawalTxns(w.id);
      assert.equal(more.length, 0);
      assert.equal(out.type, 'RECEIVE');
      assert.deepEqual(
        [back.type, back.accountId, back.reference, back.total, back.reconciled, back.lineItems.map((l) => l.accountCode)],
        ['SPEND', savings, `Xendit withdrawal reversed ${w.id}`, 10000000n, false, ['095']],
      );
      const r = await row(w.id);
      assert.deepEqual([r?.state, r?.xeroReversalTransferId], ['reversed', back.bankTransactionId]);
      assert.equal(h.sims.xero.balanceOf(h.tenantId, clearing), BigInt(xenditBalance() * 100), 'the money is back in both');
      assert.equal(h.sims.xero.balanceOf(h.tenantId, savings), 0n);
      assert.equal(transfers().length, 0);

      await list();
      await h.worker.drain();
      const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal');
      assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
      await h.worker.drain();
      assert.equal(withdrawalTxns(w.id).length, 2, 'booked back once');

      const report = await reportAroundToday();
      const line = report.rows.find((x) => x.note.includes(w.id));
      assert.deepEqual([line?.status, line?.xenditAmount, line?.xeroPayment], ['transferred', '0.00', '0.00']);
      assert.equal(report.reconciled, true, JSON.stringify(report.rows));
    });
  });
});
