import { strict as assert } from 'node:assert';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { reconciliationReport, type ReportRow } from '../../app/report/reconcile.js';
import { toCsv } from '../../app/report/output.js';
import { UpstreamError } from '../../app/clients/types.js';
import type { XenditGateway } from '../../app/clients/xendit/types.js';

describeEachDatabase('reconciliation report', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  // The shared simulators run on real time: a range of three days around today covers every date.
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const range = () => ({ from: day(-1), to: day(1) });
  const run = () => reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient }, h.merchant, range());

  /** A 150 000 IDR invoice paid at Xendit; the callback is sent unless told otherwise. */
  async function paid(opts: { callback?: boolean } = {}) {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    await h.sims.xendit.pay(x.id, { sendCallback: opts.callback ?? true });
    return { inv, x };
  }
  const byInvoice = (rows: ReportRow[], id: string) => rows.find((r) => r.xenditInvoiceId === id);

  it('reconciles payments and fees to the cent against the clearing account', async () => {
    const a = await paid();
    const b = await paid();
    await h.worker.drain();
    const r = await run();
    assert.deepEqual(
      r.rows.map((row) => [row.xenditInvoiceId, row.currency, row.xenditAmount, row.xenditFee, row.xeroPayment, row.xeroFee, row.status]),
      [a.x.id, b.x.id].sort().map((id) => [id, 'IDR', '150000.00', '4350.00', '150000.00', '4350.00', 'matched']),
    );
    assert.deepEqual(r.totals, { IDR: { xenditNet: '291300.00', xeroNet: '291300.00', difference: '0.00', otherMovement: '0.00' } });
    assert.equal(r.reconciled, true);
    assert.equal(h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId), 29130000n, 'the clearing balance is the reported net');
  });

  it('a payment booked in Xero again in a later month is flagged in both months, and the later month does not count Xendit twice', async () => {
    const { inv, x } = await paid();
    await h.worker.drain();
    const [booked] = h.sims.xero.paymentsOf(inv.invoiceId);
    // Someone books the same Xendit payment again, on another invoice, 40 days later.
    const again = h.addInvoice({});
    await h.sims.xeroClient.createPayment(
      h.merchant.xero,
      { invoiceId: again.invoiceId, accountId: h.clearingAccountId, date: day(40), amount: '150000', reference: `Xendit ${x.id}` },
      'twice',
    );

    const first = await run();
    const there = byInvoice(first.rows, x.id)!;
    assert.deepEqual([there.status, there.note], ['amount_differs', `the payment is in Xero twice: also on ${day(40)}`]);
    assert.equal(first.reconciled, false);

    const later = await reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient }, h.merchant, { from: day(39), to: day(41) });
    const here = byInvoice(later.rows, x.id)!;
    assert.deepEqual([here.status, here.xeroPayment], ['amount_differs', '150000.00']);
    assert.equal(here.note, `the payment is in Xero twice: also on ${booked.date}`);
    assert.equal(later.reconciled, false);
    assert.equal(later.totals.IDR.difference, '-150000.00', 'Xendit paid nothing that month');
  });

  it('flags each kind of difference: missing in Xero, missing at Xendit, amount and fee differences, other movement', async () => {
    const ok = await paid();
    await h.worker.drain();

    const notRecorded = await paid({ callback: false }); // no callback came, the reconcile job has not run

    const over = await paid({ callback: false });
    const savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
    h.sims.xero.recordPayment(h.tenantId, over.inv.invoiceId, '50000', savings, 'Cash');
    await request(h.app)
      .post(h.callbackPath)
      .set('x-callback-token', h.merchant.callbackToken)
      .send({ id: over.x.id, external_id: over.x.external_id, status: 'PAID' })
      .expect(200);
    await h.worker.drain();

    await h.stores.db.updateTable('merchants').set({ fee_account_code: '999' }).where('id', '=', h.merchant.id).execute();
    const noFee = await paid();
    await h.worker.drain();

    const ghostInvoice = h.addInvoice({});
    h.sims.xero.recordPayment(h.tenantId, ghostInvoice.invoiceId, '1000', h.clearingAccountId, 'Xendit ghost-123');
    const cashInvoice = h.addInvoice({});
    h.sims.xero.recordPayment(h.tenantId, cashInvoice.invoiceId, '2500.50', h.clearingAccountId, 'Cash deposit');

    const r = await run();
    const row = (id: string) => byInvoice(r.rows, id)!;
    assert.equal(row(ok.x.id).status, 'matched');
    assert.deepEqual(
      [row(notRecorded.x.id).status, row(notRecorded.x.id).xeroPayment, row(notRecorded.x.id).note],
      ['missing_in_xero', null, 'no payment in Xero'],
    );
    assert.deepEqual([row(over.x.id).status, row(over.x.id).note], ['amount_differs', 'Xendit 150000.00, Xero 100000.00 (50000.00 unrecorded)']);
    assert.deepEqual([row(noFee.x.id).status, row(noFee.x.id).note], ['fee_missing', 'fee 4350.00 not posted']);
    assert.deepEqual([row('ghost-123').status, row('ghost-123').xeroPayment], ['missing_at_xendit', '1000.00']);
    const other = r.rows.filter((x) => x.status === 'not_from_xendit');
    assert.deepEqual(
      other.map((x) => [x.xeroPayment, x.note]),
      [['2500.50', 'payment "Cash deposit" into the clearing account']],
    );
    assert.equal(r.rows.length, 6);
    assert.equal(r.reconciled, false);
    // Xendit: 4 × (150000 − 4350); Xero: ok 145650 + over (100000 − 4350) + noFee 150000 + ghost 1000.
    assert.deepEqual(r.totals, { IDR: { xenditNet: '582600.00', xeroNet: '392300.00', difference: '190300.00', otherMovement: '2500.50' } });
    assert.equal(row('ghost-123').currency, 'IDR', "from the clearing account's currency");

    const csv = toCsv(r).split('\r\n');
    assert.equal(csv[0], 'date,xendit_invoice_id,currency,xendit_amount,xendit_fee,xero_payment,xero_fee,status,xendit_mode,note');
    assert.ok(
      csv.includes(
        `${row(over.x.id).date},${over.x.id},IDR,150000.00,4350.00,100000.00,4350.00,amount_differs,test,"Xendit 150000.00, Xero 100000.00 (50000.00 unrecorded)"`,
      ),
    );
    assert.equal(csv.length, 1 + 6 + 1, 'header, six rows, final CRLF');
  });

  it('covers every clearing account, with totals per currency', async () => {
    const idr = await paid();
    const phpInvoice = h.addInvoice({ currency: 'PHP', lineItems: [{ description: 'Barako', quantity: '2', unitAmount: '1225.25' }] });
    await request(h.app).get(h.payUrl(phpInvoice.invoiceNumber)).expect(303);
    const php = h.sims.xendit.listInvoices().at(-1)!;
    await h.sims.xendit.pay(php.id);
    await h.worker.drain();
    const r = await run();
    assert.deepEqual(
      r.rows.map((row) => [row.xenditInvoiceId, row.currency, row.xenditAmount, row.xenditFee, row.xeroPayment, row.xeroFee, row.status]).sort(),
      [
        [idr.x.id, 'IDR', '150000.00', '4350.00', '150000.00', '4350.00', 'matched'],
        [php.id, 'PHP', '2450.50', '71.06', '2450.50', '71.06', 'matched'],
      ].sort(),
    );
    assert.deepEqual(r.totals, {
      IDR: { xenditNet: '145650.00', xeroNet: '145650.00', difference: '0.00', otherMovement: '0.00' },
      PHP: { xenditNet: '2379.44', xeroNet: '2379.44', difference: '0.00', otherMovement: '0.00' },
    });
    assert.equal(r.reconciled, true);
    assert.equal(h.sims.xero.balanceOf(h.tenantId, h.clearingPhpAccountId), 237944n);
  });

  it('lists refunds of an overpayment or prepayment (Xero payments without an invoice) as rows of their own (issue 14 item 7)', async () => {
    const a = await paid();
    await h.worker.drain();
    // The merchant refunds a customer's overpayment and a prepayment from the clearing account in Xero.
    h.sims.xero.addRefundPayment(h.tenantId, {
      paymentType: 'AROVERPAYMENTPAYMENT',
      accountId: h.clearingAccountId,
      amount: '20000',
      date: day(0),
      reference: 'Refund overpayment',
    });
    h.sims.xero.addRefundPayment(h.tenantId, {
      paymentType: 'ARPREPAYMENTPAYMENT',
      accountId: h.clearingAccountId,
      amount: '5000.50',
      date: day(0),
      reference: 'Refund prepayment',
    });
    const r = await run();
    assert.equal(byInvoice(r.rows, a.x.id)?.status, 'matched');
    const others = r.rows.filter((row) => row.status === 'not_from_xendit');
    assert.deepEqual(others.map((row) => [row.currency, row.xeroPayment, row.note]).sort(), [
      ['IDR', '-20000.00', 'AROVERPAYMENTPAYMENT (no invoice) "Refund overpayment" out of the clearing account'],
      ['IDR', '-5000.50', 'ARPREPAYMENTPAYMENT (no invoice) "Refund prepayment" out of the clearing account'],
    ]);
    assert.equal(r.totals.IDR.otherMovement, '-25000.50');
    assert.equal(r.reconciled, false, 'other movement on the clearing account is flagged, not hidden');
  });

  describe('fees Xendit bills monthly (fee bills), not taken from each payment', () => {
    const withHistory = async () =>
      reconciliationReport(
        { xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores },
        (await h.stores.merchants.byId(h.merchant.id))!,
        range(),
      );
    const billMonthly = async (since: Date) => {
      await h.stores.merchants.setAccountingOptions(h.merchant.id, { xenditFeeBilling: 'invoiced' }, since);
      h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { feeBilling: 'invoiced' });
    };
    const figures = (row: ReportRow | undefined) => row && [row.xenditAmount, row.xenditFee, row.xeroPayment, row.xeroFee, row.status];

    it("compares the gross: the invoice's fees_paid_amount is billed, not kept from the payment, and no fee is expected in Xero", async () => {
      await billMonthly(new Date('2026-01-01T00:00:00Z'));
      const a = await paid();
      const b = await paid();
      await h.worker.drain();
      assert.ok(h.sims.xendit.getInvoice(a.x.id)!.feesPaidAmount! > 0, 'the invoice still carries the fee Xendit charges');
      const r = await withHistory();
      for (const { x } of [a, b]) {
        const row = byInvoice(r.rows, x.id);
        assert.deepEqual(figures(row), ['150000.00', '0.00', '150000.00', null, 'matched']);
        assert.equal(row!.note, "Xendit's fee (4350.00 before VAT) is billed monthly (Xendit fee bill), not taken from the payment: compared gross");
      }
      assert.deepEqual(r.totals, { IDR: { xenditNet: '300000.00', xeroNet: '300000.00', difference: '0.00', otherMovement: '0.00' } });
      assert.equal(r.reconciled, true);
      assert.equal(h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId), 30000000n, 'the clearing account holds the gross, as Xendit does');
    });

    it('a merchant who switched to monthly bills mid-range: each payment by the setting when it was paid', async () => {
      const before = await paid();
      await h.worker.drain();
      const paidAt = h.sims.xendit.getInvoice(before.x.id)!.paidAt!;
      await billMonthly(new Date(paidAt.getTime() + 1));
      await new Promise((resolve) => setTimeout(resolve, 5));
      const after = await paid();
      await h.worker.drain();
      const r = await withHistory();
      assert.deepEqual(figures(byInvoice(r.rows, before.x.id)), ['150000.00', '4350.00', '150000.00', '4350.00', 'matched']);
      assert.equal(byInvoice(r.rows, before.x.id)!.note, '');
      assert.deepEqual(figures(byInvoice(r.rows, after.x.id)), ['150000.00', '0.00', '150000.00', null, 'matched']);
      assert.match(byInvoice(r.rows, after.x.id)!.note, /billed monthly/);
      assert.deepEqual(r.totals.IDR, { xenditNet: '295650.00', xeroNet: '295650.00', difference: '0.00', otherMovement: '0.00' });
      assert.equal(r.reconciled, true);
    });

    it('a fee posted in Xero for a payment whose fee Xendit billed is flagged: it would be counted twice', async () => {
      const before = await paid();
      await h.worker.drain();
      // Billed monthly from before that payment on (the change entered late): its posted fee is one too many.
      await billMonthly(new Date(h.sims.xendit.getInvoice(before.x.id)!.paidAt!.getTime() - 1));
      const r = await withHistory();
      const row = byInvoice(r.rows, before.x.id);
      assert.deepEqual(figures(row), ['150000.00', '0.00', '150000.00', '4350.00', 'fee_differs']);
      assert.match(row!.note, /^Xendit fee 0\.00, Xero 4350\.00; Xendit's fee .* billed monthly/);
      assert.equal(r.reconciled, false);
    });
  });

  it('leaves out what falls outside the range', async () => {
    await paid();
    await h.worker.drain();
    const r = await reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient }, h.merchant, { from: '2020-01-01', to: '2020-01-31' });
    assert.deepEqual(r.rows, []);
    assert.equal(r.reconciled, true);
  });
  it('a currency Xendit will not list is marked incomplete, and the others are still reported', async () => {
    const a = await paid();
    await h.worker.drain();
    const refusing = (kind: 'rejected' | 'unavailable'): XenditGateway => {
      const refuse = (currency: string) => {
        if (currency === 'PHP') throw new UpstreamError('xendit', kind, 'currency not enabled', kind === 'rejected' ? 400 : 503);
      };
      return {
        ...h.sims.xenditClient,
        listWithdrawals: async (key, q) => (refuse(q.currency), h.sims.xenditClient.listWithdrawals(key, q)),
        listOtherMovements: async (key, q) => (refuse(q.currency), h.sims.xenditClient.listOtherMovements(key, q)),
      };
    };
    const r = await reconciliationReport({ xero: h.sims.xeroClient, xendit: refusing('rejected') }, h.merchant, range());
    // By currency, not by date: the payment is dated in the organisation's zone (UTC+7), which after
    // 17:00 UTC is the next day, the end of the range.
    assert.deepEqual(
      r.rows.map((row) => [row.xenditInvoiceId, row.currency, row.status]).sort((x, y) => String(x[1]).localeCompare(String(y[1]))),
      [
        [a.x.id, 'IDR', 'matched'],
        [null, 'PHP', 'incomplete'],
        [null, 'PHP', 'incomplete'],
      ],
    );
    assert.deepEqual(
      r.rows
        .filter((row) => row.status === 'incomplete')
        .map((row) => row.note)
        .sort(),
      [
        'Xendit would not list the PHP balance movements (xendit rejected (400): currency not enabled): they are not compared',
        'Xendit would not list the PHP withdrawals (xendit rejected (400): currency not enabled): they are not compared',
      ],
    );
    assert.equal(r.reconciled, false, 'what was not read may hold a difference');
    // Xendit down is not a refusal: the report fails rather than say less than it knows.
    await assert.rejects(reconciliationReport({ xero: h.sims.xeroClient, xendit: refusing('unavailable') }, h.merchant, range()), /unavailable/);
  });

  it('a clearing account in a currency Xendit does not list is marked incomplete', async () => {
    h.sims.xero.test.addCurrency(h.tenantId, 'NZD'); // Xero takes only a currency the organisation added
    const nzd = h.sims.xero.addAccount(h.tenantId, { code: '093', name: 'Xendit NZD', type: 'BANK', currencyCode: 'NZD' });
    const r = await reconciliationReport(
      { xero: h.sims.xeroClient, xendit: h.sims.xenditClient },
      { ...h.merchant, clearingAccountId: nzd.accountId },
      range(),
    );
    assert.deepEqual(
      r.rows.map((row) => [row.status, row.note]),
      [['incomplete', 'clearing account in NZD, a currency Xendit does not list: its withdrawals and movements are not compared']],
    );
    assert.equal(r.reconciled, false);
  });
});
