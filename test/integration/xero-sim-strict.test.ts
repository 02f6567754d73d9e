/**
 * The Xero simulator no kinder than Xero where a kinder one would hide a gateway bug (sources next
 * to each behaviour in app/simulators/xero/): currencies the organisation has not added, refunds
 * out of an account of another currency, POST /BankTransfers (a delete, not a create), unreadable
 * invoice dates, and Xero's default LineAmountTypes on bank transactions.
 */
import { strict as assert } from 'node:assert';
import express from 'express';
import request from 'supertest';
import { createXeroSimulator } from '../../app/simulators/xero/index.js';
import { bankTransactionBody } from '../../app/clients/xero/mappers.js';
import { getSims, resetSims, type Sims } from '../helpers/sims.js';

/** A simulator with one organisation (`currencies`: added besides the base IDR; default the gateway's), and a bearer token for it. */
async function simWithOrg(currencies?: string[]) {
  const sim = createXeroSimulator({ now: () => new Date('2026-03-01T02:00:00Z') });
  const app = express().use(sim.router);
  const o = sim.addOrganisation({ clientId: 'cid', clientSecret: 'secret', name: 'Toko', shortCode: '!Toko', baseCurrency: 'IDR', currencies });
  const token = await request(app).post('/connect/token').auth('cid', 'secret').type('form').send({ grant_type: 'client_credentials' }).expect(200);
  const api = (method: 'get' | 'put' | 'post', path: string) =>
    request(app)[method](`/api.xro/2.0${path}`).set('Authorization', `Bearer ${token.body.access_token}`);
  const contactId = (
    await api('put', '/Contacts')
      .send({ Contacts: [{ Name: 'Ani' }] })
      .expect(200)
  ).body.Contacts[0].ContactID as string;
  const bank = (name: string) => sim.bankAccountFor(o.tenantId, name).accountId;
  return { sim, api, tenantId: o.tenantId, contactId, bank };
}

const messages = (body: { Elements?: { ValidationErrors?: { Message: string }[] }[] }) => (body.Elements?.[0]?.ValidationErrors ?? []).map((e) => e.Message);

