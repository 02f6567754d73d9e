/**
 * Contract test (issue 14): every answer of the Xendit simulator that the gateway reads, and the
 * callback it sends, read strictly by xendit-node 7's own models (test/contract/strict.ts).
 */
import { strict as assert } from 'node:assert';
import express from 'express';
import request from 'supertest';
import { createXenditSimulator } from '../../app/simulators/xendit/index.js';
import { invoiceSchema } from '../../app/clients/xendit/invoices.js';
import { transactionSchema } from '../../app/clients/xendit/transactions.js';
import { withdrawalSchema } from '../../app/clients/xendit/balance.js';
import { strictXendit, xenditFieldsOf, type Extras } from './strict.js';

/**
 * Fields of Xendit's invoice that xendit-node's Invoice and InvoiceCallback models lack, as Xendit
 * documents them: the invoice callback example (docs.xendit.co/apidocs invoice callback: "is_high",
 * "adjusted_received_amount", "fees_paid_amount") and the invoice object of GET /v2/invoices. The
 * gateway reads fees_paid_amount only as a hint (issue 14 item 2: the fee comes from the transaction).
 */
const INVOICE_EXTRAS: Extras = { fees_paid_amount: 'number', adjusted_received_amount: 'number' };
const CALLBACK_EXTRAS: Extras = { ...INVOICE_EXTRAS, is_high: 'boolean' };
/**
 * Fields of a transaction that xendit-node's TransactionResponse lacks: net_amount (docs.xendit.co
 * "List transactions" response) and product_data (payment_link_id for invoice payments, read
 * leniently by clients/xendit.ts getFeeTax). settlement_status may be null ("not applicable or not
 * yet determined", the same response; a payment voided before settlement, docs.xendit.co
 * "Transaction and Settlement statuses"), which xendit-node's enum lacks.
 */
const TRANSACTION_EXTRAS: Extras = { 'data.net_amount': 'number', 'data.product_data': 'object', 'data.settlement_status': 'null' };

const SECRET = 'xnd_development_contract';

async function simWithInvoices() {
  const callbacks: unknown[] = [];
  const fetchStub: typeof fetch = async (_url, init) => {
    callbacks.push(JSON.parse(String(init?.body)));
    return new Response('ok');
  };
  const sim = createXenditSimulator({ checkoutBaseUrl: 'http://127.0.0.1:9', fetch: fetchStub });
  const app = express().use(sim.router);
  sim.registerAccount({ secretKey: SECRET, callbackToken: 'tok', businessName: 'Toko', callbackUrl: 'http://127.0.0.1:9/callbacks/xendit' });
  const api = (method: 'get' | 'post', path: string) => request(app)[method](path).auth(SECRET, '');
  const create = (externalId: string) =>
    api('post', '/v2/invoices')
      .send({
        external_id: externalId,
        amount: 100000,
        currency: 'IDR',
        description: 'Invoice INV-1 — Toko',
        payer_email: 'budi@example.co.id',
        invoice_duration: 86400,
        success_redirect_url: 'https://gw.example/pay/return?status=paid',
        failure_redirect_url: 'https://gw.example/pay/return?status=failed',
        items: [{ name: 'Kopi', quantity: 2, price: 50000 }],
      })
      .expect(200);
  return { sim, api, create, callbacks };
}

function assertStrict(json: unknown, product: 'invoice' | 'balance_and_transaction', name: string, opts: { also?: string[]; extras?: Extras }): void {
  const problems = strictXendit(json, product, name, opts);
  assert.deepEqual(problems, [], `${name}:\n${problems.join('\n')}`);
}

const asInvoice = { also: ['InvoiceCallback'], extras: INVOICE_EXTRAS };

