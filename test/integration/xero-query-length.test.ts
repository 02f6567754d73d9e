/**
 * Xero refuses a query string over 2 048 characters with a 404 (app/simulators/xero/routes.ts
 * MAX_QUERY_STRING, with the sources): the gateway's lookups by many References are split by the
 * length of what they send, not by a count, so none is refused and every row is found.
 */
import { strict as assert } from 'node:assert';
import type { XeroCredentials } from '../../app/clients/xero/types.js';
import { MAX_QUERY_STRING } from '../../app/simulators/xero/routes.js';
import { getSims, resetSims, type Sims } from '../helpers/sims.js';

let seq = 0;

describe('Xero lookups by many long References fit in its query-string limit', function () {
  let s: Sims;
  before(async () => {
    s = await getSims();
  });
  beforeEach(() => resetSims());

  function seed() {
    const n = ++seq;
    const creds: XeroCredentials = { clientId: `ql-client-${n}`, clientSecret: `ql-secret-${n}`, tenantId: '' };
    const org = s.xero.addOrganisation({ clientId: creds.clientId, clientSecret: creds.clientSecret, name: 'Toko', shortCode: `!QL${n}`, baseCurrency: 'PHP' });
    return { creds, org, bank: s.xero.bankAccountFor(org.tenantId, 'Xendit') };
  }
  /** n References of 80 characters each, spaces included (each one three characters once escaped). */
  const references = (n: number) => Array.from({ length: n }, (_, i) => `Xendit withdrawal fee returned txn_${String(i).padStart(8, '0')}-`.padEnd(80, 'x y'));
  const gets = (path: string) => s.xero.test.requests({ method: 'GET' }).filter((r) => r.path.endsWith(path));

  it('finds every one of 20 bank transactions by its 80-character Reference, in more than one call, each within the limit', async () => {
    const { creds, bank } = seed();
    const refs = references(20);
    assert.ok(refs.every((r) => r.length === 80));
    const made = await s.xeroClient.createBankTransactions(
      creds,
      refs.map((reference) => ({
        type: 'SPEND' as const,
        bankAccountId: bank.accountId,
        contactName: 'Xendit',
        date: '2026-11-25',
        reference,
        currencyCode: 'PHP',
        lineItems: [{ description: 'Xendit fee', accountCode: '404', amount: '1.50' }],
      })),
      'ql-bt',
    );
    assert.ok(made.every((r) => r.ok));
    s.xero.test.clearRequests();
    const found = await s.xeroClient.findBankTransactionsByReferences(creds, refs);
    assert.deepEqual(found.map((t) => t.reference).sort(), [...refs].sort());
    const calls = gets('/BankTransactions');
    assert.ok(calls.length >= 2, `${calls.length} call(s)`);
    for (const c of calls) assert.ok((c.query ?? '').length <= MAX_QUERY_STRING, `${(c.query ?? '').length} characters`);
  });

  it('finds every one of 20 payments by its 80-character Reference', async () => {
    const { creds, bank, org } = seed();
    const refs = references(20);
    for (const reference of refs) {
      const inv = s.xero.addInvoice({
        tenantId: org.tenantId,
        currency: 'PHP',
        contact: { name: 'Maria' },
        lineItems: [{ description: 'Kopi', unitAmount: '10' }],
      });
      s.xero.recordPayment(org.tenantId, inv.invoiceId, '10', bank.accountId, reference);
    }
    s.xero.test.clearRequests();
    const found = await s.xeroClient.findPaymentsByReferences(creds, refs);
    assert.deepEqual(found.map((p) => p.reference).sort(), [...refs].sort());
    assert.ok(gets('/Payments').length >= 2);
  });
});
