/**
 * Tax Xendit withholds from a payment besides its fee and VAT (xendit-node FeeResponse
 * xendit_withholding_tax, third_party_withholding_tax; e.g. Philippine merchants' creditable
 * withholding tax): it leaves the Xendit balance with the fee, so the report counts it on Xendit's
 * side and the balances take it off what is paid and not settled yet.
 */
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, REFUNDABLE, refundWebhook, type Harness } from '../helpers/harness.js';
import * as cheerio from 'cheerio';
import { reconciliationReport } from '../../app/report/reconcile.js';
import { balances } from '../../app/admin/payments/balances.js';
import { seedAdminCast, page, signedIn, versionOf } from '../helpers/admin.js';
import { adminMerchantPath } from '../../app/paths.js';

const BANK_TXNS = '/api.xro/2.0/BankTransactions';

describeEachDatabase('tax Xendit withholds from a payment', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const report = () => reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient }, h.merchant, { from: day(-1), to: day(1) });
  const payment = (xenditId: string) => h.stores.payments.byXenditInvoice(h.merchant.id, xenditId);

  /** 150 000 IDR paid; Xendit keeps 4 350 IDR fee, 479 IDR VAT on it, and withholds 2 000 + 1 000 IDR of tax. */
  const withheldPayment = () =>
    paidThroughGateway(h, {
      beforeCallback: (x) => {
        h.sims.xendit.getInvoice(x.id)!.feeTax = 479;
        h.sims.xendit.test.transactionFee(x.id, { xenditWithholding: 2000, thirdPartyWithholding: 1000 });
      },
    });

  /** A person books what Xendit kept by hand, as docs/money.md says: one Spend Money, Reference `Xendit fee <id>`. */
  const bookByHand = (xenditId: string, lines: { accountCode: string; amount: string }[]) =>
    h.sims.xeroClient.createBankTransaction(
      h.merchant.xero,
      {
        type: 'SPEND',
        bankAccountId: h.clearingAccountId,
        contactName: 'Xendit',
        date: new Date().toISOString().slice(0, 10),
        reference: `Xendit fee ${xenditId}`,
        currencyCode: 'IDR',
        lineItems: lines.map((l) => ({ description: 'by hand', ...l })),
        reconciled: true,
      },
      `by-hand-${xenditId}`,
    );

  it('the report counts the tax withheld with the fee and says so; booked by hand with the fee, the payment is matched', async () => {
    const { x } = await withheldPayment();
    await h.worker.drain();
    assert.equal((await payment(x.id))?.feeState, 'needs_review', 'no withholding tax account: a person books it');
    let row = (await report()).rows.find((r) => r.xenditInvoiceId === x.id)!;
    assert.deepEqual([row.xenditAmount, row.xenditFee, row.xeroFee, row.status], ['150000.00', '7829.00', null, 'fee_missing']);
    assert.match(row.note, /Xendit withheld tax of 3000\.00 \(xendit_withholding_tax 2000\.00, third_party_withholding_tax 1000\.00\)/);

    await bookByHand(x.id, [
      { accountCode: '404', amount: '4829' },
      { accountCode: '610', amount: '3000' },
    ]);
    const r = await report();
    row = r.rows.find((row) => row.xenditInvoiceId === x.id)!;
    assert.deepEqual([row.xenditFee, row.xeroFee, row.status], ['7829.00', '7829.00', 'matched'], row.note);
    assert.match(row.note, /Xendit withheld tax of 3000\.00/);
    assert.equal(r.totals.IDR.difference, '0.00');
    assert.equal(r.totals.IDR.xenditNet, '142171.00', '150 000 − 4 350 − 479 − 3 000: what Xendit settles');
  });

  it('fee and VAT alone booked: the row shows the fee differing by the tax withheld', async () => {
    const { x } = await withheldPayment();
    await h.worker.drain();
    await bookByHand(x.id, [{ accountCode: '404', amount: '4829' }]);
    const row = (await report()).rows.find((r) => r.xenditInvoiceId === x.id)!;
    assert.equal(row.status, 'fee_differs');
    assert.match(row.note, /Xendit fee 7829\.00, Xero 4829\.00/);
  });

  it('the balances take the tax withheld off what is paid and not settled yet, as they take the fee', async () => {
    const { x } = await withheldPayment();
    await h.worker.drain();
    await bookByHand(x.id, [
      { accountCode: '404', amount: '4829' },
      { accountCode: '610', amount: '3000' },
    ]);
    // Xero's Bank Summary is read up to the organisation's today; the simulators date things by the real clock.
    h.clock.advance(Math.max(0, Date.now() - h.clock().getTime()) + 86_400_000);
    const deps = { xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores, clock: h.clock, logger: pino({ level: 'silent' }) };
    const idr = async () => (await balances(deps, h.merchant)).find((b) => b.currency === 'IDR')!;
    const before = await idr();
    assert.equal(before.unsettled, 142_171, '150 000 less fee, VAT and the 3 000 withheld');
    assert.equal(before.balanced, true, JSON.stringify(before));
    await h.sims.xendit.settle(x.id);
    const after = await idr();
    assert.deepEqual([after.cash, after.unsettled, after.balanced], [142_171, 0, true]);
  });
  describe('booked to the withholding tax account', () => {
    let cwt: string;
    beforeEach(() => {
      cwt = h.sims.xero.addAccount(h.tenantId, { code: '620', name: 'Creditable Withholding Tax', type: 'CURRENT' }).code;
    });
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

    it("the fee's Spend Money gets a line of its own for the tax withheld, to that account; the report is reconciled", async () => {
      await setWithholding(cwt);
      const { x } = await withheldPayment();
      await h.worker.drain();
      const p = await payment(x.id);
      assert.equal(p?.feeState, 'posted', p?.feeError ?? '');
      assert.deepEqual([p?.fee, p?.feeTax, p?.feeWithheld], [4350, 479, 3000]);
      const [t, ...more] = txns();
      assert.equal(more.length, 0);
      assert.equal(t.reference, `Xendit fee ${x.id}`);
      assert.deepEqual(
        t.lineItems.map((li) => [li.accountCode, li.lineAmount]),
        [
          ['404', 435000n],
          ['404', 47900n],
          ['620', 300000n],
        ],
      );
      await h.sims.xendit.settle(x.id);
      assert.equal(h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId), BigInt(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR') * 100));
      const r = await report();
      const row = r.rows.find((row) => row.xenditInvoiceId === x.id)!;
      assert.deepEqual([row.xenditFee, row.xeroFee, row.status], ['7829.00', '7829.00', 'matched']);
      assert.match(row.note, /Xendit withheld tax of 3000\.00/);
      assert.equal(r.reconciled, true, JSON.stringify(r.rows));
    });

    it('the answer lost after Xero saved it: found by its Reference, one entry with the withholding line', async () => {
      await setWithholding(cwt);
      const { x } = await withheldPayment();
      h.sims.xero.faults.dropResponseAfterSave(1, { path: BANK_TXNS });
      await h.worker.drain();
      assert.equal((await payment(x.id))?.feeState, 'pending');
      assert.equal((await payment(x.id))?.feeWithheld, 3000, 'kept before the attempt: the retry books the same figures');
      h.clock.advance(60_000);
      await h.worker.drain();
      assert.equal((await payment(x.id))?.feeState, 'posted');
      assert.equal(txns().length, 1);
      assert.equal(txns()[0].lineItems.length, 3);
    });

    it('without the setting: review naming it; once set, Retry books it', async () => {
      const { x } = await withheldPayment();
      await h.worker.drain();
      const p = await payment(x.id);
      assert.equal(p?.feeState, 'needs_review');
      assert.match(p?.feeError ?? '', /no withholding tax account is configured \(the merchant's Accounts: "Withholding tax account"\)/);
      assert.equal(p?.feeWithheld, null);
      assert.equal(txns().length, 0);

      await setWithholding(cwt);
      assert.equal(await h.stores.jobs.replayKey(`post-fee:${p!.id}`, ['needs_review'], h.clock()), true);
      await h.worker.drain();
      assert.equal((await payment(x.id))?.feeState, 'posted');
      assert.deepEqual(
        txns().map((t) => [t.reference, t.total]),
        [[`Xendit fee ${x.id}`, 782900n]],
      );
    });

    it('fees posted as manual journals: the journal has the withholding line and credits the clearing account with all three', async () => {
      const clearing = h.sims.xero.addAccount(h.tenantId, { code: '093', name: 'Xendit clearing', type: 'CURRENT', enablePaymentsToAccount: true });
      const m = (await h.stores.merchants.byId(h.merchant.id))!;
      await h.stores.merchants.setAccounts(
        m.id,
        {
          clearingAccountId: clearing.accountId,
          clearingAccounts: {},
          feeAccountCode: '404',
          salesAccountCode: m.salesAccountCode,
          withholdingAccountCode: cwt,
        },
        h.clock(),
      );
      await h.stores.merchants.setAccountingOptions(m.id, { feePosting: 'manual_journal' }, h.clock());
      const { x } = await withheldPayment();
      await h.worker.drain();
      assert.equal((await payment(x.id))?.feeState, 'posted', (await payment(x.id))?.feeError ?? '');
      const [j] = h.sims.xero.manualJournalsOf(h.tenantId);
      assert.deepEqual(
        j.lines.map((l) => [l.accountCode, l.lineAmount]),
        [
          ['404', 435000n],
          ['404', 47900n],
          ['620', 300000n],
          ['093', -782900n],
        ],
      );
    });

    it('a refund that gives the fee back gives back fee and VAT only, never the tax withheld', async () => {
      await setWithholding(cwt);
      const { x } = await paidThroughGateway(h, {
        paidBy: REFUNDABLE,
        beforeCallback: (x) => {
          h.sims.xendit.getInvoice(x.id)!.feeTax = 479;
          h.sims.xendit.test.transactionFee(x.id, { xenditWithholding: 3000 });
        },
      });
      await h.sims.xendit.settle(x.id);
      await h.worker.drain();
      assert.equal((await payment(x.id))?.feeState, 'posted');
      const refund = await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
      await refundWebhook(h, refund.id).expect(200);
      await h.worker.drain();
      const [back, ...more] = txns().filter((t) => t.reference === `Xendit fee returned ${x.id}`);
      assert.equal(more.length, 0);
      assert.deepEqual(
        back.lineItems.map((l) => [l.accountCode, l.lineAmount]),
        [
          ['404', 435000n],
          ['404', 47900n],
        ],
      );
      assert.equal(h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId), BigInt(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR') * 100));
      const r = await report();
      assert.equal(r.totals.IDR.difference, '0.00', JSON.stringify(r.rows));
    });

    it('admin: the picker offers current assets and expenses only; anything else is refused with nothing written', async () => {
      await seedAdminCast(h, db());
      const agent = await signedIn(h.app, 'a@toko.test');
      const path = adminMerchantPath(h.merchant.id, 'adminMerchantAccounts');
      const form = await page(agent, path);
      const options = form
        .$('#f-withholdingAccountCode option')
        .map((_, o) => form.$(o).text())
        .get();
      assert.deepEqual(
        options,
        ['None', '620 — Creditable Withholding Tax', '404 — Bank Fees'],
        'no bank, revenue or system account (610 Accounts Receivable)',
      );
      let shown = form;
      const send = (code: string, status: number) =>
        agent
          .post(path)
          .type('form')
          .send({
            _csrf: shown.csrf(),
            version: versionOf(shown.$, 'form[action$="/accounts"]'),
            clearingAccountId: h.clearingAccountId,
            feeAccountCode: '404',
            salesAccountCode: '200',
            withholdingAccountCode: code,
          })
          .expect(status);
      for (const code of ['610', '090', '200', 'nope']) {
        const bad = await send(code, 422);
        assert.match(cheerio.load(bad.text)('#e-withholdingAccountCode').text(), /Choose a current asset or expense account/);
        assert.equal((await h.stores.merchants.byId(h.merchant.id))?.withholdingAccountCode, null, `${code}: nothing written`);
      }
      await send('620', 303);
      assert.equal((await h.stores.merchants.byId(h.merchant.id))?.withholdingAccountCode, '620');
      // The page shown again after the save, as a browser would: the form it replaced is stale now.
      shown = await page(agent, path);
      await send('', 303);
      assert.equal((await h.stores.merchants.byId(h.merchant.id))?.withholdingAccountCode, null, 'optional: cleared');
    });
  });
});