describe('contract: Xendit simulator answers read strictly by xendit-node 7 models', () => {
  it('POST /v2/invoices, GET /v2/invoices/{id}, GET /v2/invoices?external_id=', async () => {
    const { api, create } = await simWithInvoices();
    const created = (await create('xero-INV-1-a')).body;
    assertStrict(created, 'invoice', 'Invoice', asInvoice);
    assertStrict((await api('get', `/v2/invoices/${created.id}`).expect(200)).body, 'invoice', 'Invoice', asInvoice);
    const list = (await api('get', '/v2/invoices?external_id=xero-INV-1-a&limit=100').expect(200)).body;
    assert.equal(list.length, 1);
    for (const row of list) assertStrict(row, 'invoice', 'Invoice', asInvoice);
  });

  it('a paid invoice (GET, list by status and paid_at) and the PAID callback', async () => {
    const { sim, api, create, callbacks } = await simWithInvoices();
    const created = (await create('xero-INV-2-a')).body;
    await sim.pay(created.id, { paymentMethod: 'BANK_TRANSFER', paymentChannel: 'BCA' });
    assertStrict((await api('get', `/v2/invoices/${created.id}`).expect(200)).body, 'invoice', 'Invoice', asInvoice);
    const paid = (await api('get', '/v2/invoices?statuses=PAID&statuses=SETTLED&paid_after=2000-01-01T00:00:00.000Z&limit=100').expect(200)).body;
    assert.equal(paid.length, 1);
    assertStrict(paid[0], 'invoice', 'Invoice', asInvoice);
    assert.equal(callbacks.length, 1);
    assertStrict(callbacks[0], 'invoice', 'InvoiceCallback', { extras: CALLBACK_EXTRAS });
    // payment_id is the callback's only: xendit-node's InvoiceCallback has it, its Invoice (GET) has not.
    assert.equal((await api('get', `/v2/invoices/${created.id}`).expect(200)).body.payment_id, undefined);
    assert.equal(paid[0].payment_id, undefined);
    assert.equal(typeof (callbacks[0] as { payment_id?: unknown }).payment_id, 'string');
    assert.ok(xenditFieldsOf('invoice', 'InvoiceCallback').includes('payment_id'));
    assert.ok(!xenditFieldsOf('invoice', 'Invoice').includes('payment_id'));
  });

  it('POST /invoices/{id}/expire! and the EXPIRED callback', async () => {
    const { api, create, callbacks } = await simWithInvoices();
    const created = (await create('xero-INV-3-a')).body;
    assertStrict((await api('post', `/invoices/${created.id}/expire!`).expect(200)).body, 'invoice', 'Invoice', asInvoice);
    // Until the callback arrives; the bound only stops a hang (half a second was not enough under load).
    for (const until = Date.now() + 10_000; !callbacks.length && Date.now() < until;) await new Promise((r) => setTimeout(r, 10));
    assert.equal(callbacks.length, 1);
    assertStrict(callbacks[0], 'invoice', 'InvoiceCallback', { extras: CALLBACK_EXTRAS });
  });

  it('GET /transactions?reference_id=… (the fee of a payment)', async () => {
    const { sim, api, create } = await simWithInvoices();
    const created = (await create('xero-INV-4-a')).body;
    // An e-wallet payment: Xendit voids those (docs.xendit.co e-wallet "Void and Refund"), never a virtual account's.
    await sim.pay(created.id, { sendCallback: false, paymentMethod: 'EWALLET', paymentChannel: 'SHOPEEPAY' });
    const body = (await api('get', '/transactions?reference_id=xero-INV-4-a&types=PAYMENT&limit=50').expect(200)).body;
    assert.equal(body.data.length, 1);
    assertStrict(body, 'balance_and_transaction', 'TransactionsResponse', { extras: TRANSACTION_EXTRAS });
    // Voided before it settled: status VOIDED, settlement_status null.
    await sim.refund(created.id, { void: true, sendWebhook: false });
    const voided = (await api('get', '/transactions?reference_id=xero-INV-4-a&types=PAYMENT&limit=50').expect(200)).body;
    assert.equal(voided.data[0].status, 'VOIDED');
    assertStrict(voided, 'balance_and_transaction', 'TransactionsResponse', { extras: TRANSACTION_EXTRAS });
  });

  it('GET /transactions?types=WITHDRAWAL&statuses=SUCCESS (settlements) and GET /balance', async () => {
    const { sim, api, create } = await simWithInvoices();
    const created = (await create('xero-INV-5-a')).body;
    await sim.pay(created.id, { sendCallback: false });
    await sim.settle(created.id, { sendCallback: false });
    sim.test.withdraw(SECRET, 'IDR', 50_000);
    const body = (await api('get', '/transactions?types=WITHDRAWAL&statuses=SUCCESS&limit=50').expect(200)).body;
    assert.equal(body.data.length, 1);
    assertStrict(body, 'balance_and_transaction', 'TransactionsResponse', { extras: TRANSACTION_EXTRAS });
    assertStrict((await api('get', '/balance?account_type=CASH&currency=IDR').expect(200)).body, 'balance_and_transaction', 'Balance', {});
  });

  it('GET /transactions?types=REFUND&types=CHARGEBACK (money going back, listed beside payments)', async () => {
    const { sim, api, create } = await simWithInvoices();
    const created = (await create('xero-INV-6-a')).body;
    await sim.pay(created.id, { sendCallback: false, paymentMethod: 'EWALLET', paymentChannel: 'SHOPEEPAY' });
    await sim.refund(created.id, { amount: 40_000, sendWebhook: false });
    const { id } = await sim.dispute(created.id, { amount: 10_000, sendWebhook: false });
    await sim.resolveDispute(id, 'LOST', { sendWebhook: false });
    const body = (await api('get', '/transactions?types=REFUND&types=CHARGEBACK&limit=50').expect(200)).body;
    const types: string[] = body.data.map((t: { type: string }) => t.type);
    assert.deepEqual([...types].sort(), ['CHARGEBACK', 'REFUND']);
    // CHARGEBACK is a type of the API reference (docs.xendit.co/apidocs/list-transactions) that
    // xendit-node's TransactionTypes lacks; its TransactionResponseType takes any name. All else is strict.
    assert.deepEqual(strictXendit(body, 'balance_and_transaction', 'TransactionsResponse', { extras: TRANSACTION_EXTRAS }), [
      `TransactionsResponse.data[${types.indexOf('CHARGEBACK')}].type: "CHARGEBACK" is not in xendit-node's TransactionTypes`,
    ]);
  });

  describe('POST /refunds refuses as Xendit does', () => {
    const paidInvoice = async (currency: 'IDR' | 'PHP' = 'IDR') => {
      const s = await simWithInvoices();
      const created = (
        await s
          .api('post', '/v2/invoices')
          .send({ external_id: `xero-R-${currency}`, amount: 100000, currency, description: 'Invoice R', invoice_duration: 86400 })
          .expect(200)
      ).body;
      const refund = (body: Record<string, unknown>) => s.api('post', '/refunds').send({ invoice_id: created.id, ...body });
      return { ...s, created, refund };
    };
    const balance = async (api: Awaited<ReturnType<typeof simWithInvoices>>['api']) =>
      (await api('get', '/balance?account_type=CASH&currency=IDR').expect(200)).body.balance as number;

    it('a reason missing or not one of its five: 400 API_VALIDATION_ERROR (docs.xendit.co/apidocs/refund-payment-request: reason Required)', async () => {
      const { sim, created, refund } = await paidInvoice();
      await sim.pay(created.id, { sendCallback: false, paymentMethod: 'EWALLET', paymentChannel: 'SHOPEEPAY' });
      for (const reason of [undefined, '', 'PLEASE', 'requested_by_customer']) {
        const res = await refund({ amount: 1000, ...(reason === undefined ? {} : { reason }) }).expect(400);
        assert.equal(res.body.error_code, 'API_VALIDATION_ERROR', String(reason));
      }
      await refund({ amount: 1000, reason: 'FRAUDULENT' }).expect(200);
    });

    it('a payment not paid (or voided): 403 INELIGIBLE_TRANSACTION, as docs.xendit.co QR "Test scenarios" answer it', async () => {
      const { refund } = await paidInvoice();
      const res = await refund({ amount: 1000, reason: 'OTHERS' }).expect(403);
      assert.equal(res.body.error_code, 'INELIGIBLE_TRANSACTION');
    });

    it('more than the balance can pay: 400 INSUFFICIENT_BALANCE, nothing made, the CASH balance never below zero', async () => {
      const { sim, api, created, refund } = await paidInvoice();
      await sim.pay(created.id, { sendCallback: false, paymentMethod: 'EWALLET', paymentChannel: 'SHOPEEPAY' });
      // Paid 100 000, Xendit's fee 2 900: the payment brings 97 100, and the balance holds nothing else.
      const short = await refund({ amount: 100000, reason: 'OTHERS' }).expect(400);
      assert.equal(short.body.error_code, 'INSUFFICIENT_BALANCE');
      await sim.settle(created.id, { sendCallback: false });
      assert.equal(await balance(api), 97100);
      assert.equal((await refund({ amount: 97101, reason: 'OTHERS' }).expect(400)).body.error_code, 'INSUFFICIENT_BALANCE');
      assert.equal((await api('get', `/refunds?invoice_id=${created.id}`).expect(200)).body.data.length, 0, 'nothing made');
      await refund({ amount: 97100, reason: 'OTHERS' }).expect(200);
      assert.equal(await balance(api), 0);
    });

    it('the same as a refund that FAILED with failure_code INSUFFICIENT_BALANCE (the docs\' "Failure Code via Callback"), where the account says so', async () => {
      const { sim, api, created, refund } = await paidInvoice();
      await sim.pay(created.id, { sendCallback: false, paymentMethod: 'EWALLET', paymentChannel: 'SHOPEEPAY' });
      await sim.settle(created.id, { sendCallback: false });
      sim.test.updateAccount(SECRET, { insufficientBalance: 'fail' });
      const made = (await refund({ amount: 100000, reason: 'OTHERS' }).expect(200)).body;
      assert.equal(made.status, 'PENDING');
      const ended = (await api('get', `/refunds/${made.id}`).expect(200)).body;
      assert.deepEqual([ended.status, ended.failure_code], ['FAILED', 'INSUFFICIENT_BALANCE']);
      assert.equal(await balance(api), 97100, 'nothing left the balance');
    });

    it("the refund's country is its currency's, and a payment's transaction its channel's category", async () => {
      const { sim, api, created, refund } = await paidInvoice('PHP');
      await sim.pay(created.id, { sendCallback: false, paymentMethod: 'EWALLET', paymentChannel: 'GCASH' });
      await sim.settle(created.id, { sendCallback: false });
      const made = (await refund({ amount: 1000, reason: 'OTHERS' }).expect(200)).body;
      assert.equal(made.country, 'PH');
      const tx = (await api('get', '/transactions?reference_id=xero-R-PHP&types=PAYMENT&limit=50').expect(200)).body;
      assert.equal(tx.data[0].channel_category, 'EWALLET');
    });
  });

  it("every field the gateway reads is in xendit-node's models or a documented extra", () => {
    const invoiceFields = [...xenditFieldsOf('invoice', 'Invoice'), ...xenditFieldsOf('invoice', 'InvoiceCallback'), ...Object.keys(INVOICE_EXTRAS)];
    assert.deepEqual(
      Object.keys(invoiceSchema.shape).filter((k) => !invoiceFields.includes(k)),
      [],
    );
    const txFields = [
      ...xenditFieldsOf('balance_and_transaction', 'TransactionResponse'),
      ...Object.keys(TRANSACTION_EXTRAS).map((k) => k.replace(/^data\./, '')),
    ];
    assert.deepEqual(
      Object.keys(transactionSchema.shape).filter((k) => !txFields.includes(k)),
      [],
    );
    assert.deepEqual(
      Object.keys(withdrawalSchema.shape).filter((k) => !txFields.includes(k)),
      [],
    );
  });

  it('reads what it should: a field xendit-node does not model, a wrong type, a bad date or an unknown enum value fails', async () => {
    const { create } = await simWithInvoices();
    const good = (await create('xero-INV-5-a')).body;
    assert.deepEqual(strictXendit(good, 'invoice', 'Invoice', asInvoice), []);
    assert.match(strictXendit({ ...good, amount: '100000' }, 'invoice', 'Invoice', asInvoice).join(), /amount: "100000" is not a number/);
    assert.match(strictXendit({ ...good, status: 'ACTIVE' }, 'invoice', 'Invoice', asInvoice).join(), /"ACTIVE" is not in xendit-node's InvoiceStatus/);
    assert.match(strictXendit({ ...good, currency: 'SGD' }, 'invoice', 'Invoice', asInvoice).join(), /"SGD" is not in xendit-node's InvoiceCurrency/);
    assert.match(
      strictXendit({ ...good, expiry_date: '2026-03-01' }, 'invoice', 'Invoice', asInvoice).join(),
      /expiry_date: "2026-03-01" is not an ISO 8601 date/,
    );
    assert.match(strictXendit({ ...good, checkout_url: 'x' }, 'invoice', 'Invoice', asInvoice).join(), /checkout_url: not in xendit-node's Invoice/);
    const { available_banks: _dropped, ...missing } = good;
    assert.match(strictXendit(missing, 'invoice', 'Invoice', asInvoice).join(), /available_banks: required by xendit-node's Invoice, missing/);
    assert.match(strictXendit({ ...good, fees_paid_amount: '0' }, 'invoice', 'Invoice', asInvoice).join(), /fees_paid_amount: "0" is not number/);
  });
});
