/**
 * The simulated Xendit refunds as the real one does by how the invoice was paid: "Not all payment
 * channels support refunds" (docs.xendit.co "Refund a payment request"), refused with xendit-node's
 * CreateRefund400Response codes, through POST /refunds and the dashboard's Refund alike.
 */
import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { getSims, REFUNDABLE, resetSims, type PaidBy, type Sims } from '../helpers/sims.js';

describe('simulated Xendit: refunds by payment channel', () => {
  const key = 'xnd_development_refund_channels';
  let sims: Sims;
  beforeEach(async () => {
    sims = await getSims();
    resetSims();
    sims.xendit.registerAccount({ secretKey: key, callbackToken: 'tok', businessName: 'Toko Kanal' });
  });

  async function paid(paidBy?: PaidBy) {
    const { id } = sims.xendit.createInvoice({ account: key, currency: 'IDR', amount: 100_000 });
    await sims.xendit.pay(id, { sendCallback: false, ...paidBy });
    return id;
  }
  // reason is required (docs.xendit.co/apidocs/refund-payment-request).
  const refund = (body: Record<string, unknown>) =>
    request(sims.xenditUrl)
      .post('/refunds')
      .auth(key, '')
      .send({ reason: 'OTHERS', ...body });
  const refundsOf = async (invoiceId: string) => (await request(sims.xenditUrl).get(`/refunds?invoice_id=${invoiceId}`).auth(key, '').expect(200)).body.data;

  it('a virtual account payment (the default) is never refunded: POST /refunds and the dashboard refuse it REFUND_NOT_SUPPORTED, nothing made', async () => {
    const id = await paid();
    const answer = await refund({ invoice_id: id, reason: 'OTHERS' }).expect(400);
    assert.deepEqual(Object.keys(answer.body).sort(), ['error_code', 'message']);
    assert.equal(answer.body.error_code, 'REFUND_NOT_SUPPORTED');
    assert.match(answer.body.message, /BANK_TRANSFER BCA/);
    const page = await request(sims.xenditUrl).post('/dashboard/refunds').type('form').send({ invoice_id: id, amount: '40000' }).expect(400);
    assert.match(cheerio.load(page.text)('body').text(), /REFUND_NOT_SUPPORTED/);
    const voided = await request(sims.xenditUrl).post('/dashboard/refunds').type('form').send({ invoice_id: id, void: 'on' }).expect(400);
    assert.match(cheerio.load(voided.text)('body').text(), /REFUND_NOT_SUPPORTED/);
    assert.equal((await refundsOf(id)).length, 0);
    assert.equal(sims.xendit.getInvoice(id)?.voidedAt, undefined);
  });

  it('OVO (an invoice is a one-time payment) and a retail outlet are refused REFUND_NOT_SUPPORTED too', async () => {
    for (const paidBy of [
      { paymentMethod: 'EWALLET', paymentChannel: 'OVO' },
      { paymentMethod: 'RETAIL_OUTLET', paymentChannel: 'ALFAMART' },
    ]) {
      const id = await paid(paidBy);
      assert.equal((await refund({ invoice_id: id, amount: 10_000 }).expect(400)).body.error_code, 'REFUND_NOT_SUPPORTED', paidBy.paymentChannel);
    }
  });

  it('QRIS is refunded only whole: a part is refused PARTIAL_REFUND_NOT_SUPPORTED (API and dashboard), the whole is made and names QR_CODE / QRIS', async () => {
    const id = await paid({ paymentMethod: 'QR_CODE', paymentChannel: 'QRIS' });
    assert.equal((await refund({ invoice_id: id, amount: 40_000 }).expect(400)).body.error_code, 'PARTIAL_REFUND_NOT_SUPPORTED');
    const page = await request(sims.xenditUrl).post('/dashboard/refunds').type('form').send({ invoice_id: id, amount: '40000' }).expect(400);
    assert.match(cheerio.load(page.text)('body').text(), /PARTIAL_REFUND_NOT_SUPPORTED/);
    // All of it leaves the balance, which the payment fills only net of its fee: a top-up pays the rest.
    sims.xendit.test.movement(key, { type: 'TOPUP', currency: 'IDR', amount: 10_000, cashflow: 'MONEY_IN' });
    const made = (await refund({ invoice_id: id }).expect(200)).body;
    assert.deepEqual([made.amount, made.payment_method_type, made.channel_code], [100_000, 'QR_CODE', 'QRIS']);
  });

  it('ShopeePay is refunded in part, the refund naming EWALLET / SHOPEEPAY; more than is left MAXIMUM_REFUND_AMOUNT_REACHED; an unpaid invoice INELIGIBLE_TRANSACTION', async () => {
    const id = await paid(REFUNDABLE);
    const made = (await refund({ invoice_id: id, amount: 40_000 }).expect(200)).body;
    assert.deepEqual([made.status, made.amount, made.payment_method_type, made.channel_code], ['PENDING', 40_000, 'EWALLET', 'SHOPEEPAY']);
    await refundsOf(id); // the pending refund ends (the account's refundOutcome: SUCCEEDED) when next called
    assert.equal((await refund({ invoice_id: id, amount: 70_000 }).expect(400)).body.error_code, 'MAXIMUM_REFUND_AMOUNT_REACHED');
    const card = await paid({ paymentMethod: 'CREDIT_CARD', paymentChannel: 'CREDIT_CARD' });
    assert.equal((await refund({ invoice_id: card, amount: 10_000 }).expect(200)).body.payment_method_type, 'CARD');
    const unpaid = sims.xendit.createInvoice({ account: key, currency: 'IDR', amount: 100_000 }).id;
    assert.equal((await refund({ invoice_id: unpaid }).expect(403)).body.error_code, 'INELIGIBLE_TRANSACTION');
  });

  it('a channel no source names (direct debit, an unlisted e-wallet) is refunded, in part too, through POST /refunds and the dashboard: Xendit decides, so the simulator does not refuse', async () => {
    for (const paidBy of [
      { paymentMethod: 'DIRECT_DEBIT', paymentChannel: 'DD_BRI' },
      { paymentMethod: 'EWALLET', paymentChannel: 'JENIUSPAY' },
    ]) {
      const id = await paid(paidBy);
      await sims.xendit.settle(id, { sendCallback: false }); // in the balance, which pays the refunds
      const made = (await refund({ invoice_id: id, amount: 40_000 }).expect(200)).body;
      assert.deepEqual([made.amount, made.payment_method_type, made.channel_code], [40_000, paidBy.paymentMethod, paidBy.paymentChannel]);
      await refundsOf(id); // the pending refund ends
      await request(sims.xenditUrl).post('/dashboard/refunds').type('form').send({ invoice_id: id, amount: '10000' }).expect(303);
      assert.deepEqual((await refundsOf(id)).map((r: { amount: number }) => r.amount).sort(), [10_000, 40_000], paidBy.paymentChannel);
    }
  });

  it("the dashboard's Refund, as POST /refunds, is refused INSUFFICIENT_BALANCE beyond what the balance can pay: the CASH balance never below zero", async () => {
    const id = await paid(REFUNDABLE); // 100 000, Xendit's fee 2 900: it brings 97 100
    await sims.xendit.settle(id, { sendCallback: false });
    const refundAt = (amount: string) => request(sims.xenditUrl).post('/dashboard/refunds').type('form').send({ invoice_id: id, amount });
    assert.match(
      cheerio
        .load((await refundAt('97101').expect(400)).text)('body')
        .text(),
      /INSUFFICIENT_BALANCE/,
    );
    await refundAt('97100').expect(303);
    assert.equal(sims.xendit.test.balance(key, 'IDR'), 0);
  });

  it('Void is offered on e-wallet and QR payments only (where Xendit documents it); a void of a card sent anyway is refused with words, no made-up error code', async () => {
    const wallet = await paid(REFUNDABLE);
    const card = await paid({ paymentMethod: 'CREDIT_CARD', paymentChannel: 'CREDIT_CARD' });
    const $ = cheerio.load((await request(sims.xenditUrl).get('/dashboard').expect(200)).text);
    const voidOffered = (id: string) => $(`form.refund:has(input[name=invoice_id][value="${id}"]) input[name=void]`).length;
    assert.equal(voidOffered(wallet), 1);
    assert.equal(voidOffered(card), 0);
    const page = await request(sims.xenditUrl).post('/dashboard/refunds').type('form').send({ invoice_id: card, void: 'on' }).expect(400);
    const text = cheerio.load(page.text)('body').text();
    assert.match(text, /Void is offered for e-wallet and QR payments only/);
    assert.doesNotMatch(text, /[A-Z]+_[A-Z_]+: Void/);
    assert.equal((await refundsOf(card)).length, 0);
    await request(sims.xenditUrl).post('/dashboard/refunds').type('form').send({ invoice_id: wallet, void: 'on' }).expect(303);
    assert.ok(sims.xendit.getInvoice(wallet)?.voidedAt);
  });

  it('the checkout lets the payer choose the channel, and the invoice records it', async () => {
    const { id } = sims.xendit.createInvoice({ account: key, currency: 'IDR', amount: 100_000 });
    const $ = cheerio.load((await request(sims.xenditUrl).get(`/checkout/${id}`).expect(200)).text);
    const offered = $('form input[name=channel]')
      .map((_, i) => $(i).val())
      .get();
    assert.deepEqual(offered, ['BCA', 'SHOPEEPAY', 'OVO', 'QRIS', 'CREDIT_CARD']);
    await request(sims.xenditUrl).post(`/checkout/${id}/pay`).type('form').send({ channel: 'SHOPEEPAY' }).expect(303);
    assert.deepEqual([sims.xendit.getInvoice(id)?.paymentMethod, sims.xendit.getInvoice(id)?.paymentChannel], ['EWALLET', 'SHOPEEPAY']);
  });
});
