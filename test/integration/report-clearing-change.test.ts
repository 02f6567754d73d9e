import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { reportAroundToday, simDay } from '../helpers/report.js';
import { createHarness, REFUNDABLE, paidThroughGateway, refundWebhook, type Harness } from '../helpers/harness.js';
import { seedAdminCast, page, signedIn, versionOf } from '../helpers/admin.js';
import { adminMerchantPath } from '../../app/paths.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import { recordPaymentJob } from '../../app/jobs/sync/record-payment.js';

/**
 * The merchant changed the clearing account within the report's range: what the gateway posted to
 * the old one (payments, fees, a fee given back, withdrawals) is read there, not reported missing.
 */
describeEachDatabase('the report after a change of clearing account', ({ db }) => {
  let h: Harness;
  let old: string;
  let next: string;
  beforeEach(async () => {
    h = await createHarness(db());
    await seedAdminCast(h, db());
    old = h.clearingAccountId;
    next = h.sims.xero.addAccount(h.tenantId, { code: '093', name: 'Xendit 2', type: 'BANK', currencyCode: 'IDR' }).accountId;
  });
  afterEach(() => h.close());

  const day = simDay;
  const report = () => reportAroundToday(h);
  const rowsOf = (r: Awaited<ReturnType<typeof report>>, id: string) => r.rows.filter((x) => x.xenditInvoiceId === id).map((x) => x.status);

  async function paid(paidBy?: typeof REFUNDABLE) {
    const { x } = await paidThroughGateway(h, { ...(paidBy ? { paidBy } : {}), beforeCallback: (x) => void (h.sims.xendit.getInvoice(x.id)!.feeTax = 479) });
    await h.sims.xendit.settle(x.id);
    await h.worker.drain();
    return x;
  }

  async function moveClearingTo(accountId: string) {
    const m = (await h.stores.merchants.byId(h.merchant.id))!;
    await h.stores.merchants.setAccounts(
      h.merchant.id,
      { clearingAccountId: accountId, clearingAccounts: m.clearingAccounts, feeAccountCode: '404', salesAccountCode: m.salesAccountCode },
      h.clock(),
    );
  }

  it('payments and fees posted to the old clearing account are matched there, those after the change on the new one; the accounts are kept on the rows', async () => {
    const before = await paid();
    await moveClearingTo(next);
    const after = await paid();
    const kept = await h.stores.db.selectFrom('payments').select(['xendit_invoice_id', 'clearing_account', 'fee_entry_account']).execute();
    assert.deepEqual(Object.fromEntries(kept.map((p) => [p.xendit_invoice_id, [p.clearing_account, p.fee_entry_account]])), {
      [before.id]: [old, old],
      [after.id]: [next, next],
    });
    const r = await report();
    assert.deepEqual(rowsOf(r, before.id), ['matched'], JSON.stringify(r.rows));
    assert.deepEqual(rowsOf(r, after.id), ['matched']);
    assert.equal(r.totals.IDR.difference, '0.00');
    assert.equal(r.reconciled, true, JSON.stringify(r.rows));
  });

  describe("a fee still waiting when the clearing account changes leaves the payment's account, not today's", () => {
    /** Paid now, recorded into today's clearing account; its fee waits for Xendit to list the transaction (ledger lag). */
    async function recordedFeeWaiting() {
      // The report reads the simulators' days (the wall clock): the harness's clock is brought to it.
      h.clock.advance(Date.now() - h.clock().getTime());
      const { x } = await paidThroughGateway(h, {
        paidBy: REFUNDABLE,
        beforeCallback: (x) => {
          const atXendit = h.sims.xendit.getInvoice(x.id)!;
          atXendit.paidAt = h.clock();
          atXendit.feeTax = 479;
          atXendit.transactionUnlisted = true;
        },
      });
      await h.sims.xendit.settle(x.id);
      await h.worker.drain();
      const p = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
      assert.deepEqual([p.syncState, p.feeState], ['recorded', 'pending']);
      return x;
    }
    /** Xendit lists the transaction at last: the fee's retry runs. */
    async function feeListed(x: { id: string }) {
      h.sims.xendit.getInvoice(x.id)!.transactionUnlisted = false;
      h.clock.advance(30 * 60_000);
      await h.worker.drain();
      const p = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
      assert.equal(p.feeState, 'posted', p.feeError ?? '');
      return p;
    }

    it('Spend Money out of the account the payment went into; the report and both balances agree', async () => {
      const x = await recordedFeeWaiting();
      await moveClearingTo(next);
      const p = await feeListed(x);
      const fee = h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === `Xendit fee ${x.id}`);
      assert.deepEqual(
        fee.map((t) => t.accountId),
        [old],
        'out of the old account, where the payment is',
      );
      assert.deepEqual([p.clearingAccount, p.feeEntry?.accountId], [old, old], 'kept for the report');
      assert.equal(h.sims.xero.balanceOf(h.tenantId, next), 0n, 'nothing taken from an account the payment never reached');
      assert.equal(h.sims.xero.balanceOf(h.tenantId, old), 15000000n - 435000n - 47900n, 'the old account at what Xendit settles');
      // Refunded with its fee given back: the fee comes back where it went.
      const { id } = await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
      await refundWebhook(h, id).expect(200);
      await h.worker.drain();
      const back = h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === `Xendit fee returned ${x.id}`);
      assert.deepEqual(
        back.map((t) => t.accountId),
        [old],
      );
      const r = await report();
      assert.deepEqual(rowsOf(r, x.id).sort(), ['fee_returned', 'matched', 'refunded'], JSON.stringify(r.rows));
      assert.equal(r.reconciled, true, JSON.stringify(r.rows));
    });

    it('a manual journal crediting the account the payment went into', async () => {
      const journalAccount = (code: string) =>
        h.sims.xero.addAccount(h.tenantId, { code, name: `Xendit clearing ${code}`, type: 'CURRENT', enablePaymentsToAccount: true });
      await moveClearingTo(journalAccount('095').accountId);
      await h.stores.merchants.setAccountingOptions(h.merchant.id, { feePosting: 'manual_journal' }, h.clock());
      const x = await recordedFeeWaiting();
      await moveClearingTo(journalAccount('096').accountId);
      await feeListed(x);
      const [journal, ...others] = h.sims.xero.manualJournalsOf(h.tenantId).filter((j) => j.narration === `Xendit fee ${x.id}`);
      assert.equal(others.length, 0);
      assert.deepEqual(
        journal.lines.filter((l) => l.lineAmount < 0n).map((l) => l.accountCode),
        ['095'],
        'the credit on the old account',
      );
    });
  });

  describe('an overpayment made after the clearing account changes goes where its payment went, once', () => {
    const LEASE_MS = 5 * 60_000; // the harness worker's lease (JOB_LEASE_SECONDS default)
    const overpayments = (id: string) =>
      h.sims.xero
        .bankTransactionsOf(h.tenantId)
        .filter(
          (t) => t.status === 'AUTHORISED' && t.type === 'RECEIVE-OVERPAYMENT' && t.lineItems.some((li) => li.description.endsWith(`(Xendit invoice ${id})`)),
        );
    /** Paid 150 000 at Xendit, `paidInXero` of the invoice meanwhile paid in cash into another account. */
    async function overpaid(paidInXero: string) {
      const savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
      const { inv, x } = await paidThroughGateway(h, {
        afterCheckout: (inv) => void h.sims.xero.recordPayment(h.tenantId, inv.invoiceId, paidInXero, savings, 'Cash'),
      });
      return { inv, x };
    }
    /** The first run dies (an in-process stand-in for SIGKILL) once Xero took the payment and its overpayment; the lease lapses. */
    async function diesAfterXeroAccepted() {
      const job = await h.stores.jobs.claim(h.clock(), LEASE_MS);
      assert.equal(job?.kind, 'record-payment');
      const died = new Error('killed');
      const run = recordPaymentJob({
        stores: h.stores,
        xero: h.deps.xero.forPurpose('payment-write'),
        xendit: h.sims.xenditClient,
        clock: h.clock,
        logger: pino({ level: 'silent' }),
        crash: (point) => {
          if (point === 'after-xero-accepted') throw died;
        },
      });
      await assert.rejects(run(job!), (err) => err === died);
    }
    /** The overpayment's create is saved by Xero, its answer lost; the job waits for its retry. */
    async function answerLost() {
      h.sims.xero.faults.dropResponseAfterSave(1, { path: '/api.xro/2.0/BankTransactions', method: 'PUT' });
      await h.worker.drain();
    }

    for (const [how, firstRun] of [
      ['its answer lost', answerLost],
      ['a crash after Xero took it', diesAfterXeroAccepted],
    ] as const) {
      it(`100 000 due, 150 000 paid; the overpayment made in the old account, ${how}; the account changed; the re-run finds it there and makes none in the new one`, async () => {
        await h.stores.merchants.setAccountingOptions(h.merchant.id, { overpayments: true }, h.clock());
        const { inv, x } = await overpaid('50000');
        await firstRun();
        const [made, ...more] = overpayments(x.id);
        assert.deepEqual([made?.accountId, more.length], [old, 0], 'Xero made it in the old account');
        assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))?.syncState, 'pending', 'its outcome unknown here');

        await moveClearingTo(next);
        h.clock.advance(LEASE_MS + 60_000);
        await h.worker.drain();
        assert.deepEqual(
          overpayments(x.id).map((t) => [t.accountId, t.total]),
          [[old, 5000000n]],
          'one overpayment, in the account the payment went into',
        );
        const p = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
        assert.deepEqual(
          [p.syncState, p.xeroOverpaymentId, p.xeroOverpaymentTxnId, p.clearingAccount],
          ['recorded', made.overpaymentId, made.bankTransactionId, old],
        );
        assert.deepEqual(
          h.sims.xero
            .paymentsOf(inv.invoiceId)
            .filter((q) => q.reference === `Xendit ${x.id}`)
            .map((q) => [q.accountId, q.amount]),
          [[old, 10000000n]],
        );
        assert.equal(h.sims.xero.balanceOf(h.tenantId, next), 0n, 'nothing in an account the payment never reached');
        assert.equal(h.sims.xero.balanceOf(h.tenantId, old), 15000000n - 435000n, 'the old account at what Xendit settles');
      });
    }

    it('the overpayment not yet attempted when the account changed (turned on, then Retry): into the account the payment went into', async () => {
      const { x } = await overpaid('50000');
      await h.sims.xendit.settle(x.id);
      await h.worker.drain();
      const first = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
      assert.deepEqual([first.syncState, first.amountRecorded, first.clearingAccount], ['needs_review', 100000, old]);
      assert.equal(overpayments(x.id).length, 0);

      await moveClearingTo(next);
      await h.stores.merchants.setAccountingOptions(h.merchant.id, { overpayments: true }, h.clock());
      assert.equal(await h.stores.dashboard.requeueRecordPayment(first.id, [`record-payment:${h.merchant.id}:${x.id}`], h.clock()), true);
      await h.worker.drain();
      assert.deepEqual(
        overpayments(x.id).map((t) => [t.accountId, t.total]),
        [[old, 5000000n]],
      );
      assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))?.syncState, 'recorded');
      assert.equal(h.sims.xero.balanceOf(h.tenantId, next), 0n);
      assert.equal(h.sims.xero.balanceOf(h.tenantId, old), 15000000n - 435000n);
      const r = await report();
      assert.deepEqual(rowsOf(r, x.id), ['matched'], JSON.stringify(r.rows));
      assert.equal(r.reconciled, true, JSON.stringify(r.rows));
    });

    it('nothing of the payment made before the account changed (its whole amount refused, the invoice unreadable): the payment and its overpayment both into the new one', async () => {
      await h.stores.merchants.setAccountingOptions(h.merchant.id, { overpayments: true }, h.clock());
      const { inv, x } = await overpaid('50000');
      h.sims.xero.faults.failNext(1, 503, { path: `/api.xro/2.0/Invoices/${inv.invoiceId}`, method: 'GET' });
      await h.worker.drain();
      const first = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
      assert.deepEqual([first.syncState, first.xeroPaymentId, first.clearingAccount], ['pending', null, old], 'the refused attempt kept the old account');

      await moveClearingTo(next);
      h.clock.advance(60_000);
      await h.worker.drain();
      assert.deepEqual(
        h.sims.xero
          .paymentsOf(inv.invoiceId)
          .filter((q) => q.reference === `Xendit ${x.id}`)
          .map((q) => [q.accountId, q.amount]),
        [[next, 10000000n]],
      );
      assert.deepEqual(
        overpayments(x.id).map((t) => [t.accountId, t.total]),
        [[next, 5000000n]],
        'with its payment, not in the account the refused attempt named',
      );
      assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))?.clearingAccount, next);
      assert.equal(h.sims.xero.balanceOf(h.tenantId, old), 0n);
    });

    it("nothing due, the whole amount an overpayment made in the old account with its answer lost; the account changed: found there, kept as the payment's account, the fee out of it", async () => {
      await h.stores.merchants.setAccountingOptions(h.merchant.id, { overpayments: true }, h.clock());
      const { x } = await overpaid('150000');
      await answerLost();
      assert.deepEqual(
        overpayments(x.id).map((t) => t.accountId),
        [old],
      );

      await moveClearingTo(next);
      h.clock.advance(60_000);
      await h.worker.drain();
      assert.deepEqual(
        overpayments(x.id).map((t) => [t.accountId, t.total]),
        [[old, 15000000n]],
      );
      const p = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
      assert.deepEqual([p.syncState, p.xeroPaymentId, p.clearingAccount, p.feeEntry?.accountId], ['recorded', null, old, old]);
      assert.equal(h.sims.xero.balanceOf(h.tenantId, next), 0n);
      assert.equal(h.sims.xero.balanceOf(h.tenantId, old), 15000000n - 435000n);
    });
  });

  it('a fee given back into the old clearing account, where it was posted, with the refund out of the new one: fee_returned, reconciled', async () => {
    const x = await paid(REFUNDABLE);
    await moveClearingTo(next);
    const { id } = await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
    await refundWebhook(h, id).expect(200);
    await h.worker.drain();
    const back = h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === `Xendit fee returned ${x.id}`);
    assert.deepEqual(
      back.map((t) => t.accountId),
      [old],
    );
    const [refund] = await h.stores.db.selectFrom('refunds').select('clearing_account').execute();
    assert.equal(refund.clearing_account, next);
    const r = await report();
    assert.deepEqual(rowsOf(r, x.id).sort(), ['fee_returned', 'matched', 'refunded'], JSON.stringify(r.rows));
    assert.equal(r.reconciled, true, JSON.stringify(r.rows));
  });

  it('the old account emptied into the new one by a bank transfer: no movement on either side', async () => {
    await paid();
    await moveClearingTo(next);
    const left = h.sims.xero.balanceOf(h.tenantId, old);
    await h.sims.xeroClient.createBankTransfer(
      h.merchant.xero,
      {
        fromAccountId: old,
        toAccountId: next,
        amount: (Number(left) / 100).toFixed(2),
        date: day(0),
        reference: 'Moved to the new clearing account',
        fromIsReconciled: true,
        toIsReconciled: true,
      },
      'moved-clearing',
    );
    const r = await report();
    assert.deepEqual(
      r.rows.filter((x) => x.status === 'not_from_xendit'),
      [],
    );
    assert.equal(r.totals.IDR.otherMovement, '0.00');
    assert.equal(r.reconciled, true, JSON.stringify(r.rows));
  });

  it("the dashboard's balances add the old clearing account up with today's, as the report page's do: balanced", async () => {
    await paid();
    await moveClearingTo(next);
    await paid();
    // The balances are as of the clock's today; the simulators dated the entries by the wall clock.
    h.clock.advance(Date.now() - h.clock().getTime());
    const { $ } = await page(await signedIn(h.app, 'a@toko.test'), '/admin');
    const idr = $('#balances-table tr[data-currency=IDR]');
    assert.equal(idr.find('.state').text().trim(), 'Balanced', idr.text());
    assert.match(idr.find('.xero .accounts').text(), /2 clearing accounts added up: today's and each other one the gateway posted to in the last 30 days/);
  });

  it('a withdrawal out of the old clearing account is transferred, and the balances add both accounts up', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
    const form = await page(agent, adminMerchantPath(h.merchant.id, 'adminMerchantSettings'));
    await agent
      .post(adminMerchantPath(h.merchant.id, 'adminMerchantSettlement'))
      .type('form')
      .send({ _csrf: form.csrf(), version: versionOf(form.$, 'form[action$="/settings/settlement"]'), settlement_IDR: savings })
      .expect(303);
    await paid();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000);
    await listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
    await h.worker.drain();
    await moveClearingTo(next);
    await paid();
    const [kept] = await h.stores.db.selectFrom('withdrawals').select('clearing_account').execute();
    assert.equal(kept.clearing_account, old);

    const r = await report();
    const line = r.rows.find((x) => x.note.includes(w.id));
    assert.deepEqual([line?.status, line?.xenditAmount, line?.xeroPayment], ['transferred', '-100000.00', '-100000.00'], JSON.stringify(r.rows));
    assert.equal(r.reconciled, true, JSON.stringify(r.rows));

    const xendit = BigInt(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR') * 100);
    assert.equal(h.sims.xero.balanceOf(h.tenantId, old) + h.sims.xero.balanceOf(h.tenantId, next), xendit, 'the two accounts hold what Xendit holds');
    // The balances are as of the clock's today; the simulators dated the entries by the wall clock.
    h.clock.advance(Date.now() - h.clock().getTime());
    const { $ } = await page(
      await signedIn(h.app, 'a@toko.test'),
      `/admin/report?${new URLSearchParams({ merchant: h.merchant.id, from: day(-1), to: day(1) })}`,
    );
    const idr = $('#report-balances tr[data-currency=IDR]');
    assert.equal(idr.find('.state').text().trim(), 'Balanced', idr.text());
    assert.match(idr.find('.xero .accounts').text(), /2 clearing accounts added up/);
    assert.equal($('#verdict').attr('data-verdict'), 'reconciled', $('#verdict').text());
  });
});
