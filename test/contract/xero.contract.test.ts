/**
 * Contract test (issue 14): every answer of the Xero simulator that the gateway reads, read strictly
 * by xero-node 20's own models (test/contract/strict.ts). A simulator that drifts into a shape real
 * Xero never sends fails here, not in production.
 */
import { strict as assert } from 'node:assert';
import express from 'express';
import request from 'supertest';
import { createXeroSimulator } from '../../app/simulators/xero/index.js';
import { strictXero, type Extras } from './strict.js';

/**
 * What Xero sends around every accounting answer and xero-node's list models do not declare
 * (developer.xero.com/documentation/api/accounting/overview: responses carry Id, Status,
 * ProviderName and DateTimeUTC; xero_accounting.yaml examples of every GET).
 */
const ENVELOPE: Extras = {
  Id: 'string',
  Status: 'string',
  ProviderName: 'string',
  DateTimeUTC: 'string',
  // Xero sends each date twice, the second as "2009-05-27T00:00:00" (developer.xero.com/documentation/api/accounting/invoices
  // and /banktransactions response examples); xero-node models only Date/DueDate. The gateway reads neither copy.
  'Invoices.DateString': 'string',
  'Invoices.DueDateString': 'string',
  'BankTransactions.DateString': 'string',
};

/** A simulator with one organisation, a sales invoice with a payment, a refund, a bank transaction and a manual journal. */
async function simWithData() {
  const sim = createXeroSimulator();
  const app = express().use(sim.router);
  const o = sim.addOrganisation({ clientId: 'cid', clientSecret: 'secret', name: 'Toko', shortCode: '!Toko', baseCurrency: 'IDR' });
  const token = await request(app).post('/connect/token').auth('cid', 'secret').type('form').send({ grant_type: 'client_credentials' }).expect(200);
  const bank = sim.bankAccountFor(o.tenantId, 'Xendit');
  const inv = sim.addInvoice({
    contact: { name: 'Budi', email: 'budi@example.co.id' },
    lineItems: [{ description: 'Kopi', quantity: '2', unitAmount: '50000' }],
  });
  sim.recordPayment(o.tenantId, inv.invoiceId, '10000', bank.accountId, 'part');
  sim.addRefundPayment(o.tenantId, { paymentType: 'AROVERPAYMENTPAYMENT', accountId: bank.accountId, amount: '500', date: '2026-03-01' });
  const api = (method: 'get' | 'put', path: string) =>
    request(app)[method](`/api.xro/2.0${path}`).set('Authorization', `Bearer ${token.body.access_token}`).set('Xero-Tenant-Id', o.tenantId);
  return { sim, app, o, bank, inv, api, token: token.body as Record<string, unknown> };
}

function assertStrict(json: unknown, type: string, extras: Extras = ENVELOPE): void {
  const problems = strictXero(json, type, extras);
  assert.deepEqual(problems, [], `${type}:\n${problems.join('\n')}`);
}

