import { strict as assert } from 'node:assert';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { enqueueJob } from '../helpers/jobs.js';

/**
 * The whole amount goes to Xero unread; what Xero refuses with a 400 (more than is due, a closed
 * invoice) is then decided with the invoice's exact figures. A clearing account in another currency
 * is caught before createPayment.
 */
describeEachDatabase('worker: record-payment guards (over-payment, currency)', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  /** A 150 000 IDR invoice with a checkout for the whole amount. */
  async function checkout() {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    return { inv, x: h.sims.xendit.listInvoices().at(-1)! };
  }

  const savings = () => h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
  const ours = (invoiceId: string) => h.sims.xero.paymentsOf(invoiceId).filter((p) => p.accountId === h.clearingAccountId);
  const payment = (xenditId: string) => h.stores.payments.byXenditInvoice(h.merchant.id, xenditId);
  const jobs = async () => (await h.stores.jobs.list()).map((j) => `${j.kind}:${j.state}`);
  const paymentWrites = () => h.sims.xero.test.requests().filter((r) => r.method !== 'GET' && r.path.endsWith('/Payments')).length;

  it('records what fits when the merchant took a cash payment meanwhile, and flags the rest with the figures', async () => {
    const { inv, x } = await checkout();
    h.sims.xero.recordPayment(h.tenantId, inv.invoiceId, '50000', savings(), 'Cash at the counter');
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();

    const [p0, ...more] = ours(inv.invoiceId);
    assert.equal(more.length, 0);
    assert.equal(p0.amount, 10000000n, '100 000.00 IDR: what was still due');
    assert.equal(h.sims.xero.findInvoice(inv.invoiceId)?.status, 'PAID');

    const p = await payment(x.id);
    const reason = `over-payment: paid 150000 IDR at Xendit, due was 100000 IDR in Xero (${inv.invoiceNumber}), 50000 IDR unrecorded`;
    assert.equal(p?.syncState, 'needs_review');
    assert.equal(p?.lastError, reason);
    assert.equal(p?.amount, 150000);
    assert.equal(p?.amountRecorded, 100000);
    assert.equal(p?.xeroPaymentId, p0.paymentId);
    assert.equal(p?.feeState, 'posted', "Xendit's fee on the whole amount is still posted");
    assert.deepEqual(await jobs(), ['record-payment:needs_review', 'post-fee:done']);
    assert.equal((await h.stores.jobs.list())[0].lastError, reason);

    h.clock.advance(24 * 3600_000);
    assert.equal(await h.worker.drain(), 0, 'no retry loop');

    // An operator replays the job: the part already in Xero is found, nothing is added.
    await enqueueJob(
      h.stores.db,
      { kind: 'record-payment', merchantId: h.merchant.id, payload: { merchantId: h.merchant.id, xenditInvoiceId: x.id } },
      h.clock(),
    );
    await h.worker.drain();
    assert.equal(ours(inv.invoiceId).length, 1);
    const again = await payment(x.id);
    assert.equal(again?.syncState, 'needs_review');
    assert.equal(again?.lastError, `over-payment: paid 150000 IDR at Xendit, 100000 IDR recorded in Xero (${inv.invoiceNumber}), 50000 IDR unrecorded`);
  });

  it('records nothing when the invoice was fully paid meanwhile (customer paid twice), and says so', async () => {
    const { inv, x } = await checkout();
    h.sims.xero.recordPayment(h.tenantId, inv.invoiceId, '150000', savings(), 'Bank transfer');
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();

    assert.equal(ours(inv.invoiceId).length, 0);
    assert.equal(paymentWrites(), 1, 'one createPayment with the whole amount, refused by Xero; nothing more is sent');
    const p = await payment(x.id);
    assert.equal(p?.syncState, 'needs_review');
    assert.equal(p?.lastError, `over-payment: paid 150000 IDR at Xendit, due was 0 IDR in Xero (${inv.invoiceNumber}), 150000 IDR unrecorded`);
    assert.equal(p?.xeroPaymentId, null);
    assert.deepEqual(await jobs(), ['record-payment:needs_review']);
  });

  /** The merchant records the customer's money received ahead (a prepayment) in Xero and allocates `amount` of it to the invoice. */
  const prepaid = async (invoiceId: string, amount: bigint) => {
    const { prepaymentId } = h.sims.xero.test.receiveCredit(h.tenantId, 'RECEIVE-PREPAYMENT', { contactName: 'Budi', amount });
    await h.sims.xero.test.allocatePrepayment(h.tenantId, prepaymentId!, amount, invoiceId);
  };

  it('an invoice covered meanwhile by a prepayment the merchant allocated in Xero (PAID, nothing paid): nothing booked on it a second time, to review', async () => {
    const { inv, x } = await checkout();
    await prepaid(inv.invoiceId, 15000000n);
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();

    assert.equal(ours(inv.invoiceId).length, 0, 'the invoice is covered: no payment of ours on it');
    assert.equal(h.sims.xero.findInvoice(inv.invoiceId)?.amountPaid, 0n);
    const p = await payment(x.id);
    assert.equal(p?.syncState, 'needs_review');
    assert.equal(p?.lastError, `over-payment: paid 150000 IDR at Xendit, due was 0 IDR in Xero (${inv.invoiceNumber}), 150000 IDR unrecorded`);
  });

  it('with overpayments on, the money for an invoice a prepayment covered meanwhile becomes the customer’s overpayment, not a second payment of the invoice', async () => {
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { overpayments: true }, h.clock());
    const { inv, x } = await checkout();
    await prepaid(inv.invoiceId, 10000000n);
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();

    const [p0, ...more] = ours(inv.invoiceId);
    assert.equal(more.length, 0);
    assert.equal(p0.amount, 5000000n, '50 000.00 IDR: what the prepayment left due');
    assert.equal(h.sims.xero.findInvoice(inv.invoiceId)?.status, 'PAID');
    const p = await payment(x.id);
    assert.equal(p?.syncState, 'recorded');
    assert.equal(p?.overpaid, 100000);
    const over = h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.type === 'RECEIVE-OVERPAYMENT');
    assert.deepEqual(
      over.map((t) => t.total),
      [10000000n],
    );
  });

  it('records the whole amount when it is exactly what is due (the guard does not get in the way)', async () => {
    const { inv, x } = await checkout();
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    assert.equal(ours(inv.invoiceId)[0].amount, 15000000n);
    const p = await payment(x.id);
    assert.equal(p?.syncState, 'recorded');
    assert.equal(p?.amountRecorded, null);
  });

  it('puts the payment in needs_review before createPayment when the clearing account is in another currency', async () => {
    const usd = h.sims.xero.addAccount(h.tenantId, { code: '093', name: 'Xendit USD', type: 'BANK', currencyCode: 'USD' });
    await h.stores.db.updateTable('merchants').set({ clearing_account_id: usd.accountId }).where('id', '=', h.merchant.id).execute();
    const { inv, x } = await checkout();
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();

    assert.equal(paymentWrites(), 0, 'createPayment never called');
    assert.equal(h.sims.xero.paymentsOf(inv.invoiceId).length, 0);
    const p = await payment(x.id);
    assert.equal(p?.syncState, 'needs_review');
    assert.equal(
      p?.lastError,
      `currency mismatch: the clearing account Xendit USD is in USD, invoice ${inv.invoiceNumber} is in IDR; configure a clearing account in IDR (merchants add --clearing-account IDR=ID) to record 150000 IDR`,
    );
    assert.deepEqual(await jobs(), ['record-payment:needs_review']);
  });

  it('puts the payment in needs_review when the clearing account is gone from Xero', async () => {
    h.sims.xero.test.archiveAccount(h.tenantId, h.sims.xero.bankAccountFor(h.tenantId, 'Xendit').accountId);
    const { x } = await checkout();
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    assert.equal(paymentWrites(), 0);
    assert.match((await payment(x.id))?.lastError ?? '', /clearing account .* is not an active bank account in Xero/);
  });

  it('lists the bank accounts once for a run of payments into the same clearing account, and again after 10 minutes', async () => {
    const accountLists = () => h.sims.xero.test.countRequests({ method: 'GET', pathSuffix: '/Accounts' });
    const payOne = async () => {
      const { x } = await checkout();
      await h.sims.xendit.pay(x.id);
      await h.worker.drain();
      return (await payment(x.id))?.syncState;
    };
    assert.equal(await payOne(), 'recorded');
    assert.equal(await payOne(), 'recorded');
    assert.equal(accountLists(), 1, 'the second payment reused the account seen active in IDR');

    // Archived meanwhile: once the remembered answer lapses, the check runs again and catches it.
    h.sims.xero.test.archiveAccount(h.tenantId, h.sims.xero.bankAccountFor(h.tenantId, 'Xendit').accountId);
    h.clock.advance(10 * 60_000 + 1);
    assert.equal(await payOne(), 'needs_review');
    assert.equal(accountLists(), 2);
  });

  it('still refuses a currency mismatch after an account was remembered (per-currency clearing accounts)', async () => {
    const { x } = await checkout();
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    assert.equal((await payment(x.id))?.syncState, 'recorded');
    // The merchant now points IDR at a USD account: the remembered IDR account does not vouch for it.
    const usd = h.sims.xero.addAccount(h.tenantId, { code: '094', name: 'Xendit USD 2', type: 'BANK', currencyCode: 'USD' });
    await h.stores.db.updateTable('merchants').set({ clearing_account_id: usd.accountId }).where('id', '=', h.merchant.id).execute();
    const second = await checkout();
    await h.sims.xendit.pay(second.x.id);
    await h.worker.drain();
    assert.match((await payment(second.x.id))?.lastError ?? '', /currency mismatch: the clearing account Xendit USD 2 is in USD/);
  });
});
