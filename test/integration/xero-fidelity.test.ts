/**
 * Issue 14: the Xero simulator behaves like the real Xero where the gateway depends on it
 * (sources next to each behaviour in app/simulators/xero/), and the gateway copes.
 */
import { strict as assert } from 'node:assert';
import express from 'express';
import request from 'supertest';
import { createXeroSimulator } from '../../app/simulators/xero/index.js';
import { idempotencyKeyFor } from '../../app/clients/xero/idempotency-key.js';
import { getSims, resetSims, type Sims } from '../helpers/sims.js';

function manualClock(start = Date.parse('2026-03-01T02:00:00Z')) {
  let t = start;
  const clock = () => new Date(t);
  clock.advance = (ms: number) => {
    t += ms;
  };
  return clock;
}

/** A simulator on an injected clock with one organisation, and a bearer token for it. */
async function simWithOrg() {
  const clock = manualClock();
  const sim = createXeroSimulator({ now: clock });
  const app = express().use(sim.router);
  const o = sim.addOrganisation({ clientId: 'cid', clientSecret: 'secret', name: 'Toko', shortCode: '!Toko', baseCurrency: 'IDR' });
  const token = await request(app).post('/connect/token').auth('cid', 'secret').type('form').send({ grant_type: 'client_credentials' }).expect(200);
  const bank = sim.bankAccountFor(o.tenantId, 'Xendit');
  const inv = sim.addInvoice({
    contact: { name: 'Budi', email: 'budi@example.co.id' },
    lineItems: [{ description: 'Kopi', quantity: '2', unitAmount: '50000' }],
  });
  const api = (method: 'get' | 'put', path: string) => request(app)[method](`/api.xro/2.0${path}`).set('Authorization', `Bearer ${token.body.access_token}`);
  const pay = (amount: string, key: string) =>
    api('put', '/Payments')
      .set('Idempotency-Key', key)
      .send({
        Payments: [{ Invoice: { InvoiceID: inv.invoiceId }, Account: { AccountID: bank.accountId }, Amount: amount, Date: '2026-03-01', Reference: 'r' }],
      });
  return { sim, clock, api, pay, inv, tenantId: o.tenantId };
}

/** One line sent on each kind of document whose lines Xero checks alike (app/simulators/xero/line-items.ts); the body of each answer. */
async function linesSent() {
  const w = await simWithOrg();
  const contactId = (
    await w
      .api('put', '/Contacts')
      .send({ Contacts: [{ Name: 'Ani' }] })
      .expect(200)
  ).body.Contacts[0].ContactID;
  const bank = w.sim.bankAccountFor(w.tenantId, 'Xendit');
  const contact = { ContactID: contactId };
  const documents = {
    invoice: (line: object) =>
      w.api('put', '/Invoices').send({ Invoices: [{ Type: 'ACCREC', Contact: contact, Status: 'AUTHORISED', LineAmountTypes: 'NoTax', LineItems: [line] }] }),
    'credit note': (line: object) =>
      w
        .api('put', '/CreditNotes')
        .send({ CreditNotes: [{ Type: 'ACCRECCREDIT', Contact: contact, Status: 'AUTHORISED', LineAmountTypes: 'NoTax', LineItems: [line] }] }),
    'bank transaction': (line: object) =>
      w
        .api('put', '/BankTransactions')
        .send({ BankTransactions: [{ Type: 'RECEIVE', BankAccount: { AccountID: bank.accountId }, Contact: contact, LineItems: [line] }] }),
  };
  /** Each kind's status and validation messages for this line. */
  const answers = async (line: object) => {
    const out: Record<string, [number, string[]]> = {};
    for (const [kind, send] of Object.entries(documents)) {
      const res = await send(line);
      out[kind] = [res.status, (res.body.Elements?.[0]?.ValidationErrors ?? []).map((e: { Message: string }) => e.Message)];
    }
    return out;
  };
  return { ...w, answers };
}