describe('Xero simulator: strict where Xero is', () => {
  describe('currencies: only those added to the organisation (Settings → Currencies; GET /Currencies)', () => {
    const invoice = (contactId: string, currency: string) => ({
      Invoices: [
        {
          Type: 'ACCREC',
          Contact: { ContactID: contactId },
          Status: 'AUTHORISED',
          LineAmountTypes: 'NoTax',
          CurrencyCode: currency,
          LineItems: [{ Description: 'Kopi', Quantity: 1, UnitAmount: 10, AccountCode: '200' }],
        },
      ],
    });
    const creditNote = (contactId: string, currency: string) => ({
      CreditNotes: [
        {
          Type: 'ACCRECCREDIT',
          Contact: { ContactID: contactId },
          Status: 'AUTHORISED',
          LineAmountTypes: 'NoTax',
          CurrencyCode: currency,
          LineItems: [{ Description: 'Refund', UnitAmount: 10, AccountCode: '200' }],
        },
      ],
    });
    const bankAccount = { Accounts: [{ Name: 'Xendit USD', Code: '093', Type: 'BANK', BankAccountNumber: '1000000000', CurrencyCode: 'USD' }] };

    it("refuses an invoice, credit note or bank account in a currency not added, in Xero's ValidationException; takes it once added", async () => {
      const w = await simWithOrg([]);
      assert.deepEqual((await w.api('get', '/Currencies').expect(200)).body.Currencies, [{ Code: 'IDR', Description: 'Indonesian Rupiah' }]);
      for (const [path, body] of [
        ['/Invoices', invoice(w.contactId, 'USD')],
        ['/CreditNotes', creditNote(w.contactId, 'USD')],
        ['/Accounts', bankAccount],
      ] as const) {
        const res = await w.api('put', path).send(body).expect(400);
        assert.deepEqual(
          [res.body.ErrorNumber, res.body.Type, messages(res.body)],
          [10, 'ValidationException', ['Organisation is not subscribed to currency USD']],
          path,
        );
      }
      assert.throws(() => w.sim.addAccount(w.tenantId, { code: '094', name: 'Bank USD', type: 'BANK', currencyCode: 'USD' }), /not subscribed to currency USD/);
      assert.throws(
        () => w.sim.addInvoice({ contact: { name: 'Ani' }, currency: 'USD', lineItems: [{ description: 'x', unitAmount: '1' }] }),
        /not subscribed/,
      );

      w.sim.test.addCurrency(w.tenantId, 'USD');
      assert.deepEqual(w.sim.test.currencies(w.tenantId), ['IDR', 'USD']);
      await w.api('put', '/Invoices').send(invoice(w.contactId, 'USD')).expect(200);
      await w.api('put', '/CreditNotes').send(creditNote(w.contactId, 'USD')).expect(200);
      assert.equal((await w.api('put', '/Accounts').send(bankAccount).expect(200)).body.Accounts[0].CurrencyCode, 'USD');
    });

    it('a new organisation has its base currency and those the gateway supports, unless made with none', async () => {
      const w = await simWithOrg();
      assert.deepEqual(w.sim.test.currencies(w.tenantId), ['IDR', 'PHP', 'THB', 'VND', 'MYR', 'USD']);
      await w.api('put', '/Invoices').send(invoice(w.contactId, 'AUD')).expect(400);
    });
  });

  it('refuses a refund of a credit note out of an account in another currency, as any payment (no CurrencyRate)', async () => {
    const w = await simWithOrg();
    const php = w.sim.addAccount(w.tenantId, { code: '092', name: 'Xendit PHP', type: 'BANK', currencyCode: 'PHP' }).accountId;
    const note = (
      await w
        .api('put', '/CreditNotes')
        .send({
          CreditNotes: [
            {
              Type: 'ACCRECCREDIT',
              Contact: { ContactID: w.contactId },
              Status: 'AUTHORISED',
              LineAmountTypes: 'NoTax',
              CurrencyCode: 'PHP',
              LineItems: [{ Description: 'Refund', UnitAmount: 10, AccountCode: '200' }],
            },
          ],
        })
        .expect(200)
    ).body.CreditNotes[0].CreditNoteID;
    const refund = (accountId: string) =>
      w.api('put', '/Payments').send({ Payments: [{ CreditNote: { CreditNoteID: note }, Account: { AccountID: accountId }, Amount: 10, Date: '2026-03-01' }] });
    const refused = await refund(w.bank('Xendit')).expect(400);
    assert.deepEqual(messages(refused.body), ['The payment currency (IDR) must match the document currency (PHP), or a CurrencyRate must be supplied']);
    assert.equal(w.sim.test.refundPayments(w.tenantId).length, 0);
    await refund(php).expect(200);
  });

  it("pays a PHP invoice from an account of the base currency only with a CurrencyRate, BankAmount converted at it; from a third currency's account not at all", async () => {
    const w = await simWithOrg(['PHP', 'USD']);
    const usd = w.sim.addAccount(w.tenantId, { code: '093', name: 'Xendit USD', type: 'BANK', currencyCode: 'USD' }).accountId;
    const inv = (
      await w
        .api('put', '/Invoices')
        .send({
          Invoices: [
            {
              Type: 'ACCREC',
              Contact: { ContactID: w.contactId },
              Status: 'AUTHORISED',
              LineAmountTypes: 'NoTax',
              CurrencyCode: 'PHP',
              Date: '2026-03-01',
              DueDate: '2026-03-15',
              LineItems: [{ Description: 'Kape', Quantity: 1, UnitAmount: 1500, AccountCode: '200' }],
            },
          ],
        })
        .expect(200)
    ).body.Invoices[0].InvoiceID;
    const pay = (accountId: string, rate?: string) =>
      w.api('put', '/Payments').send({
        Payments: [
          { Invoice: { InvoiceID: inv }, Account: { AccountID: accountId }, Amount: 1500, Date: '2026-03-01', ...(rate ? { CurrencyRate: rate } : {}) },
        ],
      });
    assert.match(messages((await pay(w.bank('Xendit')).expect(400)).body)[0], /CurrencyRate must be supplied/);
    assert.match(messages((await pay(usd, '0.0036').expect(400)).body)[0], /base currency only/);
    const paid = (await pay(w.bank('Xendit'), '0.0036').expect(200)).body.Payments[0];
    assert.deepEqual([paid.Amount, paid.BankAmount, paid.CurrencyRate], [1500, 416666.67, 0.0036]);
    assert.equal(w.sim.balanceOf(w.tenantId, w.bank('Xendit')), 41_666_667n, 'the base-currency account holds what the rate made of it');
  });

  describe('POST /BankTransfers deletes (xero_accounting.yaml deleteBankTransfers); PUT creates', () => {
    const transfer = (from: string, to: string) => ({
      BankTransfers: [
        { FromBankAccount: { AccountID: from }, ToBankAccount: { AccountID: to }, Amount: '1000', Date: '2026-03-01', Reference: 'Xendit withdrawal w1' },
      ],
    });

    it("refuses a create's body on POST, making nothing; deletes with {BankTransferID, Status: DELETED}: listed only with includeDeleted, moving no money", async () => {
      const w = await simWithOrg();
      const [from, to] = [w.bank('Xendit'), w.bank('Business Savings Account')];
      const refused = await w.api('post', '/BankTransfers').send(transfer(from, to)).expect(400);
      assert.equal(refused.body.Type, 'ValidationException');
      assert.match(messages(refused.body).join(), /BankTransferID must be specified/);
      assert.equal(w.sim.test.bankTransfers(w.tenantId).length, 0, 'POST made nothing');

      const id = (await w.api('put', '/BankTransfers').send(transfer(from, to)).expect(200)).body.BankTransfers[0].BankTransferID;
      assert.equal(w.sim.balanceOf(w.tenantId, to), 100000n);
      const deleted = await w
        .api('post', '/BankTransfers')
        .send({ BankTransfers: [{ BankTransferID: id, Status: 'DELETED' }] })
        .expect(200);
      assert.equal(deleted.body.BankTransfers[0].Status, 'DELETED');
      assert.equal(w.sim.balanceOf(w.tenantId, to), 0n, 'a deleted transfer moves nothing');
      assert.deepEqual((await w.api('get', '/BankTransfers').expect(200)).body.BankTransfers, []);
      assert.deepEqual(
        (await w.api('get', '/BankTransfers?includeDeleted=true').expect(200)).body.BankTransfers.map((t: { Status: string }) => t.Status),
        ['DELETED'],
      );
      await w.api('post', `/BankTransfers/${id}`).send({ Status: 'AUTHORISED' }).expect(400);
    });

    it('the test API deletes one as the merchant does in Xero', async () => {
      const w = await simWithOrg();
      await w
        .api('put', '/BankTransfers')
        .send(transfer(w.bank('Xendit'), w.bank('Business Savings Account')))
        .expect(200);
      const [t] = w.sim.test.bankTransfers(w.tenantId);
      w.sim.test.deleteBankTransfer(w.tenantId, t.bankTransferId);
      assert.equal(w.sim.test.bankTransfers(w.tenantId)[0].status, 'DELETED');
      assert.deepEqual((await w.api('get', '/BankTransfers').expect(200)).body.BankTransfers, []);
    });
  });

  it('refuses an invoice whose Date or DueDate it cannot read (400), as it does a payment; a missing Date is today', async () => {
    const w = await simWithOrg();
    const send = (dates: object) =>
      w.api('put', '/Invoices').send({
        Invoices: [
          {
            Type: 'ACCREC',
            Contact: { ContactID: w.contactId },
            Status: 'AUTHORISED',
            LineAmountTypes: 'NoTax',
            LineItems: [{ Description: 'Kopi', UnitAmount: 10, AccountCode: '200' }],
            ...dates,
          },
        ],
      });
    assert.deepEqual(messages((await send({ Date: '01/03/2026' }).expect(400)).body), ['Date is not a valid date']);
    assert.deepEqual(messages((await send({ Date: '2026-03-01', DueDate: 'soon' }).expect(400)).body), ['Due Date is not a valid date']);
    assert.equal(w.sim.invoicesOf(w.tenantId).length, 0);
    assert.equal((await send({}).expect(200)).body.Invoices[0].DateString, '2026-03-01T00:00:00');
  });

  describe("bank transactions: Exclusive by default (xero_accounting.yaml LineAmountTypes), a line taking its account's TaxType", () => {
    const receive = (w: Awaited<ReturnType<typeof simWithOrg>>, lineAmountTypes?: string) =>
      w.api('put', '/BankTransactions').send({
        BankTransactions: [
          {
            Type: 'RECEIVE',
            BankAccount: { AccountID: w.bank('Xendit') },
            Contact: { ContactID: w.contactId },
            ...(lineAmountTypes ? { LineAmountTypes: lineAmountTypes } : {}),
            LineItems: [{ Description: 'Sale', UnitAmount: '100.00', AccountCode: '260' }],
          },
        ],
      });

    it("without LineAmountTypes, tax at the account's rate comes on top; Inclusive takes it out; NoTax carries none", async () => {
      const w = await simWithOrg();
      w.sim.addAccount(w.tenantId, { code: '260', name: 'Other Revenue', type: 'REVENUE', taxType: 'OUTPUT' });
      const totals = async (lat?: string) => {
        const t = (await receive(w, lat).expect(200)).body.BankTransactions[0];
        return [t.LineAmountTypes, t.LineItems[0].TaxType, t.SubTotal, t.TotalTax, t.Total];
      };
      assert.deepEqual(await totals(), ['Exclusive', 'OUTPUT', 100, 11, 111], 'PPN 11% on top');
      assert.deepEqual(await totals('Inclusive'), ['Inclusive', 'OUTPUT', 90.09, 9.91, 100]);
      assert.deepEqual(await totals('NoTax'), ['NoTax', 'NONE', 100, 0, 100]);
    });
  });
});

