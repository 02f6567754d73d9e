/**
 * Tax Xendit withholds from a payment besides its fee and VAT (xendit-node FeeResponse
 * xendit_withholding_tax, third_party_withholding_tax; e.g. Philippine merchants' creditable
 * withholding tax): it leaves the Xendit balance with the fee, so the report counts it on Xendit's
 * side and the balances take it off what is paid and not settled yet.
 */
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { reconciliationReport } from '../../app/report/reconcile.js';
import { balances } from '../../app/admin/payments/balances.js';

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
    const deps = { xero: h.sims.xeroClient, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) };
    const idr = async () => (await balances(deps, h.merchant)).find((b) => b.currency === 'IDR')!;
    const before = await idr();
    assert.equal(before.unsettled, 142_171, '150 000 less fee, VAT and the 3 000 withheld');
    assert.equal(before.balanced, true, JSON.stringify(before));
    await h.sims.xendit.settle(x.id);
    const after = await idr();
    assert.deepEqual([after.cash, after.unsettled, after.balanced], [142_171, 0, true]);
  });
});