describe('Xero simulator fidelity (issue 14)', () => {
  describe('item 6: GET /Invoices without page is the summary shape', () => {
    it('lists no line items and no contact e-mail without page, and both with page=1 or by InvoiceID', async () => {
      const { api, inv } = await simWithOrg();
      const unpaged = (await api('get', `/Invoices?InvoiceNumbers=${inv.invoiceNumber}`).expect(200)).body.Invoices[0];
      assert.deepEqual(unpaged.LineItems, []);
      assert.equal(unpaged.Contact.EmailAddress, undefined);
      const paged = (await api('get', `/Invoices?InvoiceNumbers=${inv.invoiceNumber}&page=1`).expect(200)).body.Invoices[0];
      assert.equal(paged.LineItems.length, 1);
      assert.equal(paged.Contact.EmailAddress, 'budi@example.co.id');
      const one = (await api('get', `/Invoices/${inv.invoiceId}`).expect(200)).body.Invoices[0];
      assert.equal(one.LineItems.length, 1);
    });
  });

  describe('GET /ManualJournals without page has no journal lines', () => {
    it('lists journals without their JournalLines unless page is given; by ManualJournalID with them', async () => {
      const { api } = await simWithOrg();
      const lines = [
        { Description: 'fee', AccountCode: '404', LineAmount: 100, TaxType: 'NONE' },
        { Description: 'fee', AccountCode: '610', LineAmount: -100, TaxType: 'NONE' },
      ];
      const made = await api('put', '/ManualJournals')
        .send({ ManualJournals: [{ Narration: 'fee', Date: '2026-03-01', Status: 'POSTED', LineAmountTypes: 'NoTax', JournalLines: lines }] })
        .expect(200);
      const id = made.body.ManualJournals[0].ManualJournalID;
      const unpaged = (await api('get', `/ManualJournals?where=${encodeURIComponent('Narration=="fee"')}`).expect(200)).body.ManualJournals[0];
      assert.equal(unpaged.ManualJournalID, id);
      assert.equal(unpaged.JournalLines, undefined, 'no lines without page');
      const paged = (await api('get', `/ManualJournals?page=1&where=${encodeURIComponent('Narration=="fee"')}`).expect(200)).body.ManualJournals[0];
      assert.equal(paged.JournalLines.length, 2);
      assert.equal((await api('get', `/ManualJournals/${id}`).expect(200)).body.ManualJournals[0].JournalLines.length, 2);
    });
  });

  describe("issue 16: a GET whose query string is over 2 048 characters answers 404, as Xero's does", () => {
    it('counts the query string as sent, not the IDs: 55 bare-comma IDs pass, 53 with %2C do not (xero-node#404, Xero-NetStandard#413)', async () => {
      const { api, inv, sim } = await simWithOrg();
      const others = Array.from(
        { length: 55 },
        () => sim.addInvoice({ contact: { name: 'Ani' }, lineItems: [{ description: 'Teh', unitAmount: '1000' }] }).invoiceId,
      );
      const ids = (n: number, comma = ',') => [inv.invoiceId, ...others].slice(0, n).join(comma);
      assert.equal((await api('get', `/Invoices?IDs=${ids(55)}`).expect(200)).body.Invoices.length, 55);
      await api('get', `/Invoices?IDs=${ids(56)}`).expect(404);
      assert.equal((await api('get', `/Invoices?IDs=${ids(52, '%2C')}`).expect(200)).body.Invoices.length, 52);
      const refused = await api('get', `/Invoices?IDs=${ids(53, '%2C')}`).expect(404);
      assert.equal(refused.body.Detail, "The resource you're looking for cannot be found");
    });

    it('refuses a long where on every list, not only IDs on Invoices', async () => {
      const { api } = await simWithOrg();
      const where = (n: number) =>
        encodeURIComponent(Array.from({ length: n }, (_, i) => `Reference=="Xendit withdrawal fee returned txn_${String(i).padStart(36, '0')}"`).join(' OR '));
      for (const list of ['/BankTransactions', '/Payments', '/BankTransfers', '/CreditNotes', '/Contacts', '/Invoices', '/ManualJournals']) {
        await api('get', `${list}?where=${where(10)}`).expect(200);
        await api('get', `${list}?where=${where(20)}`).expect(404);
      }
      await api('get', `/Organisation?pad=${'a'.repeat(2044)}`).expect(200);
      await api('get', `/Organisation?pad=${'a'.repeat(2045)}`).expect(404);
    });
  });

  describe('item 11: InvoiceNumbers matches whole numbers', () => {
    it('never returns an invoice whose number merely starts with or contains the one asked for', async () => {
      const { sim, api } = await simWithOrg();
      sim.addInvoice({ invoiceNumber: 'INV&1', contact: { name: 'Budi' }, lineItems: [{ description: 'Kopi', unitAmount: '1000' }] });
      const listed = (n: string) =>
        api('get', `/Invoices?InvoiceNumbers=${encodeURIComponent(n)}&page=1`)
          .expect(200)
          .then((r) => r.body.Invoices.map((i: { InvoiceNumber: string }) => i.InvoiceNumber));
      assert.deepEqual(await listed('INV'), []);
      assert.deepEqual(await listed('NV&1'), []);
      assert.deepEqual(await listed('INV&1'), ['INV&1']);
    });
  });

  describe('where: no double quote inside a string, however escaped (XeroAPI/Xero-Java#347, waynerobinson/xeroizer#160)', () => {
    it('answers 400 QueryParseException "Syntax error", as Xero does', async () => {
      const { sim, api } = await simWithOrg();
      sim.addInvoice({ contact: { name: 'Bat "QUOTE" Man' }, lineItems: [{ description: 'Kopi', unitAmount: '1000' }] });
      for (const where of [
        'Name=="Bat \\"QUOTE\\" Man"',
        'Name=="Bat "QUOTE" Man"',
        'Name=="Bat \\\\\\"QUOTE"',
        'Name=="Bat',
        'Reference=="a" OR Name=="Bat \\"Q"',
      ]) {
        const res = await api('get', `/Contacts?where=${encodeURIComponent(where)}`).expect(400);
        assert.deepEqual(res.body, { ErrorNumber: 16, Type: 'QueryParseException', Message: 'Syntax error' }, where);
      }
      const plain = await api('get', `/Contacts?where=${encodeURIComponent('Name=="Budi" OR Name=="nobody"')}`).expect(200);
      assert.deepEqual(
        plain.body.Contacts.map((c: { Name: string }) => c.Name),
        ['Budi'],
      );
    });

    it('finds such a contact or invoice by searchTerm instead (case-insensitive text search, xero_accounting.yaml)', async () => {
      const { sim, api } = await simWithOrg();
      sim.addInvoice({ invoiceNumber: 'INV,"9"', contact: { name: 'Bat "QUOTE" Man' }, lineItems: [{ description: 'Kopi', unitAmount: '1000' }] });
      const contacts = await api('get', `/Contacts?searchTerm=${encodeURIComponent('quote" man')}&page=1`).expect(200);
      assert.deepEqual(
        contacts.body.Contacts.map((c: { Name: string }) => c.Name),
        ['Bat "QUOTE" Man'],
      );
      const invoices = await api('get', `/Invoices?searchTerm=${encodeURIComponent('inv,"9')}&page=1`).expect(200);
      assert.deepEqual(
        invoices.body.Invoices.map((i: { InvoiceNumber: string }) => i.InvoiceNumber),
        ['INV,"9"'],
      );
    });
  });

  describe('Contact.EmailAddress: "(umlauts not supported) (max length = 255)" (xero_accounting.yaml), and valid if given (xeroizer#477)', () => {
    it('refuses a longer, non-ASCII or malformed e-mail on PUT /Contacts and on a contact an invoice makes by Name; takes 255 ASCII characters', async () => {
      const { api } = await simWithOrg();
      const at255 = `${'a'.repeat(243)}@example.com`;
      assert.equal(at255.length, 255);
      // An invoice's refusal about its Contact is filed under that Contact (xeroizer#477, xero-node#177).
      const refused = async (path: string, body: object, message: RegExp) => {
        const res = await api('put', path).send(body).expect(400);
        assert.equal(res.body.Type, 'ValidationException');
        const [element] = res.body.Elements;
        const errors = path === '/Invoices' ? element.Contact.ValidationErrors : element.ValidationErrors;
        assert.match(errors[0].Message, message);
        if (path === '/Invoices') assert.deepEqual(element.ValidationErrors, [], 'none on the invoice itself');
      };
      const invoice = (Contact: unknown) => ({
        Invoices: [{ Type: 'ACCREC', Contact, LineItems: [{ Description: 'Kopi', Quantity: '1', UnitAmount: '1000' }] }],
      });
      await refused('/Contacts', { Contacts: [{ Name: 'Panjang', EmailAddress: `a${at255}` }] }, /longer than 255/);
      await refused('/Contacts', { Contacts: [{ Name: 'Jürgen', EmailAddress: 'jürgen@example.com' }] }, /non-ASCII/);
      const malformed = ['budi@localhost', 'budi@toko..id', 'budi@.toko.id', 'budi@toko.id.', 'budi @toko.id', '@toko.id', 'budi@@toko.id', 'budi@ani@toko.id'];
      for (const email of malformed) await refused('/Contacts', { Contacts: [{ Name: 'Citra', EmailAddress: email }] }, /Email address must be valid/);
      await refused('/Invoices', invoice({ Name: 'Jürgen', EmailAddress: 'jürgen@example.com' }), /non-ASCII/);
      for (const email of malformed) await refused('/Invoices', invoice({ Name: 'Citra', EmailAddress: email }), /Email address must be valid/);
      const ok = await api('put', '/Contacts')
        .send({ Contacts: [{ Name: 'Jürgen', EmailAddress: at255 }] })
        .expect(200);
      assert.equal(ok.body.Contacts[0].EmailAddress, at255);
      await api('put', '/Invoices')
        .send(invoice({ Name: 'Müller', EmailAddress: 'mueller@example.com' }))
        .expect(200);
    });
  });

  describe('item 8: Idempotency-Key as Xero keeps it', () => {
    it('replays the same request, refuses the same key with another body (400), and forgets a key after about 6 minutes', async () => {
      const { sim, clock, pay, inv } = await simWithOrg();
      const first = await pay('1000', 'k1').expect(200);
      const again = await pay('1000', 'k1').expect(200);
      assert.deepEqual(again.body, first.body);
      assert.equal(sim.paymentsOf(inv.invoiceId).length, 1);
      const other = await pay('2000', 'k1').expect(400);
      assert.match(other.body.Detail, /different request/);
      assert.equal(sim.paymentsOf(inv.invoiceId).length, 1);
      clock.advance(6 * 60_000);
      await pay('1000', 'k1').expect(200);
      assert.equal(sim.paymentsOf(inv.invoiceId).length, 2, 'after 6 minutes the key is a new one');
    });

    it('replays an error for the same key and body', async () => {
      const { sim, pay, inv } = await simWithOrg();
      const refused = await pay('999999999', 'k2').expect(400);
      // Even once the amount would fit, the key answers its stored refusal, as Xero does.
      sim.findInvoice(inv.invoiceId)!.total += 100_000_000_000n;
      const replay = await pay('999999999', 'k2').expect(400);
      assert.deepEqual(replay.body, refused.body);
      assert.equal(sim.paymentsOf(inv.invoiceId).length, 0);
    });

    it('echoes a bank transaction line with the Quantity and UnitAmount it was sent (xero_accounting.yaml LineItem), on the answer and when read', async () => {
      const { sim, api, tenantId } = await simWithOrg();
      const bank = sim.bankAccountFor(tenantId, 'Xendit');
      const line = { Description: 'Kopi', Quantity: '3', UnitAmount: '12.5', AccountCode: '200' };
      const made = await api('put', '/BankTransactions')
        .send({
          BankTransactions: [
            { Type: 'RECEIVE', BankAccount: { AccountID: bank.accountId }, Contact: { Name: 'Ani' }, LineAmountTypes: 'NoTax', LineItems: [line] },
          ],
        })
        .expect(200);
      const pick = (l: { Quantity: number; UnitAmount: number; LineAmount: number }) => [l.Quantity, l.UnitAmount, l.LineAmount];
      assert.deepEqual(pick(made.body.BankTransactions[0].LineItems[0]), [3, 12.5, 37.5]);
      const read = await api('get', `/BankTransactions?page=1&where=${encodeURIComponent('Type=="RECEIVE"')}`).expect(200);
      assert.deepEqual(pick(read.body.BankTransactions[0].LineItems[0]), [3, 12.5, 37.5]);
    });

    it('refuses a key over 128 characters (400) and writes nothing; 128 is taken', async () => {
      const { sim, pay, inv } = await simWithOrg();
      const refused = await pay('1000', 'k'.repeat(129)).expect(400);
      assert.match(refused.body.Detail, /128/);
      assert.equal(sim.paymentsOf(inv.invoiceId).length, 0);
      await pay('1000', 'k'.repeat(128)).expect(200);
      assert.equal(sim.paymentsOf(inv.invoiceId).length, 1);
    });
  });
});