describe('contract: Xero simulator answers read strictly by xero-node 20 models', () => {
  let s: Awaited<ReturnType<typeof simWithData>>;
  before(async () => {
    s = await simWithData();
    // Writes first, so the lists below hold what the gateway writes too.
    const contact = (await s.api('get', '/Contacts').expect(200)).body.Contacts[0];
    await s
      .api('put', '/BankTransactions')
      .send({
        BankTransactions: [
          {
            Type: 'SPEND',
            BankAccount: { AccountID: s.bank.accountId },
            Contact: { ContactID: contact.ContactID },
            Date: '2026-03-01',
            Reference: 'fee',
            CurrencyCode: 'IDR',
            LineAmountTypes: 'NoTax',
            LineItems: [{ Description: 'Xendit fee', Quantity: 1, UnitAmount: 2900, AccountCode: '404' }],
          },
        ],
      })
      .expect(200);
  });

  it('token endpoint (client_credentials): the OAuth 2.0 token response', () => {
    // RFC 6749 §5.1 and developer.xero.com/documentation/guides/oauth2/custom-connections: access_token, expires_in, token_type, scope.
    assert.equal(typeof s.token.access_token, 'string');
    assert.equal(typeof s.token.expires_in, 'number');
    assert.equal(s.token.token_type, 'Bearer');
    assert.deepEqual(Object.keys(s.token).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
  });

  it('token endpoint (refresh_token, Connect to Xero): the OAuth 2.0 token response', async () => {
    s.sim.addOAuthApp('app', 'appsecret');
    const { refresh_token: refreshToken } = s.sim.grantOAuth('app', [s.o.tenantId]);
    const res = await request(s.app)
      .post('/connect/token')
      .auth('app', 'appsecret')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: refreshToken })
      .expect(200);
    // developer.xero.com/documentation/guides/oauth2/auth-flow "Refreshing access tokens": a new access and refresh token.
    assert.equal(typeof res.body.access_token, 'string');
    assert.equal(typeof res.body.refresh_token, 'string');
    assert.equal(typeof res.body.expires_in, 'number');
    assert.equal(res.body.token_type, 'Bearer');
    for (const k of Object.keys(res.body)) assert.ok(['access_token', 'refresh_token', 'expires_in', 'token_type', 'scope', 'id_token'].includes(k), k);
  });

  it('GET /connections: the tenants of the connection', async () => {
    // No xero-node model: XeroClient.updateTenants reads tenantId, tenantType, tenantName (developer.xero.com
    // /documentation/guides/oauth2/auth-flow "Check the tenants you're authorized to access").
    const rows = (
      await request(s.app)
        .get('/connections')
        .set('Authorization', `Bearer ${s.token.access_token as string}`)
        .expect(200)
    ).body;
    assert.ok(Array.isArray(rows) && rows.length === 1);
    for (const c of rows) {
      assert.deepEqual(Object.keys(c).sort(), ['authEventId', 'createdDateUtc', 'id', 'tenantId', 'tenantName', 'tenantType', 'updatedDateUtc']);
      assert.equal(c.tenantType, 'ORGANISATION');
      for (const k of ['createdDateUtc', 'updatedDateUtc']) assert.match(c[k], /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?$/);
    }
  });

  it('GET /Organisation', async () => {
    assertStrict((await s.api('get', '/Organisation').expect(200)).body, 'Organisations');
  });

  it('GET /Invoices?InvoiceNumbers=…&page=1 (the pay click), without page (summary), and by InvoiceID', async () => {
    assertStrict((await s.api('get', `/Invoices?InvoiceNumbers=${s.inv.invoiceNumber}&page=1`).expect(200)).body, 'Invoices');
    assertStrict((await s.api('get', `/Invoices?InvoiceNumbers=${s.inv.invoiceNumber}`).expect(200)).body, 'Invoices');
    assertStrict((await s.api('get', `/Invoices/${s.inv.invoiceId}`).expect(200)).body, 'Invoices');
  });

  it('GET /Invoices/{id} of an invoice a credit note was allocated to: AmountCredited, AmountDue and its CreditNotes', async () => {
    const part = s.sim.addInvoice({ contact: { name: 'Budi' }, lineItems: [{ description: 'Teh', unitAmount: '30000' }] });
    await s.sim.test.invoices.credit(part.invoiceId, '10000');
    const body = (await s.api('get', `/Invoices/${part.invoiceId}`).expect(200)).body;
    assertStrict(body, 'Invoices');
    const [inv] = body.Invoices;
    assert.deepEqual([inv.Status, inv.AmountDue, inv.AmountPaid, inv.AmountCredited, inv.CreditNotes[0].AppliedAmount], ['AUTHORISED', 20000, 0, 10000, 10000]);
    // Credited in full: PAID by the credit alone, nothing paid (XeroAPI/xero-python#183).
    await s.sim.test.invoices.credit(part.invoiceId, '20000');
    const [paid] = (await s.api('get', `/Invoices/${part.invoiceId}`).expect(200)).body.Invoices;
    assert.deepEqual([paid.Status, paid.AmountDue, paid.AmountPaid, paid.AmountCredited, paid.CreditNotes.length], ['PAID', 0, 0, 30000, 2]);
  });

  it('GET /Invoices/{id} of an invoice an overpayment and a prepayment were allocated to: AmountCredited, AmountDue, PAID when covered, as by a credit note', async () => {
    // xero_accounting.yaml Invoice.AmountCredited: "Sum of all credit notes, over-payments and pre-payments applied to invoice".
    const part = s.sim.addInvoice({ contact: { name: 'Budi' }, lineItems: [{ description: 'Teh', unitAmount: '30000' }] });
    const over = s.sim.test.receiveCredit(s.o.tenantId, 'RECEIVE-OVERPAYMENT', { contactName: 'Budi', amount: 1000000n });
    const pre = s.sim.test.receiveCredit(s.o.tenantId, 'RECEIVE-PREPAYMENT', { contactName: 'Budi', amount: 5000000n });
    await s.sim.test.allocateOverpayment(s.o.tenantId, over.overpaymentId!, 1000000n, part.invoiceId);
    const body = (await s.api('get', `/Invoices/${part.invoiceId}`).expect(200)).body;
    assertStrict(body, 'Invoices');
    const [inv] = body.Invoices;
    assert.deepEqual(
      [inv.Status, inv.AmountDue, inv.AmountPaid, inv.AmountCredited, inv.Overpayments.map((o: { AppliedAmount: number }) => o.AppliedAmount)],
      ['AUTHORISED', 20000, 0, 10000, [10000]],
    );
    const [op] = (await s.api('get', `/Overpayments/${over.overpaymentId}`).expect(200)).body.Overpayments;
    assert.deepEqual([op.Status, op.RemainingCredit], ['PAID', 0]);
    // More than is due is refused, as Xero does ("amount is greater than amount outstanding"); nothing changes.
    await assert.rejects(s.sim.test.allocatePrepayment(s.o.tenantId, pre.prepaymentId!, 3000000n, part.invoiceId), /greater than amount outstanding/);
    await s.sim.test.allocatePrepayment(s.o.tenantId, pre.prepaymentId!, 2000000n, part.invoiceId);
    const paidBody = (await s.api('get', `/Invoices/${part.invoiceId}`).expect(200)).body;
    assertStrict(paidBody, 'Invoices');
    const [paid] = paidBody.Invoices;
    assert.deepEqual(
      [paid.Status, paid.AmountDue, paid.AmountPaid, paid.AmountCredited, paid.Prepayments.map((p: { AppliedAmount: number }) => p.AppliedAmount)],
      ['PAID', 0, 0, 30000, [20000]],
    );
    const txns = (await s.api('get', '/BankTransactions').expect(200)).body.BankTransactions as { PrepaymentID?: string }[];
    assert.ok(txns.some((t) => t.PrepaymentID === pre.prepaymentId));
  });

  it('GET /Invoices answers UnitAmount to 2 decimals unless asked with unitdp=4; LineAmount and totals stay as computed from the 4 decimals', async () => {
    // developer.xero.com/documentation/api-guides/rounding-in-xero: unit prices to two decimal places by default, unitdp=4 opts in to four.
    const inv = s.sim.addInvoice({ contact: { name: 'Budi' }, lineItems: [{ description: 'Gula', quantity: '4', unitAmount: '0.1349' }] });
    const lines = async (query: string) => {
      const body = (await s.api('get', `/Invoices/${inv.invoiceId}${query}`).expect(200)).body;
      assertStrict(body, 'Invoices');
      const [read] = body.Invoices;
      return [read.LineItems[0].UnitAmount, read.LineItems[0].LineAmount, read.Total];
    };
    assert.deepEqual(await lines(''), [0.13, 0.54, 0.54]);
    assert.deepEqual(await lines('?unitdp=4'), [0.1349, 0.54, 0.54]);
    const listed = (await s.api('get', `/Invoices?IDs=${inv.invoiceId}&page=1`).expect(200)).body.Invoices[0];
    assert.equal(listed.LineItems[0].UnitAmount, 0.13);
  });

  it('an invoice a credit note was allocated to cannot be voided, by the test API or the Void button, nor edited below what was paid and credited', async () => {
    // Xero: "This document cannot be edited as it has a payment or credit note allocated to it" (waynerobinson/xeroizer#211).
    const part = s.sim.addInvoice({ contact: { name: 'Budi' }, lineItems: [{ description: 'Teh', unitAmount: '30000' }] });
    await s.sim.test.invoices.credit(part.invoiceId, '10000');
    await assert.rejects(s.sim.test.invoices.void(part.invoiceId), /credit note allocated/);
    const view = (await request(s.app).get(`/AccountsReceivable/View.aspx?InvoiceID=${part.invoiceId}`).expect(200)).text;
    assert.ok(!view.includes('id="void-invoice"'), 'no Void button');
    await request(s.app).post('/AccountsReceivable/Void').type('form').send({ InvoiceID: part.invoiceId }).expect(409);
    await assert.rejects(s.sim.test.invoices.editLines(part.invoiceId, [{ description: 'Teh', unitAmount: '5000' }]), /less than what was paid and credited/);
    await s.sim.test.invoices.editLines(part.invoiceId, [{ description: 'Teh', unitAmount: '15000' }]);
    const [inv] = (await s.api('get', `/Invoices/${part.invoiceId}`).expect(200)).body.Invoices;
    assert.deepEqual([inv.Status, inv.Total, inv.AmountDue, inv.AmountCredited], ['AUTHORISED', 15000, 5000, 10000]);
  });

  it('PUT /Invoices (backend sales) and PUT /Payments (record-payment)', async () => {
    const contact = (await s.api('get', '/Contacts').expect(200)).body.Contacts[0];
    const created = await s
      .api('put', '/Invoices')
      .send({
        Invoices: [
          {
            Type: 'ACCREC',
            Status: 'AUTHORISED',
            Contact: { ContactID: contact.ContactID },
            Date: '2026-03-01',
            DueDate: '2026-03-01',
            Reference: 'xendit-1',
            CurrencyCode: 'IDR',
            LineAmountTypes: 'NoTax',
            LineItems: [{ Description: 'Kopi', Quantity: 1, UnitAmount: 1000, AccountCode: '200', TaxType: 'NONE' }],
          },
        ],
      })
      .expect(200);
    assertStrict(created.body, 'Invoices');
    const payment = await s
      .api('put', '/Payments')
      .send({
        Payments: [{ Invoice: { InvoiceID: s.inv.invoiceId }, Account: { AccountID: s.bank.accountId }, Amount: 1000, Date: '2026-03-01', Reference: 'x1' }],
      })
      .expect(200);
    assertStrict(payment.body, 'Payments');
  });

  it("GET /Payments (by Reference, by account; an overpayment's refund listed under Invoice)", async () => {
    assertStrict((await s.api('get', `/Payments?where=${encodeURIComponent('Reference=="part"')}`).expect(200)).body, 'Payments');
    const all = (await s.api('get', `/Payments?page=1`).expect(200)).body;
    // calcinai/xero-php#889 (Xero support): its InvoiceID is the OverpaymentID, and no Overpayment is given.
    const refund = all.Payments.find((p: { PaymentType: string }) => p.PaymentType === 'AROVERPAYMENTPAYMENT');
    assert.ok(refund?.Invoice?.InvoiceID, 'a refund is listed under Invoice');
    assert.equal(refund.Overpayment, undefined);
    assertStrict(all, 'Payments');
  });

  it('GET /Accounts (bank, by class) and GET /Accounts/{id}', async () => {
    assertStrict((await s.api('get', `/Accounts?where=${encodeURIComponent('Type=="BANK"')}`).expect(200)).body, 'Accounts');
    assertStrict((await s.api('get', `/Accounts?where=${encodeURIComponent('Class=="EXPENSE"')}`).expect(200)).body, 'Accounts');
    assertStrict((await s.api('get', `/Accounts/${s.bank.accountId}`).expect(200)).body, 'Accounts');
  });

  it('GET /Contacts and PUT /Contacts', async () => {
    assertStrict((await s.api('get', `/Contacts?where=${encodeURIComponent('Name=="Budi"')}`).expect(200)).body, 'Contacts');
    const created = await s
      .api('put', '/Contacts')
      .send({ Contacts: [{ Name: 'Siti', EmailAddress: 'siti@example.co.id' }] })
      .expect(200);
    assertStrict(created.body, 'Contacts');
    // xero_accounting.yaml, Contact.Name maxLength 255: one longer is refused as Xero refuses a contact.
    assert.equal(
      (
        await s
          .api('put', '/Contacts')
          .send({ Contacts: [{ Name: 'N'.repeat(255) }] })
          .expect(200)
      ).body.Contacts[0].Name,
      'N'.repeat(255),
    );
    const long = await s
      .api('put', '/Contacts')
      .send({ Contacts: [{ Name: 'L'.repeat(256) }] })
      .expect(400);
    assert.equal(long.body.Type, 'ValidationException');
    assert.match(long.body.Elements[0].ValidationErrors[0].Message, /255/);
  });

  it('PUT /Accounts (the clearing bank account made at onboarding)', async () => {
    const created = await s.api('put', '/Accounts').send({ Name: 'Xendit PHP', Type: 'BANK', BankAccountNumber: '0901', CurrencyCode: 'IDR' }).expect(200);
    assertStrict(created.body, 'Accounts');
  });

  it('GET /TaxRates', async () => {
    assertStrict((await s.api('get', '/TaxRates').expect(200)).body, 'TaxRates');
  });

  it('GET /BankTransactions and PUT /BankTransactions', async () => {
    assertStrict((await s.api('get', '/BankTransactions?page=1').expect(200)).body, 'BankTransactions');
  });

  it('PUT /ManualJournals and GET /ManualJournals', async () => {
    const created = await s
      .api('put', '/ManualJournals')
      .send({
        ManualJournals: [
          {
            Narration: 'fee',
            Date: '2026-03-01',
            Status: 'POSTED',
            LineAmountTypes: 'NoTax',
            JournalLines: [
              { Description: 'fee', AccountCode: '404', LineAmount: 100, TaxType: 'NONE' },
              { Description: 'fee', AccountCode: '610', LineAmount: -100, TaxType: 'NONE' },
            ],
          },
        ],
      })
      .expect(200);
    assertStrict(created.body, 'ManualJournals');
    assertStrict((await s.api('get', '/ManualJournals?page=1').expect(200)).body, 'ManualJournals');
  });

  it('PUT /BankTransfers (a withdrawal to the bank) and GET /BankTransfers by Reference', async () => {
    const savings = s.sim.bankAccountFor(s.o.tenantId, 'Business Savings Account');
    const created = await s
      .api('put', '/BankTransfers')
      .send({
        BankTransfers: [
          {
            FromBankAccount: { AccountID: s.bank.accountId },
            ToBankAccount: { AccountID: savings.accountId },
            Amount: 2500,
            Date: '2026-03-01',
            Reference: 'Xendit withdrawal txn_1',
            FromIsReconciled: true,
            ToIsReconciled: false,
          },
        ],
      })
      .expect(200);
    assertStrict(created.body, 'BankTransfers');
    assertStrict((await s.api('get', `/BankTransfers?where=${encodeURIComponent('Reference=="Xendit withdrawal txn_1"')}`).expect(200)).body, 'BankTransfers');
  });

  it('GET /Reports/BankSummary', async () => {
    assertStrict((await s.api('get', '/Reports/BankSummary?fromDate=2026-03-01&toDate=2026-03-31').expect(200)).body, 'ReportWithRows');
  });

  it('reads what it should: a field xero-node does not model, a wrong type or an unknown enum value fails', () => {
    // The strict reading itself, so a lenient checker cannot pass everything.
    const ok = { Invoices: [{ InvoiceID: 'x', Type: 'ACCREC', Total: 1, Date: '/Date(1573755038314+0000)/', UpdatedDateUTC: '/Date(1573755038314+0000)/' }] };
    assert.deepEqual(strictXero(ok, 'Invoices'), []);
    assert.match(strictXero({ Invoices: [{ Total: '1' }] }, 'Invoices').join(), /Total: "1" is not a number/);
    assert.match(strictXero({ Invoices: [{ Type: 'SALE' }] }, 'Invoices').join(), /"SALE" is not in xero-node's Invoice.TypeEnum/);
    assert.match(strictXero({ Invoices: [{ PayUrl: 'x' }] }, 'Invoices').join(), /PayUrl: not in xero-node's Invoice/);
    assert.match(strictXero({ Invoices: [{ UpdatedDateUTC: '2026-03-01T00:00:00Z' }] }, 'Invoices').join(), /is not a Xero date/);
    assert.match(strictXero({ Id: 'x' }, 'Invoices').join(), /Id: not in xero-node's Invoices/);
  });
});

/**
 * Paging as Xero pages: only the lists developer.xero.com/documentation/api/requests-and-responses
 * names ("Paging": Invoices, Contacts, CreditNotes, BankTransactions, ManualJournals, Payments, …), in
 * UpdatedDateUTC then id order (developer.xero.com Payments "order"), with `pagination`
 * (xero_accounting.yaml Pagination, in every paged GET's example); the others answer everything.
 */
describe('contract: Xero simulator pages as Xero does', () => {
  let s: Awaited<ReturnType<typeof simWithData>>;
  let t = 0;
  const ids = (body: { Invoices: { InvoiceID: string }[] }) => body.Invoices.map((i) => i.InvoiceID);
  before(async () => {
    s = await simWithData();
    // Later than the invoice simWithData made, well within its token's life.
    t = Date.now() + 1000;
    s.sim.test.useClock(() => new Date(t));
    for (let i = 0; i < 4; i++) s.sim.addInvoice({ contact: { name: 'Budi' }, lineItems: [{ description: `Teh ${i}`, unitAmount: '5000' }] });
  });

  it('pages in UpdatedDateUTC then InvoiceID order, with pagination; an invoice updated moves to the end', async () => {
    const page = (n: number) => s.api('get', `/Invoices?page=${n}&pageSize=2`).expect(200);
    const first = (await page(1)).body;
    assertStrict(first, 'Invoices');
    assert.deepEqual(first.pagination, { page: 1, pageSize: 2, pageCount: 3, itemCount: 5 });
    const made = [
      s.inv.invoiceId,
      ...(await s.api('get', '/Invoices').expect(200)).body.Invoices.map((i: { InvoiceID: string }) => i.InvoiceID)
        .slice(1)
        .sort(),
    ];
    const listed = [...ids(first), ...ids((await page(2)).body), ...ids((await page(3)).body)];
    assert.deepEqual(listed, made, 'the oldest first, then those made at one time by InvoiceID');
    // Paid elsewhere a second later: it is the last updated now, so page 1 starts with the next and it ends page 3.
    t += 1000;
    await s.sim.test.invoices.payElsewhere(made[1], '1');
    const again = [...ids((await page(1)).body), ...ids((await page(2)).body), ...ids((await page(3)).body)];
    assert.deepEqual(again, [made[0], ...made.slice(2), made[1]]);
  });

  it('honours order', async () => {
    const body = (await s.api('get', `/Invoices?page=1&order=${encodeURIComponent('InvoiceNumber DESC')}`).expect(200)).body;
    const numbers = body.Invoices.map((i: { InvoiceNumber: string }) => i.InvoiceNumber);
    assert.deepEqual(numbers, [...numbers].sort().reverse());
    assert.equal(numbers.length, 5);
  });

  it('pages by 100 whatever pageSize asks when told to (test API pageBy), saying so in pagination', async () => {
    s.sim.test.pageBy(2);
    try {
      const body = (await s.api('get', '/Invoices?page=1&pageSize=1000').expect(200)).body;
      assert.equal(body.Invoices.length, 2);
      assert.deepEqual(body.pagination, { page: 1, pageSize: 2, pageCount: 3, itemCount: 5 });
    } finally {
      s.sim.test.pageBy();
    }
    assert.equal((await s.api('get', '/Invoices?page=1&pageSize=1000').expect(200)).body.Invoices.length, 5);
  });

  it('summaryOnly=true answers invoices without their line items, allocations or full contact, even on a page', async () => {
    const full = (await s.api('get', `/Invoices?page=1&IDs=${s.inv.invoiceId}`).expect(200)).body.Invoices[0];
    assert.ok(full.LineItems.length > 0 && full.Payments.length > 0 && full.Contact.EmailAddress, 'the paged full shape has them');
    const body = (await s.api('get', `/Invoices?page=1&IDs=${s.inv.invoiceId}&summaryOnly=true`).expect(200)).body;
    assertStrict(body, 'Invoices');
    const summary = body.Invoices[0];
    for (const heavy of ['LineItems', 'Payments', 'CreditNotes', 'Prepayments', 'Overpayments']) assert.equal(summary[heavy], undefined, heavy);
    assert.equal(summary.Contact.EmailAddress, undefined);
    assert.deepEqual([summary.InvoiceNumber, summary.CurrencyCode, summary.Total], [full.InvoiceNumber, full.CurrencyCode, full.Total]);
  });

  it('answers every row, without pagination, where Xero does not page (Accounts, TaxRates, Currencies, BankTransfers)', async () => {
    for (const [path, key] of [
      ['/Accounts', 'Accounts'],
      ['/TaxRates', 'TaxRates'],
      ['/Currencies', 'Currencies'],
      ['/BankTransfers', 'BankTransfers'],
    ]) {
      const all = (await s.api('get', path).expect(200)).body[key];
      const paged = (await s.api('get', `${path}?page=2&pageSize=1`).expect(200)).body;
      assert.deepEqual(paged[key], all, path);
      assert.equal(paged.pagination, undefined, path);
    }
  });
});

/**
 * A 429 as Xero sends it (developer.xero.com/documentation/guides/oauth2/limits, "API rate limits":
 * the 429 carries X-Rate-Limit-Problem naming the limit, and "If you have exceeded the minute or
 * daily limit you will also receive a Retry-After" header): no Retry-After for the concurrent limit.
 */
describe('contract: Xero simulator answers a rate limit as Xero does', () => {
  it('concurrent limit: X-Rate-Limit-Problem concurrent and no Retry-After; minute limit: Retry-After too', async () => {
    const s = await simWithData();
    s.sim.limits.concurrent = 0; // every call finds the organisation's slots taken
    const busy = await s.api('get', '/Organisation').expect(429);
    assert.equal(busy.headers['x-rate-limit-problem'], 'concurrent');
    assert.equal(busy.headers['retry-after'], undefined, 'Xero documents Retry-After only for the minute and daily limits');
    s.sim.limits.concurrent = 5;
    s.sim.limits.perMinute = 0;
    const minute = await s.api('get', '/Organisation').expect(429);
    assert.equal(minute.headers['x-rate-limit-problem'], 'minute');
    assert.match(String(minute.headers['retry-after']), /^\d+$/);
  });
});

/** Xero's high volume threshold on GET Payments (app/simulators/xero/high-volume.ts has the sources). */
describe('contract: Xero simulator refuses un-optimised Payments reads past the high volume threshold', () => {
  it('past it: paged reads by an optimised filter only; an OR of References, Account.AccountID or no page get 400 HighVolumeException', async () => {
    const s = await simWithData();
    const get = (query: string) => s.api('get', `/Payments?${query}`);
    const where = (w: string) => `where=${encodeURIComponent(w)}`;
    const byAccount = where(`Account.AccountID==guid("${s.bank.accountId}")`);
    await get(`page=1&${byAccount}`).expect(200);
    s.sim.test.highVolumeThreshold(1);
    try {
      const refused = await get(where('Reference=="part"')).expect(400);
      assert.deepEqual([refused.body.Type, refused.body.ErrorNumber], ['HighVolumeException', 51]);
      assert.match(refused.body.Message, /not filtering Payments efficiently/);
      assert.equal((await get(`page=1&${where('Reference=="part"')}`).expect(200)).body.Payments.length, 1);
      await get(`page=1&${where('Reference=="part" OR Reference=="other"')}`).expect(400);
      await get(`page=1&${byAccount}`).expect(400);
      await get(`page=1&${where(`Reference=="part" AND Account.AccountID==guid("${s.bank.accountId}")`)}`).expect(400);
      const ids = where(`Invoice.InvoiceID==guid("${s.inv.invoiceId}") OR Invoice.InvoiceID==guid("${s.inv.invoiceId}")`);
      assert.equal((await get(`page=1&${ids}`).expect(200)).body.Payments.length, 1);
      await get(`page=1&${where('Status=="AUTHORISED"')}`).expect(200);
      await get('page=1').expect(200);
    } finally {
      s.sim.test.highVolumeThreshold();
    }
    await get(`page=1&${byAccount}`).expect(200);
  });
});

/** Xero's high volume threshold on GET Invoices (app/simulators/xero/high-volume.ts has the sources). */
describe('contract: Xero simulator refuses un-optimised Invoices reads past the high volume threshold', () => {
  it('past it: filters and orders by optimised fields only, an unpaged read only when it returns no more than the threshold', async () => {
    const s = await simWithData();
    s.sim.addInvoice({ contact: { name: 'Ani' }, lineItems: [{ description: 'Teh', unitAmount: '1000' }] });
    const get = (query: string) => s.api('get', `/Invoices?${query}`);
    const where = (w: string) => `where=${encodeURIComponent(w)}`;
    const number = (await get(`IDs=${s.inv.invoiceId}`).expect(200)).body.Invoices[0].InvoiceNumber;
    await get(`page=1&${where('Contact.EmailAddress=="budi@example.co.id"')}`).expect(200);
    s.sim.test.highVolumeThreshold(undefined, 1);
    try {
      const refused = await get(`page=1&${where('Contact.EmailAddress=="budi@example.co.id"')}`).expect(400);
      assert.deepEqual([refused.body.Type, refused.body.ErrorNumber], ['HighVolumeException', 51]);
      assert.match(refused.body.Message, /not filtering Invoices efficiently/);
      await get(`page=1&${where(`Reference=="a" OR Reference=="b"`)}`).expect(400);
      await get('page=1&order=Total').expect(400);
      await get('').expect(400); // two invoices returned, unpaged
      const bill = where(`Type=="ACCREC" AND InvoiceNumber=="${number}"`);
      assert.equal((await get(`page=1&${bill}`).expect(200)).body.Invoices.length, 1);
      assert.equal((await get(bill).expect(200)).body.Invoices.length, 1, 'unpaged, returning one');
      assert.equal((await get(`InvoiceNumbers=${encodeURIComponent(number)}&page=1&${where('Type=="ACCREC"')}`).expect(200)).body.Invoices.length, 1);
      assert.equal((await get(`IDs=${s.inv.invoiceId}`).expect(200)).body.Invoices.length, 1);
      const ids = where(`InvoiceId==guid("${s.inv.invoiceId}") OR InvoiceId==guid("${s.inv.invoiceId}")`);
      await get(`page=1&${ids}&order=Date DESC`).expect(200);
      // The Payments threshold is its own.
      await s.api('get', `/Payments?${where(`Account.AccountID==guid("${s.bank.accountId}")`)}`).expect(200);
    } finally {
      s.sim.test.highVolumeThreshold();
    }
    await get('').expect(200);
  });
});