describe("gateway Xero client: bank transactions carry no tax whatever the account's TaxType", () => {
  let sims: Sims;
  beforeEach(async () => {
    sims = await getSims();
    resetSims();
  });

  it('bankTransactionBody sends LineAmountTypes NoTax, so Xero adds no tax to what moved', async () => {
    const txn = {
      type: 'SPEND' as const,
      bankAccountId: 'b',
      contactName: 'Xendit',
      date: '2026-03-01',
      reference: 'Xendit fee x',
      currencyCode: 'IDR',
      lineItems: [{ description: 'Fee', accountCode: '404', amount: '2900' }],
    };
    assert.equal(String(bankTransactionBody(txn).lineAmountTypes), 'NoTax');

    const creds = { clientId: 'cid-tax', clientSecret: 'secret', tenantId: '' };
    const tenantId = sims.xero.addOrganisation({ ...creds, name: 'Toko', shortCode: '!Tax', baseCurrency: 'IDR' }).tenantId;
    sims.xero.addAccount(tenantId, { code: '405', name: 'Fees with input tax', type: 'EXPENSE', taxType: 'INPUT' });
    const made = await sims.xeroClient.createBankTransaction(
      creds,
      {
        ...txn,
        bankAccountId: sims.xero.bankAccountFor(tenantId, 'Xendit').accountId,
        lineItems: [{ description: 'Fee', accountCode: '405', amount: '2900' }],
      },
      'k-fee',
    );
    assert.equal(made.total, '2900', 'the fee as Xendit took it, no tax added on top');
  });

  it('creates a bank transfer with PUT (xero-node createBankTransfer): POST would be a delete', async () => {
    const creds = { clientId: 'cid-put', clientSecret: 'secret', tenantId: '' };
    const tenantId = sims.xero.addOrganisation({ ...creds, name: 'Toko', shortCode: '!Put', baseCurrency: 'IDR' }).tenantId;
    const [from, to] = ['Xendit', 'Business Savings Account'].map((n) => sims.xero.bankAccountFor(tenantId, n).accountId);
    sims.xero.test.clearRequests();
    await sims.xeroClient.createBankTransfer(
      creds,
      {
        fromAccountId: from,
        toAccountId: to,
        amount: '1000',
        date: '2026-03-01',
        reference: 'Xendit withdrawal w1',
        fromIsReconciled: true,
        toIsReconciled: false,
      },
      'k-put',
    );
    assert.deepEqual(
      sims.xero.test.requests({ pathPrefix: '/api.xro/2.0/BankTransfers' }).map((r) => r.method),
      ['PUT'],
    );
    assert.equal(sims.xero.test.bankTransfers(tenantId).length, 1);
  });
});