describe('Xero simulator: line items as Xero checks them on invoices, credit notes and bank transactions', () => {
  const everywhere = (status: number, messages: string[]) => ({
    invoice: [status, messages],
    'credit note': [status, messages],
    'bank transaction': [status, messages],
  });

  it("refuses a line on an account archived since, in Xero's words (XeroAPI/Xero-Java#370)", async () => {
    const { sim, tenantId, answers } = await linesSent();
    const other = sim.addAccount(tenantId, { code: '260', name: 'Other Revenue', type: 'REVENUE' });
    const line = { Description: 'Ongkir', Quantity: 1, UnitAmount: 39000, AccountCode: '260' };
    assert.deepEqual(await answers(line), everywhere(200, []));
    sim.test.archiveAccount(tenantId, other.accountId);
    assert.deepEqual(
      await answers(line),
      everywhere(400, ["Account code '260' has been archived, or has been deleted. Each line item must reference a valid account."]),
    );
  });

  it('refuses a line whose Description is missing, empty or blank (xero_accounting.yaml LineItem.Description: at least 1 char)', async () => {
    const { answers } = await linesSent();
    const line = { Quantity: 1, UnitAmount: 39000, AccountCode: '200' };
    for (const description of [undefined, '', ' \t ']) {
      assert.deepEqual(
        await answers({ ...line, Description: description }),
        everywhere(400, ['The description field is mandatory for each line item.']),
        JSON.stringify(description),
      );
    }
    assert.deepEqual(await answers({ ...line, Description: '.' }), everywhere(200, []), 'one character is enough');
  });
});

