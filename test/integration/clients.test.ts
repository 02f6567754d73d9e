import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { Xendit, XenditSdkError } from 'xendit-node';
import { createXenditClient } from '../../app/clients/xendit/index.js';
import { createXeroClient } from '../../app/clients/xero/index.js';
import { UpstreamError, type UpstreamErrorKind } from '../../app/clients/types.js';
import { unlimitedXeroBudget } from '../../app/clients/xero/budget.js';
import type { XeroCredentials } from '../../app/clients/xero/types.js';
import { createXenditSimulator, paymentProductId } from '../../app/simulators/xendit/index.js';
import type { NewSimInvoice } from '../../app/simulators/xero/index.js';
import { getSims, REFUNDABLE, resetSims, type Sims } from '../helpers/sims.js';

/** The VAT lookup's verdict without the fee it also reads (the fee has tests of its own). */
const taxOnly = (r: { kind: string; tax?: number }) => (r.kind === 'found' ? { kind: r.kind, tax: r.tax } : r);

async function rejectsWith(promise: Promise<unknown>, kind: UpstreamErrorKind): Promise<UpstreamError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof UpstreamError, `expected an UpstreamError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    return err;
  }
  return assert.fail(`expected an UpstreamError of kind ${kind}`);
}

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function manualClock(start = Date.now()) {
  let t = start;
  const clock = () => new Date(t);
  clock.advance = (ms: number) => {
    t += ms;
  };
  return clock;
}

// The bound only stops a hang: the check is what is waited on (2 s was too little on a loaded machine).
async function waitFor(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let seq = 0;

describe('gateway clients against the simulators', function () {
  let s: Sims;

  before(async () => {
    s = await getSims();
  });
  beforeEach(() => resetSims());
  after(() => resetSims());

  describe('Xero client', () => {
    function seed(baseCurrency = 'PHP') {
      const n = ++seq;
      const creds: XeroCredentials = { clientId: `ct-client-${n}`, clientSecret: `ct-secret-${n}`, tenantId: '' };
      const org = s.xero.addOrganisation({ clientId: creds.clientId, clientSecret: creds.clientSecret, name: 'Toko Uji', shortCode: `!CT${n}`, baseCurrency });
      const bank = s.xero.bankAccountFor(org.tenantId, 'Xendit');
      const invoice = (over: Partial<NewSimInvoice> = {}) =>
        s.xero.addInvoice({
          tenantId: org.tenantId,
          currency: baseCurrency,
          contact: { name: 'Maria Santos', email: 'maria@example.ph' },
          lineItems: [{ description: 'Barako beans 1 kg', quantity: '2', unitAmount: '1225.25' }],
          ...over,
        });
      return { creds, org, bank, invoice };
    }
    const pay = (invoiceId: string, accountId: string, amount: string, reference = 'Xendit inv_1') => ({
      invoiceId,
      accountId,
      amount,
      reference,
      date: '2026-11-25',
    });
    const basic = (creds: XeroCredentials) => `Basic ${Buffer.from(`${creds.clientId}:${creds.clientSecret}`).toString('base64')}`;
    async function tokenRequest(creds: XeroCredentials, body: string) {
      const res = await fetch(`${s.xeroUrl}/connect/token`, {
        method: 'POST',
        headers: { authorization: basic(creds), 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      return { status: res.status, json: (await res.json()) as { access_token?: string; refresh_token?: string; expires_in?: number; error?: string } };
    }

    it('reads the organisation', async () => {
      const { creds, org } = seed();
      const o = await s.xeroClient.getOrganisation(creds);
      assert.deepEqual(o, {
        organisationId: org.tenantId,
        name: 'Toko Uji',
        shortCode: org.shortCode,
        baseCurrency: 'PHP',
        timezone: 'SINGAPORESTANDARDTIME',
        isDemoCompany: false,
      });
    });

    it('caches the client_credentials token and renews it 60 s before expiry', async () => {
      const { creds } = seed();
      const clock = manualClock();
      const client = createXeroClient({ apiUrl: s.xeroUrl, identityUrl: s.xeroUrl, now: clock, budget: unlimitedXeroBudget });
      await Promise.all([client.listBankAccounts(creds), client.findInvoiceByNumber(creds, 'INV-0001'), client.getOrganisation(creds)]);
      await client.getOrganisation(creds);
      assert.equal(s.xero.test.tokenRequests(), 1);
      clock.advance(28 * 60_000);
      await client.getOrganisation(creds);
      assert.equal(s.xero.test.tokenRequests(), 1);
      clock.advance(60_000 + 1);
      await client.getOrganisation(creds);
      assert.equal(s.xero.test.tokenRequests(), 2);
    });

    it('gets a new token and retries once when the cached one is refused', async () => {
      const { creds } = seed();
      await s.xeroClient.getOrganisation(creds);
      s.xero.revokeTokens();
      assert.equal((await s.xeroClient.getOrganisation(creds)).name, 'Toko Uji');
      assert.equal(s.xero.test.tokenRequests(), 2);
    });

    it('maps bad credentials to unauthorized without leaking the secret', async () => {
      const { creds } = seed();
      const err = await rejectsWith(s.xeroClient.getOrganisation({ ...creds, clientSecret: 'wrong-secret-value' }), 'unauthorized');
      assert.match(err.message, /invalid_client/);
      assert.doesNotMatch(err.message, /wrong-secret-value|ct-secret/);
    });

    it('finds an invoice by its exact number, with exact amounts and the contact email', async () => {
      const { creds, invoice } = seed();
      const { invoiceId } = invoice({ invoiceNumber: 'INV-0042' });
      const inv = await s.xeroClient.findInvoiceByNumber(creds, ' INV-0042 ');
      assert.deepEqual(inv, {
        invoiceId,
        invoiceNumber: 'INV-0042',
        type: 'ACCREC',
        status: 'AUTHORISED',
        currencyCode: 'PHP',
        total: '2450.5',
        amountDue: '2450.5',
        amountPaid: '0',
        contactName: 'Maria Santos',
        contactId: s.xero.findInvoice(invoiceId)!.contact.contactId,
        contactEmail: 'maria@example.ph',
        lineAmountTypes: 'NoTax',
        lineItems: [
          { description: 'Barako beans 1 kg', quantity: '2', unitAmount: '1225.25', lineAmount: '2450.5', accountCode: '200', taxType: 'NONE', taxAmount: '0' },
        ],
      });
    });

    it('returns null for an unknown number or one that differs only in case', async () => {
      const { creds, invoice } = seed();
      invoice({ invoiceNumber: 'INV-0042' });
      assert.equal(await s.xeroClient.findInvoiceByNumber(creds, 'INV-9999'), null);
      assert.equal(await s.xeroClient.findInvoiceByNumber(creds, 'inv-0042'), null);
      assert.equal(await s.xeroClient.findInvoiceByNumber(creds, '   '), null);
    });

    it('returns bills (ACCPAY) with their type so the caller can refuse them', async () => {
      const { creds, invoice } = seed();
      invoice({ invoiceNumber: 'BILL-7', type: 'ACCPAY' });
      assert.equal((await s.xeroClient.findInvoiceByNumber(creds, 'BILL-7'))?.type, 'ACCPAY');
    });

    it('gets an invoice by id, null when Xero has none', async () => {
      const { creds, invoice } = seed();
      const { invoiceId } = invoice({ amountPaid: '450.5' });
      const inv = await s.xeroClient.getInvoice(creds, invoiceId);
      assert.equal(inv?.amountPaid, '450.5');
      assert.equal(inv?.amountDue, '2000');
      assert.equal(await s.xeroClient.getInvoice(creds, '00000000-0000-0000-0000-000000000000'), null);
    });

    it('lists the active bank accounts only', async () => {
      const { creds } = seed();
      const accounts = await s.xeroClient.listBankAccounts(creds);
      assert.deepEqual(
        accounts.map((a) => [a.name, a.code, a.currencyCode]),
        [
          ['Xendit', '090', 'PHP'],
          ['Business Savings Account', '091', 'PHP'],
        ],
      );
    });

    it('creates payments: AmountDue goes down, the invoice becomes PAID at zero', async () => {
      const { creds, bank, invoice } = seed();
      const { invoiceId } = invoice();
      const first = await s.xeroClient.createPayment(creds, pay(invoiceId, bank.accountId, '450.25', 'Xendit a'), 'key-a');
      assert.deepEqual(
        { ...first, paymentId: 'x' },
        { paymentId: 'x', invoiceId, reference: 'Xendit a', amount: '450.25', status: 'AUTHORISED', date: '2026-11-25', accountId: bank.accountId },
      );
      let inv = await s.xeroClient.getInvoice(creds, invoiceId);
      assert.equal(inv?.amountDue, '2000.25');
      assert.equal(inv?.status, 'AUTHORISED');
      await s.xeroClient.createPayment(creds, pay(invoiceId, bank.accountId, '2000.25', 'Xendit b'), 'key-b');
      inv = await s.xeroClient.getInvoice(creds, invoiceId);
      assert.equal(inv?.amountDue, '0');
      assert.equal(inv?.amountPaid, '2450.5');
      assert.equal(inv?.status, 'PAID');
    });

    it('finds payments by exact reference on that invoice only', async () => {
      const { creds, bank, invoice, org } = seed();
      const a = invoice().invoiceId;
      const b = invoice().invoiceId;
      const mine = await s.xeroClient.createPayment(creds, pay(a, bank.accountId, '100', 'Xendit "x"\\1'), 'k1');
      await s.xeroClient.createPayment(creds, pay(a, bank.accountId, '100', 'Xendit Y'), 'k2');
      await s.xeroClient.createPayment(creds, pay(b, bank.accountId, '100', 'Xendit "x"\\1'), 'k3');
      s.xero.recordPayment(org.tenantId, a, '100', bank.accountId, 'xendit "X"\\1'); // same text, other case
      const found = await s.xeroClient.findPaymentsByReference(creds, a, 'Xendit "x"\\1');
      assert.deepEqual(found, [mine]);
      s.xero.paymentsOf(a).forEach((p) => (p.status = 'DELETED'));
      assert.deepEqual(await s.xeroClient.findPaymentsByReference(creds, a, 'Xendit "x"\\1'), []);
    });

    it("finds its payment among more than a page of the invoice's (a Reference no where can hold is looked up by the invoice): every page is read", async () => {
      const { creds, bank, invoice, org } = seed();
      const a = invoice().invoiceId;
      for (let i = 0; i < 100; i++) s.xero.recordPayment(org.tenantId, a, '1', bank.accountId, `elsewhere ${i}`);
      const mine = await s.xeroClient.createPayment(creds, pay(a, bank.accountId, '1', 'Xendit "x"\\1'), 'k-page-2');
      assert.deepEqual(await s.xeroClient.findPaymentsByReference(creds, a, 'Xendit "x"\\1'), [mine]);
    });

    it('finds names, numbers and references holding a quote or backslash, never putting either in a where (Xero answers 400)', async () => {
      // Xero refuses a `where` string holding a double quote however it is escaped: 400
      // QueryParseException "Syntax error" (XeroAPI/Xero-Java#347), as the simulator does.
      const { creds, bank, invoice, org } = seed();
      s.xero.test.clearRequests();
      const odd = 'Bat "QUOTE" Man \\ Co';
      const contact = await s.xeroClient.createContact(creds, { name: odd, email: '"bat"@example.ph' }, 'c1');
      await s.xeroClient.createContact(creds, { name: 'Bat QUOTE Man Co' }, 'c2');
      assert.deepEqual(await s.xeroClient.findContacts(creds, { name: odd }), [contact]);
      assert.deepEqual(await s.xeroClient.findContacts(creds, { name: odd.toUpperCase() }), [contact], 'names are unique case-insensitively');
      assert.deepEqual(await s.xeroClient.findContacts(creds, { email: '"bat"@example.ph' }), [contact]);
      assert.deepEqual(await s.xeroClient.findContacts(creds, { name: '"\\"' }), []);

      for (const number of ['INV "7"', 'INV,"9\\', 'INV\\8']) {
        const made = invoice({ invoiceNumber: number });
        invoice({ invoiceNumber: number.replace(/["\\]/g, '') });
        assert.equal((await s.xeroClient.findInvoiceByNumber(creds, number))?.invoiceId, made.invoiceId, number);
      }
      const sale = invoice({ reference: 'Xendit "r"\\1' });
      invoice({ reference: 'Xendit r1' });
      assert.deepEqual(
        (await s.xeroClient.findInvoicesByReference(creds, 'Xendit "r"\\1')).map((i) => i.invoiceId),
        [sale.invoiceId],
      );
      const bill = invoice({ type: 'ACCPAY', invoiceNumber: 'Xendit fees "2026-11"' });
      assert.deepEqual(
        (await s.xeroClient.findBillsByNumber(creds, 'Xendit fees "2026-11"')).map((i) => i.invoiceId),
        [bill.invoiceId],
      );

      const paid = await s.xeroClient.createPayment(creds, pay(sale.invoiceId, bank.accountId, '100', 'Xendit "p"'), 'p1');
      assert.deepEqual(await s.xeroClient.findPaymentsByReferences(creds, ['Xendit "p"', 'Xendit other']), [paid]);

      const note = await s.xeroClient.createCreditNote(
        creds,
        {
          contactId: contact.contactId,
          date: '2026-11-25',
          reference: 'Xendit refund "1"',
          currencyCode: 'PHP',
          lineAmountTypes: 'NoTax',
          lineItems: [{ description: 'refund', accountCode: '200', amount: '10' }],
        },
        'n1',
      );
      assert.deepEqual(await s.xeroClient.findCreditNotesByReference(creds, 'Xendit refund "1"'), [note]);
      const cash = await s.xeroClient.createCreditNoteRefund(
        creds,
        { creditNoteId: note.creditNoteId, accountId: bank.accountId, date: '2026-11-25', amount: '10', reference: 'Xendit refund "1"' },
        'r1',
      );
      assert.deepEqual(
        (await s.xeroClient.findRefundPaymentsByReference(creds, 'Xendit refund "1"')).map((p) => p.paymentId),
        [cash.paymentId],
      );

      const journal = await s.xeroClient.createManualJournal(
        creds,
        {
          narration: 'Xendit fee "j"\\',
          date: '2026-11-25',
          lines: [
            { description: 'fee', accountCode: '404', amount: '10' },
            { description: 'fee', accountCode: '200', amount: '-10' },
          ],
        },
        'j1',
      );
      const journals = await s.xeroClient.findManualJournalsByNarration(creds, 'Xendit fee "j"\\');
      assert.deepEqual(
        journals.map((j) => j.manualJournalId),
        [journal.manualJournalId],
      );
      // Lines come only with `page` (the simulator drops them otherwise, as Xero does).
      assert.deepEqual(
        journals[0].lines.map((l) => l.amount),
        ['10', '-10'],
      );

      const savings = s.xero.bankAccountFor(org.tenantId, 'Business Savings Account');
      const moved = await s.xeroClient.createBankTransfer(
        creds,
        {
          fromAccountId: bank.accountId,
          toAccountId: savings.accountId,
          amount: '1',
          date: '2026-11-25',
          reference: 'Xendit withdrawal "w"',
          fromIsReconciled: true,
          toIsReconciled: true,
        },
        't1',
      );
      assert.deepEqual(await s.xeroClient.findBankTransfersByReference(creds, 'Xendit withdrawal "w"'), [moved]);
      const fee = await s.xeroClient.createBankTransaction(creds, spend(bank.accountId, 'Xendit fee "s"'), 's1');
      assert.deepEqual(await s.xeroClient.findBankTransactionsByReferences(creds, ['Xendit fee "s"']), [fee]);
      const wheres = s.xero.test.requests({ method: 'GET' }).flatMap((r) => new URLSearchParams(r.query ?? '').getAll('where'));
      assert.ok(wheres.length > 0);
      for (const where of wheres) assert.doesNotMatch(where.replace(/"[^"\\]*"/g, ''), /["\\]/, where);
    });

    const spend = (bankAccountId: string, reference: string, amount = '73.51', accountCode = '404') => ({
      type: 'SPEND' as const,
      bankAccountId,
      contactName: 'Xendit',
      date: '2026-11-25',
      reference,
      currencyCode: 'PHP',
      lineItems: [{ description: 'Xendit fee', accountCode, amount }],
    });

    it('creates Spend Money bank transactions and finds them by exact reference, live ones only', async () => {
      const { creds, bank, org } = seed();
      const mine = await s.xeroClient.createBankTransaction(creds, spend(bank.accountId, 'Xendit fee "a"\\1'), 'bt-1');
      assert.deepEqual(mine, {
        bankTransactionId: mine.bankTransactionId,
        type: 'SPEND',
        bankAccountId: bank.accountId,
        reference: 'Xendit fee "a"\\1',
        currencyCode: 'PHP',
        total: '73.51',
        status: 'AUTHORISED',
        lineItems: [{ description: 'Xendit fee', accountCode: '404', lineAmount: '73.51' }],
        date: '2026-11-25',
      });
      await s.xeroClient.createBankTransaction(creds, spend(bank.accountId, 'xendit fee "A"\\1'), 'bt-2'); // other case
      await s.xeroClient.createBankTransaction(creds, spend(bank.accountId, 'Xendit fee b'), 'bt-3');
      assert.deepEqual(await s.xeroClient.findBankTransactionsByReference(creds, 'Xendit fee "a"\\1'), [mine]);
      assert.equal(s.xero.balanceOf(org.tenantId, bank.accountId), -3n * 7351n);
      s.xero.bankTransactionsOf(org.tenantId)[0].status = 'DELETED';
      assert.deepEqual(await s.xeroClient.findBankTransactionsByReference(creds, 'Xendit fee "a"\\1'), []);
      const again = await s.xeroClient.createBankTransaction(creds, spend(bank.accountId, 'Xendit fee "a"\\1'), 'bt-1');
      assert.equal(again.bankTransactionId, mine.bankTransactionId, 'Idempotency-Key replayed');
    });

    it("rejects bank transactions Xero refuses, with Xero's message", async () => {
      const { creds, bank, org } = seed();
      const sales = s.xero.bankAccountFor(org.tenantId, '200');
      const cases: [ReturnType<typeof spend>, RegExp][] = [
        [spend(bank.accountId, 'r', '1', '999'), /Account code '999' is not a valid code/],
        [spend(sales.accountId, 'r'), /is not a bank account/],
        [{ ...spend(bank.accountId, 'r'), currencyCode: 'IDR' }, /must match the bank account currency \(PHP\)/],
        [spend(bank.accountId, 'r', '0'), /must be positive/],
      ];
      for (const [txn, message] of cases) {
        const err = await rejectsWith(s.xeroClient.createBankTransaction(creds, txn, `bad-${String(message)}`), 'rejected');
        assert.match(err.message, message);
      }
      assert.equal(s.xero.bankTransactionsOf(org.tenantId).length, 0);
    });

    it('reads the refusals Xero files under a Contact (xeroizer#477), on one create and on each item of a batch', async () => {
      const { creds, bank, org } = seed();
      const tooLong = 'N'.repeat(256);
      const err = await rejectsWith(
        s.xeroClient.createInvoice(
          creds,
          {
            contactName: tooLong,
            date: '2026-11-25',
            dueDate: '2026-11-25',
            reference: 'Xendit n1',
            currencyCode: 'PHP',
            lineItems: [{ description: 'x', quantity: '1', unitAmount: '10', accountCode: '200' }],
          },
          'n-inv',
        ),
        'rejected',
      );
      assert.match(err.message, /The contact name must not be longer than 255 characters/);
      const alone = await rejectsWith(s.xeroClient.createBankTransaction(creds, { ...spend(bank.accountId, 'n2'), contactName: tooLong }, 'n-bt'), 'rejected');
      assert.match(alone.message, /The contact name must not be longer than 255 characters/);
      const batch = await s.xeroClient.createBankTransactions(
        creds,
        [{ ...spend(bank.accountId, 'n3'), contactName: tooLong }, spend(bank.accountId, 'n4')],
        'n-batch',
      );
      assert.deepEqual(
        batch.map((r) => (r.ok ? 'ok' : r.message)),
        ['The contact name must not be longer than 255 characters', 'ok'],
      );
      assert.equal(s.xero.bankTransactionsOf(org.tenantId).length, 1);
    });

    it("rejects payments Xero refuses, with Xero's message, and records nothing", async () => {
      const { creds, bank, invoice, org } = seed();
      const open = invoice().invoiceId;
      const paid = invoice({ status: 'PAID' }).invoiceId;
      const voided = invoice({ status: 'VOIDED' }).invoiceId;
      const draft = invoice({ status: 'DRAFT' }).invoiceId;
      const idr = invoice({ currency: 'IDR', lineItems: [{ description: 'x', unitAmount: '150000' }] }).invoiceId;
      const sales = s.xero.bankAccountFor(org.tenantId, '200');
      const cases: [string, string, string, RegExp][] = [
        [open, bank.accountId, '2450.51', /exceeds the amount outstanding/],
        [paid, bank.accountId, '1', /not of valid status/],
        [voided, bank.accountId, '1', /not of valid status/],
        [draft, bank.accountId, '1', /Authorised documents/],
        [open, sales.accountId, '1', /not a bank account/],
        [idr, bank.accountId, '1', /must match the invoice currency/],
      ];
      for (const [invoiceId, accountId, amount, message] of cases) {
        const err = await rejectsWith(
          s.xeroClient.createPayment(creds, pay(invoiceId, accountId, amount), `k-${amount}-${invoiceId}-${accountId}`),
          'rejected',
        );
        assert.equal(err.status, 400);
        assert.match(err.message, message);
        assert.equal(err.retryable, false);
      }
      assert.equal(s.xero.paymentsOf(open).length, 0);
      assert.equal(s.xero.paymentsOf(idr).length, 0);
    });

    it('replays an Idempotency-Key instead of paying twice', async () => {
      const { creds, bank, invoice } = seed();
      const { invoiceId } = invoice();
      const first = await s.xeroClient.createPayment(creds, pay(invoiceId, bank.accountId, '100'), 'same-key');
      const again = await s.xeroClient.createPayment(creds, pay(invoiceId, bank.accountId, '100'), 'same-key');
      assert.deepEqual(again, first);
      assert.equal(s.xero.paymentsOf(invoiceId).length, 1);
      await s.xeroClient.createPayment(creds, pay(invoiceId, bank.accountId, '100'), 'other-key');
      assert.equal(s.xero.paymentsOf(invoiceId).length, 2);
    });

    it('maps 503 and 500 to unavailable and 429 to rate_limited with Retry-After', async () => {
      const { creds } = seed();
      await s.xeroClient.getOrganisation(creds); // token cached, so the faults hit API calls
      s.xero.faults.failNext(1, 503);
      assert.equal((await rejectsWith(s.xeroClient.getOrganisation(creds), 'unavailable')).status, 503);
      s.xero.faults.failNext(1, 500);
      assert.equal((await rejectsWith(s.xeroClient.listBankAccounts(creds), 'unavailable')).status, 500);
      s.xero.faults.failNext(1, 429, { retryAfter: 17 });
      const limited = await rejectsWith(s.xeroClient.findInvoiceByNumber(creds, 'INV-1'), 'rate_limited');
      assert.equal(limited.retryAfterSeconds, 17);
      assert.equal(limited.retryable, true);
    });

    it('enforces the per-organisation minute limit and sends the limit headers', async () => {
      const { creds } = seed();
      s.xero.limits.perMinute = 2;
      await s.xeroClient.getOrganisation(creds);
      await s.xeroClient.getOrganisation(creds);
      const err = await rejectsWith(s.xeroClient.getOrganisation(creds), 'rate_limited');
      assert.ok(err.retryAfterSeconds! >= 1 && err.retryAfterSeconds! <= 60, String(err.retryAfterSeconds));

      s.xero.limits.perMinute = 60;
      const { json: token } = await tokenRequest(creds, 'grant_type=client_credentials');
      assert.equal(token.expires_in, 1800);
      const res = await fetch(`${s.xeroUrl}/api.xro/2.0/Organisation`, { headers: { authorization: `Bearer ${token.access_token}`, 'xero-tenant-id': '' } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-minlimit-remaining'), '57');
      assert.ok(res.headers.get('x-daylimit-remaining'));
      assert.ok(res.headers.get('x-appminlimit-remaining'));
      const connections = (await (await fetch(`${s.xeroUrl}/connections`, { headers: { authorization: `Bearer ${token.access_token}` } })).json()) as {
        tenantName: string;
      }[];
      assert.deepEqual(
        connections.map((c) => c.tenantName),
        ['Toko Uji'],
      );
    });

    it('rotates refresh tokens, the old one staying valid for a grace period', async () => {
      const { creds } = seed();
      const first = s.xero.issueRefreshToken(creds.clientId);
      const a = await tokenRequest(creds, `grant_type=refresh_token&refresh_token=${first}`);
      assert.equal(a.status, 200);
      assert.ok(a.json.access_token && a.json.refresh_token && a.json.refresh_token !== first);
      assert.equal((await tokenRequest(creds, `grant_type=refresh_token&refresh_token=${first}`)).status, 200);
      const bad = await tokenRequest(creds, 'grant_type=refresh_token&refresh_token=nope');
      assert.deepEqual([bad.status, bad.json.error], [400, 'invalid_grant']);
    });

    it("creates invoices through PUT /Invoices in Xero's JSON", async () => {
      const { creds } = seed();
      const { json: token } = await tokenRequest(creds, 'grant_type=client_credentials');
      const res = await fetch(`${s.xeroUrl}/api.xro/2.0/Invoices`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          Invoices: [{ Type: 'ACCREC', Status: 'AUTHORISED', Contact: { Name: 'Jose' }, LineItems: [{ Description: 'x', Quantity: 3, UnitAmount: 0.1 }] }],
        }),
      });
      const body = (await res.json()) as { Status: string; Invoices: { InvoiceNumber: string; Total: number; Date: string }[] };
      assert.equal(res.status, 200);
      assert.equal(body.Status, 'OK');
      assert.equal(body.Invoices[0].Total, 0.3);
      assert.match(body.Invoices[0].Date, /^\/Date\(\d+\+0000\)\/$/);
      assert.equal((await s.xeroClient.findInvoiceByNumber(creds, body.Invoices[0].InvoiceNumber))?.total, '0.3');
    });

    it("lists the active sales tax rates with their effective rate (GET TaxRates in Xero's JSON)", async () => {
      const { creds } = seed('IDR');
      assert.deepEqual(await s.xeroClient.listSalesTaxRates(creds), [
        { taxType: 'NONE', name: 'No Tax', effectiveRate: '0' },
        { taxType: 'OUTPUT', name: 'PPN 11%', effectiveRate: '11' },
        { taxType: 'EXEMPTOUTPUT', name: 'Exempt Sales', effectiveRate: '0' },
      ]);
      const { json: token } = await tokenRequest(creds, 'grant_type=client_credentials');
      const res = await fetch(`${s.xeroUrl}/api.xro/2.0/TaxRates`, { headers: { authorization: `Bearer ${token.access_token}` } });
      const body = (await res.json()) as { Status: string; TaxRates: Record<string, unknown>[] };
      assert.equal(body.Status, 'OK');
      assert.deepEqual(
        body.TaxRates.map((r) => [r.TaxType, r.Status, r.CanApplyToRevenue, r.EffectiveRate]),
        [
          ['NONE', 'ACTIVE', true, 0],
          ['OUTPUT', 'ACTIVE', true, 11],
          ['EXEMPTOUTPUT', 'ACTIVE', true, 0],
          ['INPUT', 'ACTIVE', false, 11],
          ['TAX001', 'ARCHIVED', true, 10],
        ],
      );
      assert.deepEqual(Object.keys(body.TaxRates[1]).sort(), [
        'CanApplyToAssets',
        'CanApplyToEquity',
        'CanApplyToExpenses',
        'CanApplyToLiabilities',
        'CanApplyToRevenue',
        'DisplayTaxRate',
        'EffectiveRate',
        'Name',
        'ReportTaxType',
        'Status',
        'TaxComponents',
        'TaxType',
      ]);
    });

    describe('sales invoices with a tax rate (LineAmountTypes Inclusive)', () => {
      async function created(creds: XeroCredentials, lines: [string, string][], taxType?: string) {
        const contact = await s.xeroClient.createContact(creds, { name: `Dewi ${++seq}` }, `c-${seq}`);
        const inv = await s.xeroClient.createInvoice(
          creds,
          {
            contactId: contact.contactId,
            date: '2026-11-25',
            dueDate: '2026-11-25',
            reference: `Xendit t${seq}`,
            currencyCode: 'IDR',
            lineItems: lines.map(([q, u]) => ({ description: 'x', quantity: q, unitAmount: u, accountCode: '200' })),
            ...(taxType ? { taxType } : {}),
          },
          `i-${seq}`,
        );
        const { json: token } = await tokenRequest(creds, 'grant_type=client_credentials');
        const res = await fetch(`${s.xeroUrl}/api.xro/2.0/Invoices/${inv.invoiceId}`, { headers: { authorization: `Bearer ${token.access_token}` } });
        const json = ((await res.json()) as { Invoices: Record<string, unknown>[] }).Invoices[0];
        return { inv, json, lines: (json.LineItems as Record<string, unknown>[]).map((li) => [li.TaxType, li.LineAmount, li.TaxAmount]) };
      }

      it('takes the tax out of each line: the total stays the sum of the lines, SubTotal = Total − TotalTax', async () => {
        const { creds } = seed('IDR');
        const { inv, json, lines } = await created(creds, [['1', '150000']], 'OUTPUT');
        assert.deepEqual([inv.total, inv.amountDue], ['150000', '150000']);
        assert.deepEqual([json.LineAmountTypes, json.Total, json.TotalTax, json.SubTotal], ['Inclusive', 150000, 14864.86, 135135.14]);
        assert.deepEqual(lines, [['OUTPUT', 150000, 14864.86]]);
      });

      it('rounds each line to the cent, half away from zero, in exact arithmetic', async () => {
        const { creds, org } = seed('PHP');
        // 0.42 × 12/112 = 0.045 exactly: half away from zero is 0.05 (half to even would say 0.04).
        const { json, lines } = await created(
          creds,
          [
            ['1', '0.42'],
            ['3', '0.05'],
            ['1', '99999999.99'],
          ],
          'OUTPUT',
        );
        assert.equal(org.taxRates.find((r) => r.taxType === 'OUTPUT')?.name, 'VAT 12%');
        // 0.15 × 12/112 = 0.01607… → 0.02; 99 999 999.99 × 12/112 = 10 714 285.7132… → 10 714 285.71
        assert.deepEqual(lines, [
          ['OUTPUT', 0.42, 0.05],
          ['OUTPUT', 0.15, 0.02],
          ['OUTPUT', 99999999.99, 10714285.71],
        ]);
        assert.deepEqual([json.Total, json.TotalTax], [100000000.56, 10714285.78]);
      });

      it('without a tax rate sends exactly what it always did: NoTax, TaxType NONE', async () => {
        const { creds } = seed('IDR');
        const { json, lines } = await created(creds, [['1', '150000']]);
        assert.deepEqual([json.LineAmountTypes, json.Total, json.TotalTax, json.SubTotal], ['NoTax', 150000, 0, 150000]);
        assert.deepEqual(lines, [['NONE', 150000, 0]]);
      });

      it("refuses a TaxType Xero does not have, or not for sales, with Xero's message, and saves nothing", async () => {
        const { creds, org } = seed('IDR');
        for (const code of ['VAT99', 'INPUT', 'TAX001']) {
          const err = await rejectsWith(created(creds, [['1', '150000']], code), 'rejected');
          assert.match(err.message, new RegExp(`The TaxType code '${code}' does not exist or cannot be used for this type of transaction`));
        }
        assert.equal(s.xero.invoicesOf(org.tenantId).length, 0);
      });
    });

    it('scopes a fault to a method and path', async () => {
      const { creds, bank, invoice } = seed();
      const { invoiceId } = invoice();
      s.xero.faults.failNext(1, 503, { method: 'POST', path: '/api.xro/2.0/Payments' });
      assert.equal((await s.xeroClient.getInvoice(creds, invoiceId))?.invoiceId, invoiceId);
      await rejectsWith(s.xeroClient.createPayment(creds, pay(invoiceId, bank.accountId, '1'), 'k'), 'unavailable');
      assert.equal(s.xero.faults.armed, 0);
      assert.equal(s.xero.paymentsOf(invoiceId).length, 0);
    });

    it('fails as unavailable within the timeout when Xero hangs', async () => {
      const { creds } = seed();
      const client = createXeroClient({ apiUrl: s.xeroUrl, identityUrl: s.xeroUrl, timeoutMs: 300, budget: unlimitedXeroBudget });
      s.xero.faults.hang('forever');
      const started = Date.now();
      await rejectsWith(client.getOrganisation(creds), 'unavailable');
      // The hang is for ever, so any bound shows the 300 ms timeout fired; a loaded machine needs more than 2 s of slack.
      assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    });

    it('fails as unavailable when nothing listens', async () => {
      const url = await closedPortUrl();
      const client = createXeroClient({ apiUrl: url, identityUrl: url, timeoutMs: 1000, budget: unlimitedXeroBudget });
      await rejectsWith(client.getOrganisation({ clientId: 'a', clientSecret: 'b', tenantId: '' }), 'unavailable');
    });

    it('repeats a read once when the connection is reset, but never a payment', async () => {
      const { creds, bank, invoice } = seed();
      const { invoiceId, invoiceNumber } = invoice();
      await s.xeroClient.getOrganisation(creds);
      s.xero.faults.resetConnection(1);
      assert.equal((await s.xeroClient.findInvoiceByNumber(creds, invoiceNumber))?.invoiceId, invoiceId);
      s.xero.faults.resetConnection(2);
      await rejectsWith(s.xeroClient.findInvoiceByNumber(creds, invoiceNumber), 'unavailable');
      s.xero.faults.resetConnection(1, { method: 'POST' });
      await rejectsWith(s.xeroClient.createPayment(creds, pay(invoiceId, bank.accountId, '1', 'Xendit reset'), 'reset-key'), 'unavailable');
      assert.equal(s.xero.faults.armed, 0);
      assert.equal(s.xero.paymentsOf(invoiceId).length, 0, 'the reset write was neither saved nor repeated');
    });

    it('reports a dropped answer as unavailable, though the payment was saved and can be found', async () => {
      const { creds, bank, invoice } = seed();
      const { invoiceId } = invoice();
      await s.xeroClient.getOrganisation(creds);
      s.xero.faults.dropResponseAfterSave(1);
      await rejectsWith(s.xeroClient.createPayment(creds, pay(invoiceId, bank.accountId, '2450.5', 'Xendit lost'), 'lost-key'), 'unavailable');
      const found = await s.xeroClient.findPaymentsByReference(creds, invoiceId, 'Xendit lost');
      assert.equal(found.length, 1);
      assert.equal(found[0].amount, '2450.5');
      assert.equal((await s.xeroClient.getInvoice(creds, invoiceId))?.status, 'PAID');
    });

    it('lists every payment into an account and every bank transaction on it, across pages of 100', async () => {
      const { creds, bank, invoice, org } = seed();
      s.xero.limits.perMinute = 1000; // restored by resetSims()
      const savings = s.xero.bankAccountFor(org.tenantId, 'Business Savings Account');
      const { invoiceId } = invoice({ lineItems: [{ description: 'x', unitAmount: '100000' }] });
      for (let i = 0; i < 205; i++) s.xero.recordPayment(org.tenantId, invoiceId, '1', bank.accountId, `P${i}`);
      s.xero.recordPayment(org.tenantId, invoiceId, '7', savings.accountId, 'elsewhere');
      for (let i = 0; i < 101; i++) await s.xeroClient.createBankTransaction(creds, spend(bank.accountId, `F${i}`, '0.01'), `page-${i}`);
      const payments = (await s.xeroClient.listPaymentsToAccounts(creds, [bank.accountId])).get(bank.accountId)!;
      assert.equal(payments.length, 205);
      assert.equal(new Set(payments.map((p) => p.reference)).size, 205);
      assert.ok(payments.every((p) => p.accountId === bank.accountId && /^\d{4}-\d{2}-\d{2}$/.test(p.date ?? '')));
      const txns = await s.xeroClient.listBankTransactionsOfAccount(creds, bank.accountId);
      assert.equal(txns.length, 101);
      assert.deepEqual(await s.xeroClient.listBankTransactionsOfAccount(creds, savings.accountId), []);
    });

    it("finds payments by reference and lists an account's payments in an organisation past Xero's high volume threshold", async () => {
      const { creds, bank, invoice, org } = seed();
      const { invoiceId } = invoice();
      const savings = s.xero.bankAccountFor(org.tenantId, 'Business Savings Account');
      const one = await s.xeroClient.createPayment(creds, pay(invoiceId, bank.accountId, '10', 'Xendit hv-1'), 'hv-1');
      const two = await s.xeroClient.createPayment(creds, pay(invoiceId, bank.accountId, '20', 'Xendit hv-2'), 'hv-2');
      s.xero.recordPayment(org.tenantId, invoiceId, '7', savings.accountId, 'elsewhere');
      // Past it Xero takes only paged reads by its optimised filters: no OR of References, no Account.AccountID.
      s.xero.test.highVolumeThreshold(1); // reset by resetSims()
      const found = await s.xeroClient.findPaymentsByReferences(creds, ['Xendit hv-1', 'Xendit hv-2', 'Xendit hv-none']);
      assert.deepEqual(found.map((p) => p.paymentId).sort(), [one.paymentId, two.paymentId].sort());
      assert.deepEqual(
        (await s.xeroClient.findPaymentsByReference(creds, invoiceId, 'Xendit hv-2')).map((p) => p.paymentId),
        [two.paymentId],
      );
      const listed = (await s.xeroClient.listPaymentsToAccounts(creds, [bank.accountId])).get(bank.accountId)!;
      assert.deepEqual(listed.map((p) => p.reference).sort(), ['Xendit hv-1', 'Xendit hv-2']);
    });

    it('finds a manual journal by its narration with its lines: a list read without page has none (xero_accounting.yaml getManualJournals)', async () => {
      const { creds } = seed();
      const lines = [
        { description: 'fee', accountCode: '404', amount: '7.5' },
        { description: 'fee', accountCode: '200', amount: '-7.5' },
      ];
      const made = await s.xeroClient.createManualJournal(creds, { narration: 'Xendit fee plain', date: '2026-11-25', lines }, 'j-plain');
      const [found, ...more] = await s.xeroClient.findManualJournalsByNarration(creds, 'Xendit fee plain');
      assert.equal(more.length, 0);
      assert.equal(found.manualJournalId, made.manualJournalId);
      assert.deepEqual(
        found.lines.map((l) => [l.accountCode, l.amount]),
        [
          ['404', '7.5'],
          ['200', '-7.5'],
        ],
      );
    });

    it("reads invoices and bills in an organisation past Xero's high volume threshold on GET Invoices, a bill by its number alone", async () => {
      const { creds, invoice } = seed();
      const sale = invoice({ reference: 'Xendit hv sale' });
      const bill = invoice({ type: 'ACCPAY', invoiceNumber: 'Xendit fees 2026-11' });
      const odd = invoice({ type: 'ACCPAY', invoiceNumber: 'Xendit fees "2026-12"' });
      for (let i = 0; i < 3; i++) invoice({ type: 'ACCPAY', invoiceNumber: `Other bill ${i}` });
      // Past it Xero refuses reads by unoptimised fields, and unpaged ones returning more than it.
      s.xero.test.highVolumeThreshold(undefined, 2); // reset by resetSims()
      s.xero.test.clearRequests();
      assert.equal((await s.xeroClient.findInvoiceByNumber(creds, sale.invoiceNumber))?.invoiceId, sale.invoiceId);
      assert.deepEqual(
        (await s.xeroClient.getInvoicesByIds(creds, [sale.invoiceId])).map((i) => i.invoiceId),
        [sale.invoiceId],
      );
      assert.deepEqual(
        (await s.xeroClient.findInvoicesByReference(creds, 'Xendit hv sale')).map((i) => i.invoiceId),
        [sale.invoiceId],
      );
      assert.deepEqual(
        (await s.xeroClient.listOpenInvoiceNumbers(creds, 1, 100)).invoices.map((i) => i.invoiceId),
        [sale.invoiceId],
      );
      assert.deepEqual(
        (await s.xeroClient.findBillsByNumber(creds, 'Xendit fees 2026-11')).map((i) => i.invoiceId),
        [bill.invoiceId],
      );
      s.xero.test.clearRequests();
      assert.deepEqual(
        (await s.xeroClient.findBillsByNumber(creds, 'Xendit fees "2026-12"')).map((i) => i.invoiceId),
        [odd.invoiceId],
      );
      // A number a `where` cannot hold is read by InvoiceNumbers, not by reading every bill.
      const reads = s.xero.test.requests({ method: 'GET' }).filter((r) => r.path.endsWith('/Invoices'));
      assert.deepEqual(
        reads.map((r) => new URLSearchParams(r.query ?? '').get('InvoiceNumbers')),
        ['Xendit fees "2026-12"'],
      );
    });

    it("finds a cash refund by its Reference in an organisation past Xero's high volume threshold: every GET Payments is paged", async () => {
      const { creds, bank } = seed();
      const { contactId } = await s.xeroClient.createContact(creds, { name: 'Maria Santos' }, 'hv-c');
      const note = await s.xeroClient.createCreditNote(
        creds,
        {
          contactId,
          date: '2026-11-25',
          reference: 'Xendit refund hv',
          currencyCode: 'PHP',
          lineAmountTypes: 'NoTax',
          lineItems: [{ description: 'refund', accountCode: '200', amount: '10' }],
        },
        'hv-n',
      );
      const terms = { accountId: bank.accountId, date: '2026-11-25', amount: '10', reference: 'Xendit refund hv' };
      const cash = await s.xeroClient.createCreditNoteRefund(creds, { ...terms, creditNoteId: note.creditNoteId }, 'hv-r');
      // With a quote no `where` can hold the Reference: the organisation's every payment, page by page.
      const odd = await s.xeroClient.createCreditNote(
        creds,
        {
          contactId,
          date: '2026-11-25',
          reference: 'Xendit refund "hv"',
          currencyCode: 'PHP',
          lineAmountTypes: 'NoTax',
          lineItems: [{ description: 'refund', accountCode: '200', amount: '5' }],
        },
        'hv-n2',
      );
      const oddCash = await s.xeroClient.createCreditNoteRefund(
        creds,
        { ...terms, amount: '5', reference: 'Xendit refund "hv"', creditNoteId: odd.creditNoteId },
        'hv-r2',
      );
      s.xero.test.highVolumeThreshold(0); // reset by resetSims()
      s.xero.test.clearRequests();
      assert.deepEqual(
        (await s.xeroClient.findRefundPaymentsByReference(creds, 'Xendit refund hv')).map((p) => p.paymentId),
        [cash.paymentId],
      );
      assert.deepEqual(
        (await s.xeroClient.findRefundPaymentsByReference(creds, 'Xendit refund "hv"')).map((p) => p.paymentId),
        [oddCash.paymentId],
      );
      const reads = s.xero.test.requests({ method: 'GET' }).filter((r) => r.path.endsWith('/Payments'));
      assert.ok(reads.length >= 2);
      for (const r of reads) assert.ok(Number(new URLSearchParams(r.query ?? '').get('page')) >= 1, `unpaged: ${r.query}`);
    });

    it('shows the simulated Xero page, escaped, without inline script or style', async () => {
      const { invoice } = seed();
      invoice({ invoiceNumber: 'INV-<b>', contact: { name: '<script>alert(1)</script>' } });
      const res = await fetch(`${s.xeroUrl}/`);
      const html = await res.text();
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      assert.match(html, /INV-&lt;b&gt;/);
      assert.match(html, /2450\.50/);
      assert.doesNotMatch(html, /<script|style=/i);
      assert.match(html, /<link rel="stylesheet" href="\/sim\.css">/);
    });
  });

  describe('Xendit client', () => {
    let receiver: Server;
    let receiverUrl: string;
    const received: { headers: IncomingHttpHeaders; body: Record<string, unknown> }[] = [];

    before(async () => {
      receiver = createServer((req, res) => {
        let data = '';
        req.on('data', (c) => (data += c));
        req.on('end', () => {
          received.push({ headers: req.headers, body: JSON.parse(data) });
          res.end('ok');
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cb`;
    });
    after(async () => {
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    });
    beforeEach(() => {
      received.length = 0;
    });

    function seed() {
      const n = ++seq;
      const secretKey = `xnd_development_ct${n}`;
      s.xendit.registerAccount({ secretKey, callbackToken: `cb-token-${n}`, callbackUrl: receiverUrl, businessName: 'Toko Uji' });
      return { secretKey, token: `cb-token-${n}` };
    }
    const newInvoice = (over: Partial<Parameters<Sims['xenditClient']['createInvoice']>[1]> = {}) => ({
      externalId: 'xero-inv-1',
      currency: 'PHP' as const,
      amount: 245050,
      description: 'INV-0042 for Maria',
      payerEmail: 'maria@example.ph',
      items: [{ name: 'Barako beans', quantity: 2, price: 122525 }],
      successRedirectUrl: 'http://localhost:3000/pay/done',
      failureRedirectUrl: 'http://localhost:3000/pay/failed',
      invoiceDurationSeconds: 3600,
      ...over,
    });

    it('creates an invoice, amounts in minor units both ways', async () => {
      const { secretKey } = seed();
      const inv = await s.xenditClient.createInvoice(secretKey, newInvoice());
      assert.deepEqual(
        { ...inv, id: 'x' },
        {
          id: 'x',
          externalId: 'xero-inv-1',
          status: 'PENDING',
          currency: 'PHP',
          amount: 245050,
          invoiceUrl: `${s.xenditUrl}/checkout/${inv.id}`,
          validForSeconds: 3600,
          description: 'INV-0042 for Maria',
          payerEmail: 'maria@example.ph',
          items: [{ name: 'Barako beans', quantity: 2, price: 122525 }],
        },
      );
      const stored = s.xendit.getInvoice(inv.id)!;
      assert.equal(stored.amount, 245050);
      assert.deepEqual(stored.items, [{ name: 'Barako beans', quantity: 2, price: 122525 }]);
      assert.equal(stored.expiryDate.getTime() - stored.created.getTime(), 3600_000);
    });

    it('reads the paid fields the SDK model drops, after the simulator is paid', async () => {
      const { secretKey, token } = seed();
      const { id } = await s.xenditClient.createInvoice(secretKey, newInvoice());
      const callback = await s.xendit.pay(id);
      const inv = await s.xenditClient.getInvoice(secretKey, id);
      assert.equal(inv?.status, 'PAID');
      assert.equal(inv?.paidAmount, 245050);
      assert.equal(inv?.feesPaidAmount, 7106); // 2.9 % of 2450.50, rounded to the centavo
      assert.equal(inv?.paymentMethod, 'BANK_TRANSFER');
      assert.ok(inv?.paidAt && !Number.isNaN(Date.parse(inv.paidAt)));

      assert.equal(callback?.responseStatus, 200);
      assert.equal(received.length, 1);
      assert.equal(received[0].headers['x-callback-token'], token);
      assert.equal(received[0].body.id, id);
      assert.equal(received[0].body.status, 'PAID');
      assert.equal(received[0].body.paid_amount, 2450.5);
      assert.equal(received[0].body.external_id, 'xero-inv-1');
    });

    it("answers in the full shape xendit-node's own models require", async () => {
      const { secretKey } = seed();
      const { id } = await s.xenditClient.createInvoice(secretKey, newInvoice());
      await s.xendit.pay(id, { sendCallback: false });
      const sdk = new Xendit({ secretKey, xenditURL: s.xenditUrl }).Invoice;
      const viaSdk = await sdk.getInvoiceById({ invoiceId: id });
      assert.equal(viaSdk.status, 'PAID');
      assert.equal(viaSdk.amount, 2450.5);
      assert.ok(viaSdk.expiryDate instanceof Date);
      assert.equal((await sdk.getInvoices({ externalId: 'xero-inv-1' })).length, 1);
      assert.equal(received.length, 0);
    });

    it("refuses an invoice its account cannot take with Xendit's documented 400 error_codes, creating nothing", async () => {
      const { secretKey } = seed();
      const sdk = new Xendit({ secretKey, xenditURL: s.xenditUrl }).Invoice;
      const refused = async (over: Parameters<typeof newInvoice>[0], code: string) => {
        const before = s.xendit.test.invoiceCount();
        const err = await rejectsWith(s.xenditClient.createInvoice(secretKey, newInvoice(over)), 'rejected');
        assert.equal(err.status, 400);
        assert.equal(err.code, code, err.message);
        // xendit-node itself reads the body as its BadRequestError: error_code and message.
        const { amount, payerEmail, paymentMethods, currency } = newInvoice(over);
        await assert.rejects(
          sdk.createInvoice({ data: { externalId: 'sdk', amount: amount / 100, currency, payerEmail, paymentMethods } }),
          (e: unknown) => e instanceof XenditSdkError && e.errorCode === code && e.errorMessage !== '',
        );
        assert.equal(s.xendit.test.invoiceCount(), before);
      };
      await refused({ payerEmail: 'maria at example' }, 'EMAIL_FORMAT_ERROR');
      s.xendit.test.updateAccount(secretKey, { activatedChannels: ['GCASH', 'PAYMAYA'], activatedCurrencies: ['PHP', 'IDR'] });
      await refused({ paymentMethods: ['GCASH', 'GRABPAY'] }, 'UNAVAILABLE_PAYMENT_METHOD_ERROR');
      await refused({ currency: 'IDR', amount: 100000, items: undefined }, 'NO_COLLECTION_METHODS_ERROR');
      await refused({ currency: 'THB', amount: 100000, items: undefined }, 'UNSUPPORTED_CURRENCY');
      // What the account has goes through.
      assert.equal((await s.xenditClient.createInvoice(secretKey, newInvoice({ paymentMethods: ['GCASH'] }))).status, 'PENDING');
      assert.equal((await s.xenditClient.createInvoice(secretKey, newInvoice())).status, 'PENDING');
    });

    it('returns null for an unknown invoice id', async () => {
      const { secretKey } = seed();
      assert.equal(await s.xenditClient.getInvoice(secretKey, 'ffffffffffffffffffffffff'), null);
    });

    it('finds invoices by external id', async () => {
      const { secretKey } = seed();
      const a = await s.xenditClient.createInvoice(secretKey, newInvoice());
      const b = await s.xenditClient.createInvoice(secretKey, newInvoice({ amount: 100000 }));
      await s.xenditClient.createInvoice(secretKey, newInvoice({ externalId: 'xero-inv-2' }));
      const found = await s.xenditClient.findInvoicesByExternalId(secretKey, 'xero-inv-1');
      assert.deepEqual(found.map((i) => i.id).sort(), [a.id, b.id].sort());
      assert.deepEqual(await s.xenditClient.findInvoicesByExternalId(secretKey, 'nope'), []);
    });

    describe('VAT on the fee (Transactions API)', () => {
      const query = (inv: { id: string; amount: number }, externalId = 'xero-inv-1') => ({
        id: inv.id,
        externalId,
        paidAmount: inv.amount,
        currency: 'PHP' as const,
      });

      it("finds the payment's transaction by reference_id = the external id; its product_id is the payment, not the invoice", async () => {
        const { secretKey } = seed();
        const inv = await s.xenditClient.createInvoice(secretKey, newInvoice());
        await s.xendit.pay(inv.id, { sendCallback: false });
        s.xendit.getInvoice(inv.id)!.feeTax = 853;

        const sdk = new Xendit({ secretKey, xenditURL: s.xenditUrl }).Transaction;
        const [txn, ...more] = (await sdk.getAllTransactions({ referenceId: 'xero-inv-1', types: ['PAYMENT'] })).data;
        assert.equal(more.length, 0);
        assert.equal(txn.referenceId, 'xero-inv-1');
        assert.notEqual(txn.productId, inv.id, 'as at Xendit: the VA deposit, e-wallet charge, ... id');
        assert.equal(txn.productId, paymentProductId(inv.id), 'the same every time');
        assert.deepEqual((await sdk.getAllTransactions({ productId: inv.id })).data, [], 'no transaction has the invoice id as product_id');
        assert.equal((await sdk.getAllTransactions({ productId: txn.productId })).data.length, 1);

        assert.deepEqual(taxOnly(await s.xenditClient.getFeeTax(secretKey, query(inv))), { kind: 'found', tax: 853 });
        assert.ok(s.xendit.test.requests().some((r) => r.path === '/transactions'));
      });

      it('picks, among payments with the same external id, the one of the paid amount (exact minor units)', async () => {
        const { secretKey } = seed();
        const small = await s.xenditClient.createInvoice(secretKey, newInvoice({ amount: 100050, items: [] }));
        const large = await s.xenditClient.createInvoice(secretKey, newInvoice());
        for (const [inv, tax] of [
          [small, 12],
          [large, 853],
        ] as const) {
          await s.xendit.pay(inv.id, { sendCallback: false });
          s.xendit.getInvoice(inv.id)!.feeTax = tax;
        }
        assert.deepEqual(taxOnly(await s.xenditClient.getFeeTax(secretKey, query(small))), { kind: 'found', tax: 12 });
        assert.deepEqual(taxOnly(await s.xenditClient.getFeeTax(secretKey, query(large))), { kind: 'found', tax: 853 });
      });

      it('answers ambiguous for two payments of the same external id and amount, not_found when none is listed', async () => {
        const { secretKey } = seed();
        const a = await s.xenditClient.createInvoice(secretKey, newInvoice());
        const b = await s.xenditClient.createInvoice(secretKey, newInvoice());
        await s.xendit.pay(a.id, { sendCallback: false });
        await s.xendit.pay(b.id, { sendCallback: false });
        assert.deepEqual(await s.xenditClient.getFeeTax(secretKey, query(a)), { kind: 'ambiguous', count: 2, more: false });

        const c = await s.xenditClient.createInvoice(secretKey, newInvoice({ externalId: 'xero-inv-3' }));
        await s.xendit.pay(c.id, { sendCallback: false });
        s.xendit.getInvoice(c.id)!.transactionUnlisted = true;
        assert.deepEqual(await s.xenditClient.getFeeTax(secretKey, query(c, 'xero-inv-3')), { kind: 'not_found' });
        assert.deepEqual(await s.xenditClient.getFeeTax(secretKey, query(a, 'nobody-uses-this')), { kind: 'not_found' });
      });

      it('an old voided payment of a reused external id is never taken for the invoice, nor makes its payment ambiguous', async () => {
        const { secretKey } = seed();
        // Made outside the gateway with the same external id and amount, paid, then voided.
        const old = s.xendit.createInvoice({ account: secretKey, currency: 'PHP', amount: 245050, externalId: 'reused-1' });
        await s.xendit.pay(old.id, { sendCallback: false, ...REFUNDABLE });
        await s.xendit.refund(old.id, { void: true, sendWebhook: false });
        const inv = s.xendit.createInvoice({ account: secretKey, currency: 'PHP', amount: 245050, externalId: 'reused-1' });
        await s.xendit.pay(inv.id, { sendCallback: false });
        s.xendit.getInvoice(inv.id)!.feeTax = 853;
        const q = query(inv, 'reused-1');
        s.xendit.getInvoice(inv.id)!.transactionUnlisted = true;
        assert.deepEqual(await s.xenditClient.getFeeTax(secretKey, q), { kind: 'not_found' }, 'its own not listed yet: the void is not it');
        s.xendit.getInvoice(inv.id)!.transactionUnlisted = false;
        assert.deepEqual(taxOnly(await s.xenditClient.getFeeTax(secretKey, q)), { kind: 'found', tax: 853 });
        // The old one's own lookup: it names itself only when Xendit sends product_data.
        const oldQ = query(old, 'reused-1');
        s.xendit.getInvoice(old.id)!.transactionNamesInvoice = true;
        assert.deepEqual(taxOnly(await s.xenditClient.getFeeTax(secretKey, oldQ)), { kind: 'found', tax: 0 });
      });

      it("reference_id matches in part, as Xendit documents: the lookup reads past pages of look-alike external ids to the invoice's own", async () => {
        const { secretKey } = seed();
        const paid = async (externalId: string) => {
          const inv = s.xendit.createInvoice({ account: secretKey, currency: 'PHP', amount: 245050, externalId });
          await s.xendit.pay(inv.id, { sendCallback: false });
          return inv;
        };
        const own = await paid('ord-7');
        await new Promise((resolve) => setTimeout(resolve, 5));
        for (let n = 0; n < 55; n++) await paid(`ord-7${n}`); // newer: listed first
        const raw = await request(s.xenditUrl).get('/transactions?reference_id=ord-7&currency=PHP&limit=50').auth(secretKey, '').expect(200);
        assert.equal(raw.body.has_more, true);
        assert.ok(
          raw.body.data.every((t: { reference_id: string }) => t.reference_id.startsWith('ord-7')),
          'the look-alikes are listed too',
        );
        assert.deepEqual(taxOnly(await s.xenditClient.getFeeTax(secretKey, { ...query(own, 'ord-7'), paidAmount: 245050 })), { kind: 'found', tax: 0 });
      });

      it('reads at most 5 pages of look-alikes (after_id), then calls it ambiguous rather than guess', async () => {
        const row = (n: number, referenceId: string) => ({
          id: `txn-${n}`,
          product_id: `va-${n}`,
          reference_id: referenceId,
          status: 'SUCCESS',
          currency: 'IDR',
          amount: 150000,
          fee: { xendit_fee: 4350, value_added_tax: 479 },
        });
        let ownAt = 0;
        let lastPage = 0;
        const asked: unknown[] = [];
        const server = express()
          .get('/transactions', (req, res) => {
            asked.push(req.query.after_id);
            const page = req.query.after_id ? Number(String(req.query.after_id).split('-')[1]) / 50 : 0;
            const data = Array.from({ length: 50 }, (_, i) => row(page * 50 + i + 1, page === ownAt && i === 49 ? 'ext-1' : `ext-1${i}`));
            res.json({ has_more: page < lastPage, data });
          })
          .listen(0, '127.0.0.1');
        await new Promise((resolve) => server.once('listening', resolve));
        try {
          const client = createXenditClient({ apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
          const q = { id: 'inv-1', externalId: 'ext-1', paidAmount: 150000, currency: 'IDR' as const };
          [ownAt, lastPage] = [2, 3];
          assert.deepEqual(taxOnly(await client.getFeeTax('k', q)), { kind: 'found', tax: 479 }, 'the only one, on the third of four pages');
          assert.deepEqual(asked, [undefined, 'txn-50', 'txn-100', 'txn-150']);
          for (const [own, expected] of [
            [1, { kind: 'ambiguous', count: 1, more: true }],
            [7, { kind: 'ambiguous', count: 0, more: true }],
          ] as const) {
            [ownAt, lastPage, asked.length] = [own, 9, 0];
            assert.deepEqual(await client.getFeeTax('k', q), expected, 'ten pages: five read, the rest may hold another');
            assert.equal(asked.length, 5);
          }
        } finally {
          await new Promise((resolve) => server.close(resolve));
        }
      });

      it('takes a transaction whose product_id is the invoice id; past one page of candidates it does not guess', async () => {
        const txn = (productId: string, amount: number, vat: number) => ({
          product_id: productId,
          reference_id: 'ext-1',
          status: 'SUCCESS',
          currency: 'IDR',
          amount,
          fee: { xendit_fee: 4350, value_added_tax: vat },
        });
        let answer: unknown;
        const server = express()
          .get('/transactions', (req, res) => {
            assert.equal(req.query.reference_id, 'ext-1');
            res.json(answer);
          })
          .listen(0, '127.0.0.1');
        await new Promise((resolve) => server.once('listening', resolve));
        try {
          const client = createXenditClient({ apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
          const q = { id: 'inv-1', externalId: 'ext-1', paidAmount: 150000, currency: 'IDR' as const };
          answer = { has_more: false, data: [txn('va-1', 150000, 400), txn('inv-1', 150000, 479), txn('va-3', 150000, 500)] };
          assert.deepEqual(taxOnly(await client.getFeeTax('k', q)), { kind: 'found', tax: 479 });
          answer = { has_more: false, data: [{ ...txn('va-1', 150000, 400), status: 'FAILED' }, txn('va-2', 150000.5, 1), txn('va-3', 150000, 479)] };
          assert.deepEqual(taxOnly(await client.getFeeTax('k', q)), { kind: 'found', tax: 479 }, 'a failed one and another amount do not count');
          answer = { has_more: true, data: [txn('va-1', 150000, 479)] };
          assert.deepEqual(await client.getFeeTax('k', q), { kind: 'ambiguous', count: 1, more: true });
          // fee.status (FeeResponse): REVERSED and CANCELED say Xendit no longer keeps the fee; any other value, or none, that it does.
          for (const [status, returned] of [
            ['REVERSED', true],
            ['CANCELED', true],
            ['COMPLETED', false],
            ['PENDING', false],
            ['NOT_APPLICABLE', false],
            [undefined, false],
          ] as const) {
            const t = txn('inv-1', 150000, 479);
            answer = { has_more: false, data: [{ ...t, fee: { ...t.fee, ...(status ? { status } : {}) } }] };
            const found = await client.getFeeTax('k', q);
            const pending = status === 'PENDING' ? { feePending: true } : {};
            assert.deepEqual(found, { kind: 'found', fee: 4350, tax: 479, ...(returned ? { feeReturned: true } : {}), ...pending }, String(status));
          }
          // A VOIDED payment was cancelled before settlement, fee and VAT given back whatever fee.status says,
          // when it names the invoice; a FAILED one never counts.
          answer = {
            has_more: false,
            data: [
              { ...txn('va-1', 150000, 400), status: 'FAILED' },
              { ...txn('va-2', 150000, 479), status: 'VOIDED', product_data: { payment_link_id: 'inv-1' } },
            ],
          };
          assert.deepEqual(await client.getFeeTax('k', q), { kind: 'found', fee: 4350, tax: 479, feeReturned: true, voided: true });
          answer = { has_more: false, data: [{ ...txn('inv-1', 150000, 479), status: 'VOIDED' }] };
          assert.deepEqual(await client.getFeeTax('k', q), { kind: 'found', fee: 4350, tax: 479, feeReturned: true, voided: true }, 'named by product_id');
          // One that does not name it may be an older payment of a reused external id: never taken, never in the way.
          answer = { has_more: false, data: [{ ...txn('va-2', 150000, 479), status: 'VOIDED' }] };
          assert.deepEqual(await client.getFeeTax('k', q), { kind: 'not_found' });
          answer = {
            has_more: false,
            data: [
              { ...txn('va-1', 150000, 400), status: 'SUCCESS' },
              { ...txn('va-2', 150000, 479), status: 'VOIDED' },
            ],
          };
          assert.deepEqual(taxOnly(await client.getFeeTax('k', q)), { kind: 'found', tax: 400 });
          answer = { has_more: false, data: [{ ...txn('va-1', 150000, 400), status: 'FAILED' }] };
          assert.deepEqual(await client.getFeeTax('k', q), { kind: 'not_found' });
        } finally {
          await new Promise((resolve) => server.close(resolve));
        }
      });
    });

    it('lists paid invoices by paid date across pages, newest first', async () => {
      const { secretKey } = seed();
      // Making 103 invoices through the API at once is more than Xendit's 60 a minute: this is about pages.
      s.xendit.limits.testPerMinute = 1000; // restored by resetSims()
      const paidIds: string[] = [];
      for (let i = 0; i < 103; i++) {
        const inv = await s.xenditClient.createInvoice(secretKey, newInvoice({ externalId: `ext-${i}` }));
        if (i < 102) {
          await s.xendit.pay(inv.id, { sendCallback: false });
          paidIds.push(inv.id);
        }
      }
      const now = Date.now();
      const all = await s.xenditClient.listPaidInvoices(secretKey, { paidAfter: new Date(now - 3600_000), paidBefore: new Date(now + 3600_000) });
      assert.deepEqual(all.map((i) => i.id).sort(), [...paidIds].sort(), 'the unpaid one is left out, nothing twice');
      assert.ok(all.every((i) => i.status === 'PAID' && i.paidAt && i.feesPaidAmount !== undefined));
      assert.deepEqual(await s.xenditClient.listPaidInvoices(secretKey, { paidAfter: new Date(now + 3600_000), paidBefore: new Date(now + 7200_000) }), []);
    });

    it('expires an invoice; expiring one no longer PENDING is refused, "Could not find and update PENDING invoice" (xendit-php#200)', async () => {
      const { secretKey } = seed();
      const { id } = await s.xenditClient.createInvoice(secretKey, newInvoice());
      assert.equal((await s.xenditClient.expireInvoice(secretKey, id)).status, 'EXPIRED');
      assert.equal((await s.xenditClient.getInvoice(secretKey, id))?.status, 'EXPIRED');
      await waitFor('the EXPIRED callback', () => received.length === 1);
      assert.equal(received[0].body.status, 'EXPIRED');
      const paid = await s.xenditClient.createInvoice(secretKey, newInvoice());
      await s.xendit.pay(paid.id, { sendCallback: false });
      for (const [invoiceId, status] of [
        [paid.id, 'PAID'],
        [id, 'EXPIRED'],
      ]) {
        const err = await rejectsWith(s.xenditClient.expireInvoice(secretKey, invoiceId), 'rejected');
        assert.equal(err.status, 404);
        assert.equal(err.code, 'INVOICE_NOT_FOUND_ERROR');
        assert.match(err.message, new RegExp(`Could not find and update PENDING invoice ${invoiceId}`));
        assert.equal((await s.xenditClient.getInvoice(secretKey, invoiceId))?.status, status, 'unchanged');
      }
      assert.equal(received.length, 1, 'no callback for a refused expiry');
    });

    it('expires an invoice once its expiry date passes, with one callback', async () => {
      const clock = manualClock();
      const sim = createXenditSimulator({ checkoutBaseUrl: 'http://sim.test', now: clock });
      sim.registerAccount({ secretKey: 'k', callbackToken: 't', callbackUrl: receiverUrl, businessName: 'B' });
      const app = express().use(sim.router);
      const auth = `Basic ${Buffer.from('k:').toString('base64')}`;
      const created = await request(app)
        .post('/v2/invoices/')
        .set('authorization', auth)
        .send({ external_id: 'e', amount: 15000, currency: 'IDR', invoice_duration: 60 })
        .expect(200);
      clock.advance(60_000);
      const after = await request(app).get(`/v2/invoices/${created.body.id}`).set('authorization', auth).expect(200);
      assert.equal(after.body.status, 'EXPIRED');
      await waitFor('the EXPIRED callback', () => received.length === 1);
      await request(app).get(`/v2/invoices/${created.body.id}`).set('authorization', auth).expect(200);
      await assert.rejects(sim.pay(created.body.id), /EXPIRED/);
      assert.equal(sim.test.callbacks().length, 1);
    });

    it('validates like Xendit: whole rupiah only, amount above zero', async () => {
      const { secretKey } = seed();
      const sdk = new Xendit({ secretKey, xenditURL: s.xenditUrl }).Invoice;
      await assert.rejects(sdk.createInvoice({ data: { externalId: 'e', amount: 1500.5, currency: 'IDR' } }), (err: unknown) => {
        assert.ok(err instanceof XenditSdkError);
        assert.equal(Number(err.status), 400);
        assert.equal(err.errorCode, 'API_VALIDATION_ERROR');
        return true;
      });
      const err = await rejectsWith(s.xenditClient.createInvoice(secretKey, newInvoice({ currency: 'IDR', amount: 0, items: [] })), 'rejected');
      assert.equal(err.status, 400);
      assert.match(err.message, /API_VALIDATION_ERROR/);
    });

    it('maps a bad key to unauthorized', async () => {
      seed();
      const err = await rejectsWith(s.xenditClient.createInvoice('xnd_development_unknown', newInvoice()), 'unauthorized');
      assert.equal(err.status, 401);
      assert.match(err.message, /INVALID_API_KEY/);
      assert.doesNotMatch(err.message, /xnd_development_unknown/);
    });

    it('a 403 is the key refused, whatever its error_code, except a refusal of the refund itself on creating one (INELIGIBLE_TRANSACTION and the refund codes)', async () => {
      const { secretKey } = seed();
      const forbidden = (error_code: string) => ({ error_code, message: `${error_code} said with a 403` });
      // Refund codes on calls that make no refund: the key's problem (so the merchant is alerted).
      s.xendit.faults.failNext(1, 403, { path: '/balance', body: forbidden('TRANSACTION_NOT_FOUND') });
      assert.equal((await rejectsWith(s.xenditClient.getBalance(secretKey, 'PHP'), 'unauthorized')).status, 403);
      s.xendit.faults.failNext(1, 403, { path: '/transactions', body: forbidden('TRANSACTION_NOT_FOUND') });
      const q = { currency: 'PHP' as const, createdAfter: new Date('2026-12-01T00:00:00Z'), createdBefore: new Date('2026-12-02T00:00:00Z') };
      await rejectsWith(s.xenditClient.listPaymentTransactions(secretKey, q), 'unauthorized');
      s.xendit.faults.failNext(1, 403, { path: '/refunds', body: forbidden('INELIGIBLE_TRANSACTION') });
      await rejectsWith(s.xenditClient.listRefunds(secretKey, { limit: 1 }), 'unauthorized');
      // Creating a refund: codes that are no refusal of this refund stay the key's problem too.
      const refund = () =>
        s.xenditClient.createRefund(secretKey, { invoiceId: 'inv', referenceId: randomUUID(), currency: 'PHP', amount: 100, reason: 'OTHERS' }, randomUUID());
      for (const code of ['API_VALIDATION_ERROR', 'TRANSACTION_NOT_FOUND', 'REQUEST_FORBIDDEN_ERROR']) {
        s.xendit.faults.failNext(1, 403, { method: 'POST', path: '/refunds', body: forbidden(code) });
        await rejectsWith(refund(), 'unauthorized');
      }
      s.xendit.faults.failNext(1, 403, { method: 'POST', path: '/refunds', body: forbidden('INELIGIBLE_TRANSACTION') });
      const refused = await rejectsWith(refund(), 'rejected');
      assert.deepEqual([refused.status, refused.code], [403, 'INELIGIBLE_TRANSACTION']);
    });

    it('maps 503 and 500 to unavailable and 429 to rate_limited', async () => {
      const { secretKey } = seed();
      s.xendit.faults.failNext(1, 503);
      assert.equal((await rejectsWith(s.xenditClient.createInvoice(secretKey, newInvoice()), 'unavailable')).status, 503);
      s.xendit.faults.failNext(1, 500);
      assert.equal((await rejectsWith(s.xenditClient.findInvoicesByExternalId(secretKey, 'x'), 'unavailable')).status, 500);
      // Sent as Xendit does, in Rate-Limit-Reset (no Retry-After: xendit-rate-limit.test.ts).
      s.xendit.faults.failNext(1, 429, { retryAfter: 7 });
      assert.equal((await rejectsWith(s.xenditClient.getInvoice(secretKey, 'x'), 'rate_limited')).retryAfterSeconds, 7);
      assert.equal(s.xendit.test.invoiceCount(), 0);
    });

    it('fails as unavailable within the timeout when Xendit hangs, or nothing listens', async () => {
      const { secretKey } = seed();
      const client = createXenditClient({ apiUrl: s.xenditUrl, timeoutMs: 300 });
      s.xendit.faults.hang('forever');
      const started = Date.now();
      await rejectsWith(client.getInvoice(secretKey, 'x'), 'unavailable');
      // The hang is for ever, so any bound shows the 300 ms timeout fired; a loaded machine needs more than 2 s of slack.
      assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
      const down = createXenditClient({ apiUrl: await closedPortUrl(), timeoutMs: 1000 });
      await rejectsWith(down.getInvoice(secretKey, 'x'), 'unavailable');
    });

    it('passes a hostile invoice_url through untouched (the gateway checks hosts)', async () => {
      const { secretKey } = seed();
      s.xendit.faults.invoiceUrlOverride = 'https://evil.example/steal';
      assert.equal((await s.xenditClient.createInvoice(secretKey, newInvoice())).invoiceUrl, 'https://evil.example/steal');
    });

    // The gateway beside the simulator (loopback): the simulator redirects to no other host (sim-redirects.test.ts).
    it('hosted checkout: pay once, callback, redirect; a second pay changes nothing', async () => {
      const { secretKey, token } = seed();
      const { id, invoiceUrl } = await s.xenditClient.createInvoice(secretKey, newInvoice());
      const page = await fetch(invoiceUrl);
      const html = await page.text();
      assert.equal(page.status, 200);
      assert.match(html, /Toko Uji/);
      assert.match(html, /PHP 2450\.50/);
      assert.match(html, new RegExp(`action="/checkout/${id}/pay"`));
      assert.match(html, /<link rel="stylesheet" href="\/checkout\.css">/);
      assert.doesNotMatch(html, /<script|style=/i);
      assert.equal((await fetch(`${s.xenditUrl}/checkout.css`)).headers.get('content-type')?.startsWith('text/css'), true);

      const paid = await fetch(`${invoiceUrl}/pay`, { method: 'POST', redirect: 'manual' });
      assert.equal(paid.status, 303);
      assert.equal(paid.headers.get('location'), 'http://localhost:3000/pay/done');
      assert.equal(s.xendit.test.callbacks().length, 1);
      assert.equal(s.xendit.test.callbacks()[0].token, token);
      assert.equal(received.length, 1);

      const again = await fetch(`${invoiceUrl}/pay`, { method: 'POST', redirect: 'manual' });
      assert.equal(again.status, 409);
      assert.match(await again.text(), /already been paid/);
      assert.equal(s.xendit.test.callbacks().length, 1);
    });

    it('hosted checkout: letting it expire sends EXPIRED and goes to the failure URL', async () => {
      const { secretKey } = seed();
      const { invoiceUrl } = await s.xenditClient.createInvoice(secretKey, newInvoice());
      const res = await fetch(`${invoiceUrl}/expire`, { method: 'POST', redirect: 'manual' });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), 'http://localhost:3000/pay/failed');
      assert.equal(received[0]?.body.status, 'EXPIRED');
      const pay = await fetch(`${invoiceUrl}/pay`, { method: 'POST', redirect: 'manual' });
      assert.equal(pay.status, 409);
      assert.match(await pay.text(), /expired/);
      assert.equal(received.length, 1);
    });
  });
});
