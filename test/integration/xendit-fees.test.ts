/**
 * Issue 14 item 2: Xendit's fee comes from the payment's transaction (Transactions API
 * fee.xendit_fee and fee.value_added_tax), never from the callback's fees_paid_amount, which
 * xendit-node's Invoice model lacks and Xendit's own callback example shows as 0.
 */
import { strict as assert } from 'node:assert';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { seedAdminCast, page, saveSettings, signedIn } from '../helpers/admin.js';
import { adminMerchantPath } from '../../app/paths.js';
import { pino } from 'pino';
import { applySettings } from '../../app/admin/merchants/settings.js';
import type { XenditSimAccount } from '../../app/simulators/xendit/index.js';

describeEachDatabase("Xendit's fee from the payment's transaction", ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const txns = () => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.status === 'AUTHORISED');
  const payment = (xenditId: string) => h.stores.payments.byXenditInvoice(h.merchant.id, xenditId);
  const transactionCalls = () => h.sims.xendit.test.requests().filter((r) => r.path === '/transactions').length;

  /** 150 000 IDR paid; Xendit keeps 4 350 IDR fee (2.9 %) and 479 IDR VAT on it. */
  async function paid(callbackFees: XenditSimAccount['callbackFees'], more: (x: { id: string }) => void = () => undefined) {
    h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { callbackFees });
    return paidThroughGateway(h, {
      beforeCallback: (x) => {
        h.sims.xendit.getInvoice(x.id)!.feeTax = 479;
        more(x);
      },
    });
  }

  for (const shape of ['absent', 'zero'] as const) {
    it(`fees_paid_amount ${shape === 'absent' ? 'missing from' : '0 in'} the callback and invoice: fee and VAT are posted from the transaction`, async () => {
      const { x } = await paid(shape);
      const sent = h.sims.xendit.listInvoices().find((i) => i.id === x.id)!;
      assert.equal(sent.fees_paid_amount, shape === 'absent' ? undefined : 0, 'the simulator sends what such accounts get');
      await h.worker.drain();
      const p = await payment(x.id);
      assert.equal(p?.feeState, 'posted');
      assert.equal(p?.fee, 4350);
      assert.equal(p?.feeTax, 479);
      const [t, ...others] = txns();
      assert.equal(others.length, 0);
      assert.deepEqual(
        t.lineItems.map((li) => [li.accountCode, li.lineAmount]),
        [
          ['404', 435000n],
          ['404', 47900n],
        ],
      );
    });
  }

  it('transaction not listed yet and no fee in the callback: retried later, never posted as 0; posted once Xendit lists it', async () => {
    const { x } = await paid('zero', (inv) => {
      const atXendit = h.sims.xendit.getInvoice(inv.id)!;
      atXendit.paidAt = h.clock();
      atXendit.transactionUnlisted = true;
    });
    await h.worker.drain();
    let p = await payment(x.id);
    assert.equal(p?.feeState, 'pending', 'not marked "no fee"');
    assert.equal(p?.feeTax, null);
    assert.equal(txns().length, 0);

    h.sims.xendit.getInvoice(x.id)!.transactionUnlisted = false;
    h.clock.advance(20 * 60_000);
    await h.worker.drain();
    p = await payment(x.id);
    assert.equal(p?.feeState, 'posted');
    assert.deepEqual(
      txns()[0].lineItems.map((li) => li.lineAmount),
      [435000n, 47900n],
    );

    // Exactly once: a replayed fee job reuses the kept figures and finds the posted transaction.
    await h.worker.drain();
    assert.equal(txns().length, 1);
  });

  it('fee.status PENDING with no figures: retried, never taken as "no fee"; posted once Xendit shows the fee', async () => {
    const { x } = await paid('zero', (inv) => {
      const atXendit = h.sims.xendit.getInvoice(inv.id)!;
      atXendit.paidAt = h.clock();
      atXendit.feesPaidAmount = 0;
      atXendit.feeTax = 0;
      h.sims.xendit.test.transactionFee(inv.id, { pending: true });
    });
    await h.worker.drain();
    let p = await payment(x.id);
    assert.equal(p?.feeState, 'pending', 'not marked "no fee"');
    assert.equal(p?.feeTax, null, 'nothing kept: the next try reads again');
    assert.match(p?.feeError ?? '', /still PENDING \(fee\.status\)/);
    assert.equal(txns().length, 0);

    const atXendit = h.sims.xendit.getInvoice(x.id)!;
    atXendit.feesPaidAmount = 4350;
    atXendit.feeTax = 479;
    h.sims.xendit.test.transactionFee(x.id, { pending: false });
    h.clock.advance(20 * 60_000);
    await h.worker.drain();
    p = await payment(x.id);
    assert.equal(p?.feeState, 'posted');
    assert.deepEqual(
      txns()[0].lineItems.map((li) => li.lineAmount),
      [435000n, 47900n],
    );
  });

  it('fee.status PENDING with no figures a day after the payment: needs_review, nothing posted', async () => {
    const { x } = await paid('zero', (inv) => {
      const atXendit = h.sims.xendit.getInvoice(inv.id)!;
      atXendit.paidAt = h.clock();
      atXendit.feesPaidAmount = 0;
      atXendit.feeTax = 0;
      h.sims.xendit.test.transactionFee(inv.id, { pending: true });
    });
    await h.worker.drain();
    for (let i = 0; i < 30 && (await payment(x.id))?.feeState === 'pending'; i++) {
      h.clock.advance(2 * 3600_000);
      await h.worker.drain();
    }
    const p = await payment(x.id);
    assert.equal(p?.feeState, 'needs_review');
    assert.match(p?.feeError ?? '', /^fee unknown: Xendit's fee for invoice .* is still PENDING \(fee\.status\) and shows no figures a day after the payment/);
    assert.equal(txns().length, 0);
  });

  for (const who of ['xendit', 'third party'] as const) {
    it(`tax withheld (${who === 'xendit' ? 'xendit_withholding_tax' : 'third_party_withholding_tax'}): the fee goes to needs_review naming it, nothing posted`, async () => {
      const { x } = await paid('amount', (inv) =>
        h.sims.xendit.test.transactionFee(inv.id, who === 'xendit' ? { xenditWithholding: 3000 } : { thirdPartyWithholding: 3000 }),
      );
      await h.worker.drain();
      const p = await payment(x.id);
      assert.equal(p?.syncState, 'recorded', 'the payment itself is in Xero');
      assert.equal(p?.feeState, 'needs_review');
      assert.match(p?.feeError ?? '', /withheld tax .*no withholding tax account is configured \(the merchant's Accounts: "Withholding tax account"\)/);
      assert.match(p?.feeError ?? '', /clearing account ends at 142171 IDR/, '150 000 − 4 350 − 479 − 3 000: what Xendit settles');
      assert.equal(p?.feeTax, null, 'not kept: a Retry reads the transaction again');
      assert.equal(txns().length, 0, 'fee and VAT alone would leave the clearing account 3 000 above what Xendit settles');
    });
  }

  it('net_amount below paid less fee and VAT, the withholding fields left out: the fee goes to needs_review, nothing posted', async () => {
    // FeeResponse's withholding fields are optional ("if applicable"): a transaction may leave them out while net_amount shows the tax taken.
    const { x } = await paid('amount', (inv) => h.sims.xendit.test.transactionFee(inv.id, { xenditWithholding: 3000, withholdingShown: false }));
    await h.worker.drain();
    const p = await payment(x.id);
    assert.equal(p?.feeState, 'needs_review');
    assert.match(p?.feeError ?? '', /Xendit settles 142171 IDR \(net_amount\) of invoice .*, but paid less fee 4350 IDR \+ VAT 479 IDR is 145171 IDR/);
    assert.equal(p?.feeTax, null);
    assert.equal(txns().length, 0);
  });

  it('fees invoiced separately: no per-payment fee is posted and the Transactions API is not asked', async () => {
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { xenditFeeBilling: 'invoiced' }, h.clock());
    const { x } = await paid('amount');
    const before = transactionCalls();
    await h.worker.drain();
    assert.equal((await payment(x.id))?.feeState, 'not_needed');
    assert.equal(txns().length, 0);
    assert.equal(transactionCalls(), before);
  });

  it('two setting changes made from the same reading (the CLI and the form at once) do not undo each other', async () => {
    const deps = { stores: h.stores, clock: h.clock, logger: pino({ level: 'silent' }) };
    const read = (await h.stores.merchants.byId(h.merchant.id))!;
    await applySettings(deps, read, { xenditFeeBilling: 'invoiced' }, 'ops@example.com');
    await applySettings(deps, read, { feePosting: 'manual_journal' }, 'ops@example.com');
    const now = (await h.stores.merchants.byId(h.merchant.id))!;
    assert.deepEqual([now.xenditFeeBilling, now.feePosting], ['invoiced', 'manual_journal']);
  });

  it('admin settings: "deducted from each payment" by default, "invoiced separately" saved', async () => {
    await seedAdminCast(h, db());
    const agent = await signedIn(h.app, 'a@toko.test');
    const path = adminMerchantPath(h.merchant.id, 'adminMerchantSettings');
    const form = await page(agent, path);
    assert.equal(form.$('input[name=xenditFeeBilling][checked]').val(), 'deducted');
    assert.equal(form.$('label[for=f-xenditFeeBilling-invoiced]').text(), 'Xendit fees are invoiced separately');
    await saveSettings(agent, h.merchant.id, { xenditFeeBilling: 'invoiced', salesTaxType: '' });
    assert.equal((await h.stores.merchants.byId(h.merchant.id))?.xenditFeeBilling, 'invoiced');
    const bad = await agent
      .post(path)
      .type('form')
      .send({
        _csrf: (await page(agent, path)).csrf(),
        backendFlow: 'false',
        feePosting: 'off',
        xenditFeeBilling: 'monthly',
        overpayments: 'false',
        xeroTestOrganisation: 'true',
        partialMinPercent: 'off',
        checkoutHours: 'default',
        xenditReceipts: 'false',
        salesTaxType: '',
      })
      .expect(422);
    assert.equal(cheerio.load(bad.text)('#e-xenditFeeBilling').text(), 'Choose one of the options.');
    assert.equal((await h.stores.merchants.byId(h.merchant.id))?.feePosting, 'bank_transaction', 'nothing written');
  });
});