describe("Xero simulator: a refusal about a document's Contact is filed under that Contact (xeroizer#477, xero-node#177)", () => {
  it('on invoices, credit notes and bank transactions, the document itself carrying none; with summarizeErrors=false too', async () => {
    const { sim, api, tenantId } = await simWithOrg();
    const contactId = (
      await api('put', '/Contacts')
        .send({ Contacts: [{ Name: 'Ani' }] })
        .expect(200)
    ).body.Contacts[0].ContactID;
    const bank = sim.bankAccountFor(tenantId, 'Xendit');
    const line = { Description: 'Ongkir', Quantity: 1, UnitAmount: 39000, AccountCode: '200' };
    const Contact = { ContactID: contactId, EmailAddress: 'ani@toko' };
    const sent: Record<string, object> = {
      Invoices: { Type: 'ACCREC', Contact, Status: 'AUTHORISED', LineAmountTypes: 'NoTax', LineItems: [line] },
      CreditNotes: { Type: 'ACCRECCREDIT', Contact, Status: 'AUTHORISED', LineAmountTypes: 'NoTax', LineItems: [line] },
      BankTransactions: { Type: 'RECEIVE', BankAccount: { AccountID: bank.accountId }, Contact, LineItems: [line] },
    };
    const filedUnderContact = (
      element: { ValidationErrors: unknown[]; Contact: { HasValidationErrors: boolean; ValidationErrors: unknown[] } },
      what: string,
    ) => {
      assert.deepEqual(element.ValidationErrors, [], `${what}: nothing on the document itself`);
      assert.equal(element.Contact.HasValidationErrors, true, what);
      assert.deepEqual(element.Contact.ValidationErrors, [{ Message: 'Email address must be valid.' }], what);
    };
    for (const [path, doc] of Object.entries(sent)) {
      const res = await api('put', `/${path}`)
        .send({ [path]: [doc] })
        .expect(400);
      filedUnderContact(res.body.Elements[0], path);
    }
    const each = await api('put', '/BankTransactions?summarizeErrors=false')
      .send({ BankTransactions: [sent.BankTransactions] })
      .expect(200);
    assert.equal(each.body.BankTransactions[0].StatusAttributeString, 'ERROR');
    filedUnderContact(each.body.BankTransactions[0], 'BankTransactions, summarizeErrors=false');
    assert.equal(sim.bankTransactionsOf(tenantId).length, 0, 'nothing made');
  });
});

