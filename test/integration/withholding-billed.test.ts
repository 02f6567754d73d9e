/**
 * Tax Xendit withholds from what it remits (fee.xendit_withholding_tax,
 * fee.third_party_withholding_tax) when there is no fee to keep beside it: fees billed monthly
 * (docs.xendit.co "Withholding Tax on Gross Remittances (PH)": withheld by whoever remits, whatever
 * the fee billing), or a payment Xendit charged no fee for. The balances, the report and the books
 * must agree on it.
 */
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { reportAroundToday } from '../helpers/report.js';
import { withholdingCatchUp } from '../../app/jobs/sync/withholding-catch-up.js';
import { createHarness, paidThroughGateway, REFUNDABLE, refundWebhook, type Harness } from '../helpers/harness.js';
import { balances } from '../../app/admin/payments/balances.js';
import { formFields, page, seedAdminCast, signedIn } from '../helpers/admin.js';
import { adminMerchantPath } from '../../app/paths.js';
import { jobRow } from '../../app/jobs/enqueue.js';
import { sql } from 'kysely';

describeEachDatabase('tax Xendit withholds with no fee kept beside it', ({ db }) => {
  let h: Harness;
  let cwt: string;
  beforeEach(async () => {
    h = await createHarness(db());
    cwt = h.sims.xero.addAccount(h.tenantId, { code: '620', name: 'Creditable Withholding Tax', type: 'CURRENT' }).code;
  });
  afterEach(() => h.close());

  const report = () => reportAroundToday(h);
  const payment = (xenditId: string) => h.stores.payments.byXenditInvoice(h.merchant.id, xenditId);
  const txns = () => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.status === 'AUTHORISED');
  const setWithholding = async (code: string | null) => {
    const m = (await h.stores.merchants.byId(h.merchant.id))!;
    const accounts = {
      clearingAccountId: m.clearingAccountId,
      clearingAccounts: m.clearingAccounts,
      feeAccountCode: m.feeAccountCode!,
      salesAccountCode: m.salesAccountCode,
    };
    await h.stores.merchants.setAccounts(m.id, { ...accounts, withholdingAccountCode: code }, h.clock());
  };
  const billMonthly = async () => {
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { xenditFeeBilling: 'invoiced' }, new Date('2026-01-01T00:00:00Z'));
    h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { feeBilling: 'invoiced' });
  };
  /** 150 000 IDR paid, 3 000 IDR of it withheld; `noFee`: Xendit charged no fee on it. */
  const withheldPayment = (noFee = false) =>
    paidThroughGateway(h, {
      beforeCallback: (x) => {
        const inv = h.sims.xendit.getInvoice(x.id)!;
        if (noFee) [inv.feesPaidAmount, inv.feeTax] = [0, 0];
        h.sims.xendit.test.transactionFee(x.id, { xenditWithholding: 2000, thirdPartyWithholding: 1000 });
      },
    });
  const idrBalance = async () => {
    // Xero's Bank Summary is read up to the organisation's today; the simulators date things by the real clock.
    h.clock.advance(Math.max(0, Date.now() - h.clock().getTime()) + 86_400_000);
    const deps = { xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores, clock: h.clock, logger: pino({ level: 'silent' }) };
    return (await balances(deps, (await h.stores.merchants.byId(h.merchant.id))!)).find((b) => b.currency === 'IDR')!;
  };

  describe('fees billed monthly', () => {
    beforeEach(billMonthly);

    it('with the withholding tax account: the tax withheld alone is booked; balances, report and clearing account agree', async () => {
      await setWithholding(cwt);
      const { x } = await withheldPayment();
      await h.worker.drain();
      const p = await payment(x.id);
      assert.equal(p?.feeState, 'posted', p?.feeError ?? '');
      const [t, ...more] = txns();
      assert.equal(more.length, 0);
      assert.equal(t.reference, `Xendit fee ${x.id}`);
      assert.deepEqual(
        t.lineItems.map((li) => [li.accountCode, li.lineAmount]),
        [['620', 300000n]],
        'no fee line: the fee is on the monthly bill',
      );

      const before = await idrBalance();
      assert.deepEqual([before.unsettled, before.xero, before.balanced], [147_000, 147_000, true], JSON.stringify(before));
      const r = await report();
      const row = r.rows.find((row) => row.xenditInvoiceId === x.id)!;
      assert.deepEqual([row.xenditFee, row.xeroFee, row.status], ['3000.00', '3000.00', 'matched'], row.note);
      assert.match(row.note, /billed monthly .*compared gross less the tax withheld/);
      assert.match(row.note, /Xendit withheld tax of 3000\.00/);
      assert.equal(r.totals.IDR.xenditNet, '147000.00');
      assert.equal(r.reconciled, true, JSON.stringify(r.rows));

      await h.sims.xendit.settle(x.id);
      assert.equal(h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId), BigInt(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR') * 100));
      const after = await idrBalance();
      assert.deepEqual([after.cash, after.unsettled, after.balanced], [147_000, 0, true]);
    });

    it('the account set after the payments were recorded (Accounts form): the tax withheld of those of the last 31 days is booked, once', async () => {
      await seedAdminCast(h, db());
      const { x } = await withheldPayment();
      // Paid before what the setting looks back at: left to the report's fee_missing, as before.
      const { x: old } = await paidThroughGateway(h, {
        beforeCallback: (x) => {
          const inv = h.sims.xendit.getInvoice(x.id)!;
          inv.paidAt = new Date(h.clock().getTime() - 40 * 86_400_000);
          h.sims.xendit.test.transactionFee(x.id, { xenditWithholding: 1000 });
        },
      });
      await h.worker.drain();
      assert.deepEqual([(await payment(x.id))?.feeState, (await payment(old.id))?.feeState, txns().length], ['not_needed', 'not_needed', 0]);

      const agent = await signedIn(h.app, 'a@toko.test');
      const accountsPath = adminMerchantPath(h.merchant.id, 'adminMerchantAccounts');
      const saveWithholding = async (code: string) => {
        const { $ } = await page(agent, accountsPath);
        await agent
          .post(accountsPath)
          .type('form')
          .send({ ...formFields($, 'form[action$="/accounts"]'), withholdingAccountCode: code })
          .expect(303);
      };
      await saveWithholding(cwt);
      await h.worker.drain();
      const p = await payment(x.id);
      assert.equal(p?.feeState, 'posted', p?.feeError ?? '');
      assert.deepEqual(
        txns().map((t) => [t.reference, t.lineItems.map((li) => [li.accountCode, li.lineAmount])]),
        [[`Xendit fee ${x.id}`, [['620', 300000n]]]],
        'the tax withheld alone: the fee is on the monthly bill',
      );
      assert.equal((await payment(old.id))?.feeState, 'not_needed');
      const row = (await report()).rows.find((row) => row.xenditInvoiceId === x.id)!;
      assert.deepEqual([row.xenditFee, row.xeroFee, row.status], ['3000.00', '3000.00', 'matched'], row.note);

      // Cleared and set again, the job run again: nothing more is booked.
      await saveWithholding('');
      await saveWithholding(cwt);
      await h.stores.jobs.replayKey(`post-fee:${p!.id}`, ['done'], h.clock());
      await h.worker.drain();
      assert.equal(txns().length, 1);
      assert.equal((await payment(x.id))?.feeState, 'posted');
    });

    it('the account set while the payment is being recorded (after its job loaded the merchant, before it marked the payment): the tax withheld is booked, once', async () => {
      // The job loads the merchant with no account; the save's catch-up then finds the payment not
      // yet marked; the save commits; only then does the job mark the payment recorded.
      await seedAdminCast(h, db());
      const agent = await signedIn(h.app, 'a@toko.test');
      const accountsPath = adminMerchantPath(h.merchant.id, 'adminMerchantAccounts');
      const { $ } = await page(agent, accountsPath);
      const payments = h.stores.payments;
      const [markOne, markAll] = [payments.markInXero, payments.markAllInXero];
      let saves = 0;
      const saveFirst = async () => {
        if (saves++) return;
        assert.equal((await h.stores.merchants.byId(h.merchant.id))?.withholdingAccountCode, null);
        await agent
          .post(accountsPath)
          .type('form')
          .send({ ...formFields($, 'form[action$="/accounts"]'), withholdingAccountCode: cwt })
          .expect(303);
      };
      payments.markInXero = async (...args) => (await saveFirst(), markOne(...args));
      payments.markAllInXero = async (...args) => (await saveFirst(), markAll(...args));
      try {
        const { x } = await withheldPayment();
        await h.worker.drain();
        assert.equal(saves, 1, 'the payment was marked recorded once, after the save');
        const p = await payment(x.id);
        assert.equal(p?.feeState, 'posted', `fee ${p?.feeState}: the tax withheld was never booked (${p?.feeError ?? ''})`);
        assert.deepEqual(
          txns().map((t) => [t.reference, t.lineItems.map((li) => [li.accountCode, li.lineAmount])]),
          [[`Xendit fee ${x.id}`, [['620', 300000n]]]],
        );
        const row = (await report()).rows.find((row) => row.xenditInvoiceId === x.id)!;
        assert.equal(row.status, 'matched', row.note);
      } finally {
        Object.assign(payments, { markInXero: markOne, markAllInXero: markAll });
      }
    });

    it('a payment marked recorded while the save holds the merchant (after its catch-up read the payments): it waits, and reads the account', async () => {
      const { x } = await withheldPayment();
      await h.worker.drain();
      // Back to recorded in Xero but not yet marked: as a job between its Xero call and its mark.
      const p = (await payment(x.id))!;
      await h.stores.db.updateTable('payments').set({ sync_state: 'pending', fee_state: null }).where('id', '=', p.id).execute();
      await h.stores.db.deleteFrom('jobs').where('dedupe_key', '=', `post-fee:${p.id}`).execute();
      const m = (await h.stores.merchants.byId(h.merchant.id))!;
      let mark: Promise<string> | undefined;
      const queued = await h.stores.merchants.setAccounts(
        m.id,
        {
          clearingAccountId: m.clearingAccountId,
          clearingAccounts: m.clearingAccounts,
          feeAccountCode: m.feeAccountCode!,
          salesAccountCode: m.salesAccountCode,
          withholdingAccountCode: cwt,
        },
        h.clock(),
        undefined,
        async (stored, feesNeverRead) => {
          const jobs = await withholdingCatchUp(h, cwt, h.clock())(stored, feesNeverRead);
          assert.deepEqual(jobs, [], 'the payment is not marked yet: nothing for the catch-up');
          const feeJob = jobRow('post-fee', { paymentId: p.id }, h.clock(), { merchantId: m.id });
          mark = h.stores.payments.markInXero(p, { xeroPaymentId: p.xeroPaymentId, fee: 'withholding' }, h.clock(), feeJob).then(() => 'marked');
          // The mark must wait for this transaction: it is seen waiting on a lock, or it ends first (wrong).
          const waiting = async () => {
            for (;;) {
              const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
                where wait_event_type = 'Lock' and query like '%with marked as (update "payments"%'`.execute(h.stores.db);
              if (rows[0].n > 0) return 'waiting';
              await new Promise((r) => setImmediate(r));
            }
          };
          assert.equal(await Promise.race([mark, waiting()]), 'waiting');
          return jobs;
        },
      );
      assert.equal(queued, 0);
      assert.equal(await mark, 'marked');
      assert.equal((await payment(x.id))?.feeState, 'pending');
      await h.worker.drain();
      assert.equal((await payment(x.id))?.feeState, 'posted');
      assert.deepEqual(
        txns().map((t) => t.reference),
        [`Xendit fee ${x.id}`],
      );
    });

    it('the account set after a payment whose tax withheld was booked by hand: found by its Reference, not booked again', async () => {
      const { x } = await withheldPayment();
      await h.worker.drain();
      await h.sims.xeroClient.createBankTransaction(
        h.merchant.xero,
        {
          type: 'SPEND',
          bankAccountId: h.clearingAccountId,
          contactName: 'Xendit',
          date: new Date().toISOString().slice(0, 10),
          reference: `Xendit fee ${x.id}`,
          currencyCode: 'IDR',
          lineItems: [{ description: 'withheld', accountCode: cwt, amount: '3000.00' }],
          reconciled: true,
        },
        'by-hand',
      );
      await h.stores.merchants.setAccounts(
        h.merchant.id,
        { clearingAccountId: h.clearingAccountId, clearingAccounts: {}, feeAccountCode: '404', salesAccountCode: null, withholdingAccountCode: cwt },
        h.clock(),
        undefined,
        withholdingCatchUp(h, cwt, h.clock()),
      );
      await h.worker.drain();
      assert.equal((await payment(x.id))?.feeState, 'posted');
      assert.equal(txns().length, 1);
    });

    it('without the account: nothing read or booked per payment; the report shows the tax withheld missing, as the balances do', async () => {
      const { x } = await withheldPayment();
      await h.worker.drain();
      assert.equal((await payment(x.id))?.feeState, 'not_needed');
      assert.equal(txns().length, 0);
      const row = (await report()).rows.find((row) => row.xenditInvoiceId === x.id)!;
      assert.deepEqual([row.xenditFee, row.xeroFee, row.status], ['3000.00', null, 'fee_missing'], row.note);
      const b = await idrBalance();
      assert.equal(b.xendit! - b.xero!, -3000, 'the balances differ by the same 3 000');
    });

    it('the transaction not listed: the row is not called matched, the tax withheld named unknown', async () => {
      const { x } = await paidThroughGateway(h, { beforeCallback: (x) => void (h.sims.xendit.getInvoice(x.id)!.transactionUnlisted = true) });
      await h.worker.drain();
      const row = (await report()).rows.find((row) => row.xenditInvoiceId === x.id)!;
      assert.equal(row.status, 'fee_tax_unknown', row.note);
      assert.match(row.note, /billed monthly.*; tax withheld unknown \(Xendit lists no payment transaction for it/);
    });

    it('the account cleared while the job waited for Xendit to list the transaction: review naming it, nothing booked', async () => {
      await setWithholding(cwt);
      const { x } = await paidThroughGateway(h, {
        beforeCallback: (x) => {
          const inv = h.sims.xendit.getInvoice(x.id)!;
          inv.paidAt = h.clock();
          inv.transactionUnlisted = true;
          h.sims.xendit.test.transactionFee(x.id, { xenditWithholding: 3000 });
        },
      });
      await h.worker.drain();
      assert.equal((await payment(x.id))?.feeState, 'pending');
      await setWithholding(null);
      h.sims.xendit.getInvoice(x.id)!.transactionUnlisted = false;
      h.clock.advance(20 * 60_000);
      await h.worker.drain();
      const p = await payment(x.id);
      assert.equal(p?.feeState, 'needs_review');
      assert.match(p?.feeError ?? '', /no withholding tax account is configured/);
      assert.equal(txns().length, 0);
    });

    it('a refund that gives the fee back: nothing given back in Xero (the fee was billed, not posted), the tax withheld stays booked', async () => {
      await setWithholding(cwt);
      const { x } = await paidThroughGateway(h, {
        paidBy: REFUNDABLE,
        beforeCallback: (x) => h.sims.xendit.test.transactionFee(x.id, { xenditWithholding: 3000 }),
      });
      await h.sims.xendit.settle(x.id);
      await h.worker.drain();
      assert.equal((await payment(x.id))?.feeState, 'posted');
      const refund = await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
      await refundWebhook(h, refund.id).expect(200);
      await h.worker.drain();
      assert.deepEqual(
        txns()
          .filter((t) => t.reference.startsWith('Xendit fee'))
          .map((t) => t.reference),
        [`Xendit fee ${x.id}`],
        'no fee returned entry',
      );
      assert.deepEqual(await h.stores.jobs.list().then((js) => js.filter((j) => j.state === 'needs_review').map((j) => j.lastError)), []);
      const r = await report();
      assert.equal(r.rows.filter((row) => row.xenditInvoiceId === x.id && row.status === 'missing_in_xero').length, 0, JSON.stringify(r.rows));
    });

    it('fee.status PENDING with no figures (the billed fee not worked out before the bill): not waited for, nothing to book', async () => {
      await setWithholding(cwt);
      const { x } = await paidThroughGateway(h, {
        beforeCallback: (x) => {
          const inv = h.sims.xendit.getInvoice(x.id)!;
          [inv.feesPaidAmount, inv.feeTax] = [0, 0];
          h.sims.xendit.test.transactionFee(x.id, { pending: true });
        },
      });
      await h.worker.drain();
      assert.equal((await payment(x.id))?.feeState, 'not_needed');
      assert.equal(txns().length, 0);
    });

    it('no tax withheld: the transaction read, nothing booked, the row compared gross as before', async () => {
      await setWithholding(cwt);
      const { x } = await paidThroughGateway(h);
      await h.worker.drain();
      assert.equal((await payment(x.id))?.feeState, 'not_needed');
      assert.equal(txns().length, 0);
      const row = (await report()).rows.find((row) => row.xenditInvoiceId === x.id)!;
      assert.deepEqual([row.xenditFee, row.xeroFee, row.status], ['0.00', null, 'matched'], row.note);
    });
  });

  describe('a payment Xendit charged no fee for', () => {
    it('the report counts the tax withheld; booked with the account as its own line; the report is reconciled', async () => {
      const { x } = await withheldPayment(true);
      await h.worker.drain();
      assert.equal((await payment(x.id))?.feeState, 'needs_review', 'no withholding tax account: a person books it');
      let row = (await report()).rows.find((row) => row.xenditInvoiceId === x.id)!;
      assert.deepEqual([row.xenditFee, row.xeroFee, row.status], ['3000.00', null, 'fee_missing'], row.note);
      assert.match(row.note, /Xendit withheld tax of 3000\.00/);

      await setWithholding(cwt);
      assert.equal(await h.stores.jobs.replayKey(`post-fee:${(await payment(x.id))!.id}`, ['needs_review'], h.clock()), true);
      await h.worker.drain();
      assert.equal((await payment(x.id))?.feeState, 'posted', (await payment(x.id))?.feeError ?? '');
      assert.deepEqual(
        txns().map((t) => [t.reference, t.lineItems.map((li) => [li.accountCode, li.lineAmount])]),
        [[`Xendit fee ${x.id}`, [['620', 300000n]]]],
      );
      const r = await report();
      row = r.rows.find((row) => row.xenditInvoiceId === x.id)!;
      assert.deepEqual([row.xenditFee, row.xeroFee, row.status], ['3000.00', '3000.00', 'matched'], row.note);
      assert.equal(r.reconciled, true, JSON.stringify(r.rows));
      assert.equal((await idrBalance()).balanced, true);
    });
  });
});
