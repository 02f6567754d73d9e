/**
 * The simulators' side of settlements, through the gateway's own clients: Xendit's balance and
 * withdrawals (GET /balance, GET /transactions?types=WITHDRAWAL, the dashboard's Withdraw), and
 * Xero's Bank Transfers (PUT/GET /BankTransfers and their validation) and Bank Summary, and the
 * Receive and Spend Money a withdrawal from a non-bank clearing account becomes.
 */
import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import express from 'express';
import { getSims, REFUNDABLE, resetSims, type Sims } from '../helpers/sims.js';
import { UpstreamError } from '../../app/clients/types.js';
import { createXenditSimulator } from '../../app/simulators/xendit/index.js';

describe('simulators: balance, withdrawals, bank transfers', () => {
  let sims: Sims;
  beforeEach(async () => {
    sims = await getSims();
    resetSims();
  });

  describe('Xendit', () => {
    const key = 'xnd_development_settle';
    let userId: string;
    beforeEach(async () => {
      userId = sims.xendit.registerAccount({ secretKey: key, callbackToken: 'tok', businessName: 'Toko Saldo' }).userId;
      invoiceId = sims.xendit.createInvoice({ account: key, currency: 'IDR', amount: 200_000 }).id;
      await sims.xendit.pay(invoiceId, { sendCallback: false, ...REFUNDABLE });
      await sims.xendit.settle(invoiceId, { sendCallback: false });
    });
    let invoiceId: string;

    it('a paid invoice is not in the CASH balance until Xendit settles it: listed as PAYMENT with settlement_status PENDING meanwhile', async () => {
      const other = sims.xendit.createInvoice({ account: key, currency: 'IDR', amount: 100_000 });
      await sims.xendit.pay(other.id, { sendCallback: false });
      const fee = Math.round(200_000 * 0.029);
      const otherFee = Math.round(100_000 * 0.029);
      assert.equal(await sims.xenditClient.getBalance(key, 'IDR'), 200_000 - fee, 'only the settled one');
      assert.equal(sims.xendit.test.pendingSettlement(key, 'IDR'), 100_000 - otherFee);
      assert.deepEqual(await sims.xenditClient.unsettledPayments(key, 'IDR', new Date(Date.now() - 86_400_000)), [
        { paidAt: sims.xendit.getInvoice(other.id)!.paidAt, gross: 100_000, fees: otherFee, withheld: 0 },
      ]);
      assert.deepEqual(await sims.xenditClient.unsettledPayments(key, 'PHP', new Date(Date.now() - 86_400_000)), []);
      assert.throws(() => sims.xendit.test.withdraw(key, 'IDR', 200_000 - fee + 1), /exceeds the balance/, 'unsettled money cannot be withdrawn');
      await sims.xendit.settle(other.id, { sendCallback: false });
      assert.equal(await sims.xenditClient.getBalance(key, 'IDR'), 300_000 - fee - otherFee);
      assert.deepEqual(await sims.xenditClient.unsettledPayments(key, 'IDR', new Date(Date.now() - 86_400_000)), []);
    });

    it('the CASH balance is what was paid less the fee; a withdrawal takes from it and is listed as a SUCCESS WITHDRAWAL', async () => {
      const fee = Math.round(200_000 * 0.029);
      assert.equal(await sims.xenditClient.getBalance(key, 'IDR'), 200_000 - fee);
      assert.equal(await sims.xenditClient.getBalance(key, 'PHP'), 0);
      const w = sims.xendit.test.withdraw(key, 'IDR', 150_000);
      assert.equal(await sims.xenditClient.getBalance(key, 'IDR'), 50_000 - fee);
      const page = await sims.xenditClient.listWithdrawals(key, { currency: 'IDR', limit: 50 });
      assert.deepEqual(
        page.withdrawals.map((x) => [x.id, x.status, x.currency, x.amount]),
        [[w.id, 'SUCCESS', 'IDR', 150_000]],
      );
      assert.equal(page.hasMore, false);
      // Created before the range asked: not listed.
      assert.equal(
        (await sims.xenditClient.listWithdrawals(key, { currency: 'IDR', limit: 50, createdAfter: new Date(Date.now() + 60_000) })).withdrawals.length,
        0,
      );
    });

    it('GET /transactions without currency: answered for an account holding one currency, refused (400) once it holds two', async () => {
      const all = () => request(sims.xenditUrl).get('/transactions').auth(key, '');
      assert.equal((await all().expect(200)).body.data.length, 1);
      const php = sims.xendit.createInvoice({ account: key, currency: 'PHP', amount: 10_000 });
      await sims.xendit.pay(php.id, { sendCallback: false });
      assert.equal((await all().expect(400)).body.error_code, 'API_VALIDATION_ERROR');
      const listed = async (currency: string) =>
        (await request(sims.xenditUrl).get(`/transactions?currency=${currency}`).auth(key, '').expect(200)).body.data.map(
          (t: { currency: string }) => t.currency,
        );
      assert.deepEqual(await listed('PHP'), ['PHP']);
      assert.deepEqual(await listed('IDR'), ['IDR']);
    });

    it('a void (the whole payment, before it settles): listed VOIDED with settlement_status null and its fee as it was; it never settles nor reaches the balance', async () => {
      const other = sims.xendit.createInvoice({ account: key, currency: 'IDR', amount: 100_000, externalId: 'void-me' });
      await sims.xendit.pay(other.id, { sendCallback: false, ...REFUNDABLE });
      const balance = sims.xendit.test.balance(key, 'IDR');
      await assert.rejects(sims.xendit.refund(other.id, { void: true, amount: 50_000 }), /a void cancels the whole payment/);
      await assert.rejects(sims.xendit.refund(invoiceId, { void: true }), /only a payment not settled yet can be voided/);
      await sims.xendit.refund(other.id, { void: true, sendWebhook: false });
      const [t, ...more] = (await request(sims.xenditUrl).get('/transactions?reference_id=void-me&currency=IDR').auth(key, '').expect(200)).body.data;
      assert.equal(more.length, 0);
      assert.deepEqual([t.status, t.settlement_status, t.fee.xendit_fee, t.fee.status], ['VOIDED', null, 2900, 'COMPLETED']);
      assert.equal(sims.xendit.test.balance(key, 'IDR'), balance, 'its money never reached the balance, so none leaves it');
      assert.equal(sims.xendit.test.pendingSettlement(key, 'IDR'), 0);
      await assert.rejects(sims.xendit.settle(other.id, { sendCallback: false }), /voided/);

      // The dashboard's refund form voids too.
      const third = sims.xendit.createInvoice({ account: key, currency: 'IDR', amount: 100_000, externalId: 'void-me-too' });
      await sims.xendit.pay(third.id, { sendCallback: false, ...REFUNDABLE });
      await request(sims.xenditUrl).post('/dashboard/refunds').type('form').send({ invoice_id: third.id, void: 'on' }).expect(303);
      const listed = await request(sims.xenditUrl).get('/transactions?reference_id=void-me-too&currency=IDR').auth(key, '').expect(200);
      assert.equal(listed.body.data[0].status, 'VOIDED');
    });

    it('settling sends no callback, when told or when due (Xendit documents the Paid and Expired callbacks only); a test may ask for one', async () => {
      let now = new Date('2026-12-01T00:00:00Z');
      const sent: { status: string }[] = [];
      const sim = createXenditSimulator({
        checkoutBaseUrl: 'http://127.0.0.1:9',
        now: () => now,
        settleAfterMs: 60_000,
        fetch: async (_url, init) => (sent.push(JSON.parse(String(init?.body))), new Response('ok')),
      });
      sim.registerAccount({ secretKey: key, callbackToken: 'tok', businessName: 'Toko', callbackUrl: 'http://127.0.0.1:9/callbacks/xendit' });
      const paid = async () => {
        const id = sim.createInvoice({ account: key, currency: 'IDR', amount: 10_000 }).id;
        await sim.pay(id);
        return id;
      };
      const [due, told] = [await paid(), await paid()];
      assert.equal(await sim.settle(told), undefined);
      now = new Date(now.getTime() + 60_000);
      await request(express().use(sim.router)).get('/balance?currency=IDR').auth(key, '').expect(200); // due: settled when next looked at
      assert.deepEqual(
        [due, told].map((id) => sim.getInvoice(id)?.status),
        ['SETTLED', 'SETTLED'],
      );
      assert.deepEqual(
        sent.map((c) => c.status),
        ['PAID', 'PAID'],
      );
      assert.equal((await sim.settle(await paid(), { sendCallback: true }))?.status, 'SETTLED');
      assert.equal(sent.at(-1)?.status, 'SETTLED');
    });

    it('money going back is listed as Xendit lists it: a REFUND per refund made, a CHARGEBACK per dispute lost, MONEY_OUT, named by the refund or dispute; nothing for a pending refund or a dispute open or won', async () => {
      const get = (query: string) => request(sims.xenditUrl).get(`/transactions?currency=IDR&${query}`).auth(key, '').expect(200);
      const refund = await sims.xendit.refund(invoiceId, { amount: 50_000, sendWebhook: false });
      await sims.xendit.refund(invoiceId, { amount: 20_000, pending: true, sendWebhook: false });
      const lost = await sims.xendit.dispute(invoiceId, { amount: 30_000, referenceId: 'dispute-ref', sendWebhook: false });
      await sims.xendit.resolveDispute(lost.id, 'LOST', { sendWebhook: false });
      const won = await sims.xendit.dispute(invoiceId, { amount: 10_000, sendWebhook: false });
      await sims.xendit.resolveDispute(won.id, 'WON', { sendWebhook: false });
      await sims.xendit.dispute(invoiceId, { amount: 5_000, sendWebhook: false });

      const back = (await get('types=REFUND&types=CHARGEBACK')).body.data as Record<string, unknown>[];
      const shape = (t: Record<string, unknown>) => [
        t.type,
        t.product_id,
        t.reference_id,
        t.amount,
        t.cashflow,
        t.status,
        t.business_id,
        t.estimated_settlement_time,
      ];
      const externalId = sims.xendit.getInvoice(invoiceId)!.externalId;
      assert.deepEqual(back.map(shape).sort(), [
        ['CHARGEBACK', lost.id, 'dispute-ref', 30_000, 'MONEY_OUT', 'SUCCESS', userId, null],
        ['REFUND', refund.id, externalId, 50_000, 'MONEY_OUT', 'SUCCESS', userId, null],
      ]);
      for (const t of back) assert.deepEqual((await request(sims.xenditUrl).get(`/transactions/${t.id}`).auth(key, '').expect(200)).body, t);
      // Listed among every type, and never as a payment.
      assert.deepEqual(((await get('')).body.data as { type: string }[]).map((t) => t.type).sort(), ['CHARGEBACK', 'PAYMENT', 'REFUND']);
      assert.deepEqual(
        ((await get('types=PAYMENT')).body.data as { type: string }[]).map((t) => t.type),
        ['PAYMENT'],
      );
      assert.equal((await get(`product_id=${refund.id}`)).body.data.length, 1);
    });

    it('a key without the Balance permission gets 403 on GET /balance', async () => {
      sims.xendit.test.updateAccount(key, { permissions: { invoices: 'write', transactions: 'read', balance: 'none' } });
      await assert.rejects(sims.xenditClient.getBalance(key, 'IDR'), (err: unknown) => err instanceof UpstreamError && err.status === 403);
      assert.equal((await sims.xenditClient.listWithdrawals(key, { currency: 'IDR', limit: 1 })).withdrawals.length, 0, 'transactions still readable');
    });

    it('pages newest first with after_id, and types=PAYMENT lists no withdrawal', async () => {
      const a = sims.xendit.test.withdraw(key, 'IDR', 1_000);
      const b = sims.xendit.test.withdraw(key, 'IDR', 2_000);
      const first = await sims.xenditClient.listWithdrawals(key, { currency: 'IDR', limit: 1 });
      assert.equal(first.hasMore, true);
      const second = await sims.xenditClient.listWithdrawals(key, { currency: 'IDR', limit: 1, afterId: first.lastId });
      assert.deepEqual([...first.withdrawals, ...second.withdrawals].map((x) => x.id).sort(), [a.id, b.id].sort());
      const payments = await request(sims.xenditUrl).get('/transactions?types=PAYMENT').auth(key, '').expect(200);
      assert.deepEqual(
        payments.body.data.map((t: { type: string }) => t.type),
        ['PAYMENT'],
      );
    });

    it('the dashboard shows the balance with a Withdraw form; more than the balance is a 400 and nothing moves', async () => {
      const $ = cheerio.load((await request(sims.xenditUrl).get('/dashboard').expect(200)).text);
      assert.equal($('form.withdraw').length, 1);
      await request(sims.xenditUrl).post('/dashboard/withdrawals').type('form').send({ account: userId, currency: 'IDR', amount: '10000' }).expect(303);
      const left = sims.xendit.test.balance(key, 'IDR');
      const refused = await request(sims.xenditUrl)
        .post('/dashboard/withdrawals')
        .type('form')
        .send({ account: userId, currency: 'IDR', amount: String(left + 1) })
        .expect(400);
      assert.match(cheerio.load(refused.text)('.problems').text(), /amount exceeds the balance/);
      assert.equal(sims.xendit.test.balance(key, 'IDR'), left);
      // Empty amount: the whole balance.
      await request(sims.xenditUrl).post('/dashboard/withdrawals').type('form').send({ account: userId, currency: 'IDR', amount: '' }).expect(303);
      assert.equal(sims.xendit.test.balance(key, 'IDR'), 0);
      assert.equal((await sims.xenditClient.listWithdrawals(key, { currency: 'IDR', limit: 50 })).withdrawals.length, 2);
    });

    it("the dashboard's 'Bank sends it back': the withdrawal is listed REVERSED and its money is back in the balance", async () => {
      const before = sims.xendit.test.balance(key, 'IDR');
      const w = sims.xendit.test.withdraw(key, 'IDR', 50_000);
      const $ = cheerio.load((await request(sims.xenditUrl).get('/dashboard').expect(200)).text);
      const form = $(`tr[data-withdrawal="${w.id}"] form`);
      assert.equal(form.find('button').text(), 'Bank sends it back');
      await request(sims.xenditUrl).post(form.attr('action')!).expect(303);
      assert.equal(sims.xendit.test.balance(key, 'IDR'), before);
      const [listed] = (await sims.xenditClient.listWithdrawals(key, { currency: 'IDR', limit: 50 })).withdrawals;
      assert.deepEqual([listed.id, listed.status], [w.id, 'REVERSED']);
      assert.ok(listed.updated && listed.updated >= listed.created);
      const again = cheerio.load((await request(sims.xenditUrl).get('/dashboard').expect(200)).text);
      assert.equal(again(`tr[data-withdrawal="${w.id}"] form`).length, 0, 'sent back once');
      await request(sims.xenditUrl).post('/dashboard/withdrawals/txn_nope/reverse').expect(400);
    });
  });

  describe('Xero', () => {
    const creds = { clientId: 'cid-settle', clientSecret: 'secret', tenantId: '' };
    let tenantId: string;
    let clearing: string;
    let savings: string;
    beforeEach(() => {
      tenantId = sims.xero.addOrganisation({ ...creds, name: 'Toko', shortCode: '!Settle', baseCurrency: 'IDR' }).tenantId;
      clearing = sims.xero.bankAccountFor(tenantId, 'Xendit').accountId;
      savings = sims.xero.bankAccountFor(tenantId, 'Business Savings Account').accountId;
    });
    const transfer = (from: string, to: string, amount = '1000', reference = 'Xendit withdrawal txn_1') =>
      sims.xeroClient.createBankTransfer(
        creds,
        { fromAccountId: from, toAccountId: to, amount, date: '2026-12-01', reference, fromIsReconciled: true, toIsReconciled: false },
        `k-${from}-${to}-${amount}`,
      );

    it('refuses what Xero refuses with a ValidationException: a non-bank account, the same account twice, another currency, no amount, an archived account', async () => {
      const sales = sims.xero.bankAccountFor(tenantId, 'Sales').accountId;
      const usd = sims.xero.addAccount(tenantId, { code: '095', name: 'Bank USD', type: 'BANK', currencyCode: 'USD' }).accountId;
      const archived = sims.xero.addAccount(tenantId, { code: '096', name: 'Old savings', type: 'BANK' }).accountId;
      sims.xero.test.archiveAccount(tenantId, archived);
      for (const [from, to, amount, why] of [
        [clearing, sales, '1000', /must be a bank account/],
        [clearing, clearing, '1000', /must be different/],
        [clearing, usd, '1000', /same currency/],
        [clearing, savings, '0', /greater than zero/],
        [clearing, archived, '1000', /has been archived/],
      ] as const) {
        await assert.rejects(transfer(from, to, amount), (err: unknown) => err instanceof UpstreamError && err.kind === 'rejected' && why.test(err.message));
      }
      assert.equal(sims.xero.test.bankTransfers(tenantId).length, 0);
    });

    it('creates a transfer with its reconciled flags, finds it by Reference, and the Bank Summary moves both balances', async () => {
      const made = await transfer(clearing, savings, '2500.50');
      assert.deepEqual([made.fromAccountId, made.toAccountId, made.amount, made.fromIsReconciled], [clearing, savings, '2500.5', true]);
      const [t] = sims.xero.test.bankTransfers(tenantId);
      assert.deepEqual([t.fromIsReconciled, t.toIsReconciled], [true, false]);
      assert.deepEqual(
        (await sims.xeroClient.findBankTransfersByReference(creds, 'Xendit withdrawal txn_1')).map((x) => x.bankTransferId),
        [made.bankTransferId],
      );
      assert.deepEqual(await sims.xeroClient.findBankTransfersByReference(creds, 'Xendit withdrawal txn_2'), []);
      assert.deepEqual(
        (await sims.xeroClient.listBankTransfersFrom(creds, clearing)).map((x) => [x.bankTransferId, x.date]),
        [[made.bankTransferId, '2026-12-01']],
      );
      const summary = await sims.xeroClient.bankSummary(creds, '2026-12-01');
      assert.equal(summary[clearing], '-2500.50');
      assert.equal(summary[savings], '2500.50');
      assert.equal((await sims.xeroClient.bankSummary(creds, '2026-11-30'))[clearing], '0.00', 'dated after the report');
    });
    it('Receive Money into a bank account with a line coded to a current asset with payments enabled moves both balances; a bank or archived account on the line is refused', async () => {
      const nonBank = sims.xero.addAccount(tenantId, { code: '095', name: 'Xendit clearing', type: 'CURRENT', enablePaymentsToAccount: true });
      const txn = (type: 'RECEIVE' | 'SPEND', accountCode: string, reference: string) =>
        sims.xeroClient.createBankTransaction(
          creds,
          {
            type,
            bankAccountId: savings,
            contactName: 'Xendit',
            date: '2026-12-01',
            reference,
            currencyCode: 'IDR',
            lineItems: [{ description: 'withdrawal', accountCode, amount: '2500.50' }],
            reconciled: false,
          },
          `k-${type}-${accountCode}-${reference}`,
        );
      const made = await txn('RECEIVE', '095', 'Xendit withdrawal txn_1');
      assert.deepEqual([made.type, made.bankAccountId, made.lineItems.map((l) => l.accountCode)], ['RECEIVE', savings, ['095']]);
      assert.deepEqual(
        (await sims.xeroClient.findBankTransactionsByReference(creds, 'Xendit withdrawal txn_1')).map((t) => t.bankTransactionId),
        [made.bankTransactionId],
      );
      assert.equal(sims.xero.balanceOf(tenantId, savings), 250050n);
      assert.equal(sims.xero.balanceOf(tenantId, nonBank.accountId), -250050n, 'the line credits the account it is coded to');
      await txn('SPEND', '095', 'Xendit withdrawal reversed txn_1');
      assert.deepEqual([sims.xero.balanceOf(tenantId, savings), sims.xero.balanceOf(tenantId, nonBank.accountId)], [0n, 0n]);

      const bankCode = sims.xero.test.organisation(tenantId).accounts.find((a) => a.accountId === clearing)!.code;
      await assert.rejects(
        txn('RECEIVE', bankCode, 'Xendit withdrawal txn_2'),
        (err: unknown) => err instanceof UpstreamError && err.kind === 'rejected' && /is a bank account/.test(err.message),
      );
      sims.xero.test.archiveAccount(tenantId, nonBank.accountId);
      await assert.rejects(
        txn('RECEIVE', '095', 'Xendit withdrawal txn_3'),
        (err: unknown) => err instanceof UpstreamError && err.kind === 'rejected' && /has been archived/.test(err.message),
      );
      assert.equal(sims.xero.bankTransactionsOf(tenantId).length, 2);
    });
  });
});