describe('gateway Xero client: Idempotency-Key per body (issue 14 item 8)', () => {
  let s: Sims;
  before(async () => {
    s = await getSims();
  });
  beforeEach(() => resetSims());
  after(() => resetSims());

  it('never sends one key with two bodies: the same caller key for another amount is a new write, the same body a replay', async () => {
    const o = s.xero.addOrganisation({ clientId: 'fid-client', clientSecret: 'fid-secret', name: 'Toko', shortCode: '!Fid', baseCurrency: 'IDR' });
    const creds = { clientId: 'fid-client', clientSecret: 'fid-secret', tenantId: o.tenantId };
    const bank = s.xero.bankAccountFor(o.tenantId, 'Xendit');
    const { invoiceId } = s.xero.addInvoice({ tenantId: o.tenantId, contact: { name: 'Budi' }, lineItems: [{ description: 'Kopi', unitAmount: '150000' }] });
    const pay = (amount: string) => ({ invoiceId, accountId: bank.accountId, date: '2026-03-01', amount, reference: 'Xendit abc' });
    const first = await s.xeroClient.createPayment(creds, pay('100000'), 'xendit-payment-1');
    assert.deepEqual(await s.xeroClient.createPayment(creds, pay('100000'), 'xendit-payment-1'), first, 'same body: replayed');
    // After a part payment elsewhere the worker records another amount under the same caller key.
    const second = await s.xeroClient.createPayment(creds, pay('50000'), 'xendit-payment-1');
    assert.notEqual(second.paymentId, first.paymentId);
    assert.equal(s.xero.paymentsOf(invoiceId).length, 2);
  });

  it('derives keys Xero accepts (at most 128 characters), different per body', () => {
    const a = idempotencyKeyFor('x'.repeat(300), 'createPayment', { Amount: 1 });
    const b = idempotencyKeyFor('x'.repeat(300), 'createPayment', { Amount: 2 });
    assert.ok(a.length <= 128);
    assert.notEqual(a, b);
    assert.equal(idempotencyKeyFor('k', 'createPayment', { Amount: 1 }), idempotencyKeyFor('k', 'createPayment', { Amount: 1 }));
  });
});
