import { strict as assert } from 'node:assert';
import { createXenditReads, LISTING_MIN, type FeeRead } from '../../app/jobs/xendit-reads.js';
import type { FeeTaxLookup, PaymentTransactionPage, XenditGateway, XenditInvoice, XenditPaymentTransaction } from '../../app/clients/xendit/types.js';
import { manualClock } from '../helpers/harness.js';

/**
 * Reads made as listings (app/jobs/xendit-reads.ts) answer only what a listing settles as surely as
 * the single read; everything else is read alone. A Xendit whose listings misbehave (a failure, a
 * cursor not honoured, a page cut short, two payments that fit) must not change any answer.
 */
type Gateway = Pick<XenditGateway, 'getInvoice' | 'getFeeTax' | 'listPaidInvoicesPage' | 'listPaymentTransactions'>;

const paidAt = new Date('2026-11-25T02:59:00Z');
const invoice = (n: number): XenditInvoice => ({
  id: `inv-${n}`,
  externalId: `ext-${n}`,
  status: 'PAID',
  currency: 'IDR',
  amount: 100_000 + n,
  paidAmount: 100_000 + n,
  invoiceUrl: `https://checkout/inv-${n}`,
  paidAt: paidAt.toISOString(),
});
const txn = (n: number, over: Partial<XenditPaymentTransaction> = {}): XenditPaymentTransaction => ({
  id: `txn-${n}`,
  created: paidAt.toISOString(),
  product_id: `va-${n}`,
  reference_id: `ext-${n}`,
  status: 'SUCCESS',
  currency: 'IDR',
  amount: 100_000 + n,
  fee: { xendit_fee: 4000 + n, value_added_tax: 440 },
  ...over,
});
const feeRead = (n: number): FeeRead => ({ id: `inv-${n}`, externalId: `ext-${n}`, paidAmount: 100_000 + n, currency: 'IDR', paidAt });

/** A fake Xendit: listings as given, single reads answered from `invoices`/`fees`, every call counted. */
function fakeXendit(opts: {
  invoicePages?: (lastInvoiceId?: string) => XenditInvoice[];
  transactionPages?: (afterId?: string) => PaymentTransactionPage;
  invoices?: XenditInvoice[];
}) {
  const calls: string[] = [];
  const all = new Map((opts.invoices ?? []).map((i) => [i.id, i]));
  const gateway: Gateway = {
    async getInvoice(_key, id) {
      calls.push(`get ${id}`);
      return all.get(id) ?? null;
    },
    async getFeeTax(_key, q): Promise<FeeTaxLookup> {
      calls.push(`fee ${q.id}`);
      return { kind: 'found', fee: 1, tax: 1 };
    },
    async listPaidInvoicesPage(_key, q) {
      calls.push('list invoices');
      if (!opts.invoicePages) throw new Error('listing refused');
      const invoices = opts.invoicePages(q.lastInvoiceId);
      return {
        invoices,
        pageLength: invoices.length,
        skipped: [],
        cursorIgnored: invoices.some((i) => i.id === q.lastInvoiceId),
        ...(invoices.length ? { lastInvoiceId: invoices.at(-1)!.id } : {}),
      };
    },
    async listPaymentTransactions(_key, q) {
      calls.push('list transactions');
      if (!opts.transactionPages) throw new Error('listing refused');
      return opts.transactionPages(q.afterId);
    },
  };
  return { gateway, calls };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const values = <T>(settled: ({ ok: true; value: T } | { ok: false; error: unknown })[]) =>
  settled.map((s) => {
    assert.ok(s.ok, 'every read answered');
    return s.value;
  });

describe('Xendit reads made as listings', () => {
  const queuedAt = new Date('2026-11-25T03:00:00Z');

  it('finds what the listing holds and reads the rest alone; a second group soon after needs no listing', async () => {
    const clock = manualClock();
    const listed = range(0, 6).map(invoice);
    const { gateway, calls } = fakeXendit({ invoicePages: () => listed, invoices: range(0, 10).map(invoice) });
    const reads = createXenditReads(gateway, clock);
    const got = values(
      await reads.getInvoices(
        'k',
        range(0, 8).map((n) => ({ id: `inv-${n}`, queuedAt })),
      ),
    );
    assert.deepEqual(
      got.map((i) => i?.id),
      range(0, 8).map((n) => `inv-${n}`),
    );
    assert.deepEqual(calls, ['list invoices', 'get inv-6', 'get inv-7'], 'one short page, then the two it did not hold');
    calls.length = 0;
    values(
      await reads.getInvoices(
        'k',
        range(0, 6).map((n) => ({ id: `inv-${n}`, queuedAt })),
      ),
    );
    assert.deepEqual(calls, [], 'kept from the listing');
    clock.advance(3 * 60_000);
    values(
      await reads.getInvoices(
        'k',
        range(0, 6).map((n) => ({ id: `inv-${n}`, queuedAt })),
      ),
    );
    assert.deepEqual(calls, ['list invoices'], 'kept two minutes, then listed again');
    calls.length = 0;
    values(
      await reads.getInvoices(
        'another key',
        range(0, 6).map((n) => ({ id: `inv-${n}`, queuedAt })),
      ),
    );
    assert.equal(calls[0], 'list invoices', "another key's reads never see what this key listed");
  });

  it('a failed listing, or a cursor Xendit does not honour, leaves every read to be made alone', async () => {
    const refused = fakeXendit({ invoices: range(0, 6).map(invoice) });
    const got = values(
      await createXenditReads(refused.gateway, manualClock()).getInvoices(
        'k',
        range(0, 6).map((n) => ({ id: `inv-${n}`, queuedAt })),
      ),
    );
    assert.equal(got.length, 6);
    assert.equal(refused.calls.filter((c) => c.startsWith('get ')).length, 6);

    // A full page, the same again whatever the cursor: the listing stops instead of looping.
    const full = range(100, 200).map(invoice);
    const stuck = fakeXendit({ invoicePages: () => full, invoices: range(0, 6).map(invoice) });
    values(
      await createXenditReads(stuck.gateway, manualClock()).getInvoices(
        'k',
        range(0, 6).map((n) => ({ id: `inv-${n}`, queuedAt })),
      ),
    );
    assert.equal(stuck.calls.filter((c) => c === 'list invoices').length, 2);
    assert.equal(stuck.calls.filter((c) => c.startsWith('get ')).length, 6);
  });

  it(`fewer than ${LISTING_MIN} reads, or reads without a time, are made alone`, async () => {
    const { gateway, calls } = fakeXendit({ invoicePages: () => range(0, 6).map(invoice), invoices: range(0, 6).map(invoice) });
    const reads = createXenditReads(gateway, manualClock());
    values(
      await reads.getInvoices(
        'k',
        range(0, LISTING_MIN - 1).map((n) => ({ id: `inv-${n}`, queuedAt })),
      ),
    );
    values(
      await reads.getInvoices(
        'k',
        range(0, 6).map((n) => ({ id: `inv-${n}` })),
      ),
    );
    assert.ok(!calls.includes('list invoices'));
  });

  it("a complete listing settles each fee; two payments that fit one invoice, or a listing cut short, leave it to the invoice's own lookup", async () => {
    const rows = [...range(0, 6).map((n) => txn(n)), txn(99, { reference_id: 'ext-1', product_id: 'va-x', amount: 100_001 })];
    const complete = fakeXendit({ transactionPages: () => ({ transactions: rows, hasMore: false, allRead: true }) });
    const got = values(await createXenditReads(complete.gateway, manualClock()).getFeeTaxes('k', range(0, 6).map(feeRead)));
    assert.deepEqual(got[0], { kind: 'found', fee: 4000, tax: 440 });
    assert.deepEqual(got[2], { kind: 'found', fee: 4002, tax: 440 });
    assert.deepEqual(complete.calls, ['list transactions', 'fee inv-1'], 'inv-1 has two payments that fit: its own lookup decides');

    // More pages than one listing reads: only a transaction that names its invoice counts.
    const named = txn(3, { product_data: { payment_link_id: 'inv-3' } });
    let page = 0;
    const cut = fakeXendit({
      transactionPages: () => ({ transactions: [page++ ? txn(1000 + page) : named, txn(2000 + page)], hasMore: true, allRead: true, lastId: `p${page}` }),
    });
    const partial = values(await createXenditReads(cut.gateway, manualClock()).getFeeTaxes('k', range(0, 6).map(feeRead)));
    assert.deepEqual(partial[3], { kind: 'found', fee: 4003, tax: 440 });
    assert.deepEqual(
      cut.calls.filter((c) => c.startsWith('fee ')),
      ['fee inv-0', 'fee inv-1', 'fee inv-2', 'fee inv-4', 'fee inv-5'],
    );
  });

  it('a fee the listing shows in a figure that does not fit the currency is left to the lookup, which says so', async () => {
    const { gateway, calls } = fakeXendit({
      transactionPages: () => ({
        transactions: range(0, 6).map((n) => txn(n, n === 2 ? { fee: { xendit_fee: 4000.5, value_added_tax: 440 } } : {})),
        hasMore: false,
        allRead: true,
      }),
    });
    values(await createXenditReads(gateway, manualClock()).getFeeTaxes('k', range(0, 6).map(feeRead)));
    assert.deepEqual(calls, ['list transactions', 'fee inv-2']);
  });

  it('a row a page could not read keeps the whole listing from counting as complete, even when a later page is the last', async () => {
    let page = 0;
    const { gateway, calls } = fakeXendit({
      transactionPages: () =>
        page++ === 0
          ? { transactions: range(0, 3).map((n) => txn(n)), hasMore: true, allRead: false, lastId: 'txn-2' }
          : { transactions: range(3, 6).map((n) => txn(n)), hasMore: false, allRead: true },
    });
    values(await createXenditReads(gateway, manualClock()).getFeeTaxes('k', range(0, 6).map(feeRead)));
    assert.equal(calls.filter((c) => c.startsWith('fee ')).length, 6, 'the row left out could be a second payment that fits any of them');
  });

  it('a transaction that names another invoice is never taken for this one', async () => {
    const { gateway, calls } = fakeXendit({
      transactionPages: () => ({
        transactions: range(0, 6).map((n) => txn(n, n === 4 ? { product_data: { payment_link_id: 'inv-elsewhere' } } : {})),
        hasMore: false,
        allRead: true,
      }),
    });
    values(await createXenditReads(gateway, manualClock()).getFeeTaxes('k', range(0, 6).map(feeRead)));
    assert.deepEqual(calls, ['list transactions', 'fee inv-4']);
  });

  it('what was listed answers no payment made after the listing: a second payment of the same external id and amount made since is seen', async () => {
    const clock = manualClock();
    const listed = range(0, 6).map((n) => txn(n));
    const { gateway, calls } = fakeXendit({ transactionPages: () => ({ transactions: [...listed], hasMore: false, allRead: true }) });
    const reads = createXenditReads(gateway, clock);
    values(await reads.getFeeTaxes('k', range(0, 6).map(feeRead)));
    assert.deepEqual(calls, ['list transactions']);

    // A minute later, inv-10 (another Xendit invoice of the same checkout: external id ext-0, same amount) is paid.
    clock.advance(60_000);
    const later = new Date(clock().getTime() - 1_000);
    listed.push(txn(10, { reference_id: 'ext-0', amount: 100_000, created: later.toISOString() }));
    calls.length = 0;
    const reread = range(1, 6).map(feeRead);
    const got = values(await reads.getFeeTaxes('k', [{ id: 'inv-10', externalId: 'ext-0', paidAmount: 100_000, currency: 'IDR', paidAt: later }, ...reread]));
    assert.equal(calls[0], 'list transactions', 'listed again: the kept listing is older than the payment');
    assert.ok(calls.includes('fee inv-10'), 'two payments fit ext-0 now: the lookup decides');
    assert.deepEqual(got[1], { kind: 'found', fee: 4001, tax: 440 });
  });

  it('a backlog in two currencies is listed one currency at a time, each read answered from its own currency', async () => {
    // Xendit may refuse a transactions listing without a currency (an account with several).
    const php = (n: number) => txn(n, { currency: 'PHP', amount: (100_000 + n) / 100, fee: { xendit_fee: 40.07, value_added_tax: 4.4 } });
    const asked: (string | undefined)[] = [];
    const { gateway, calls } = fakeXendit({});
    gateway.listPaymentTransactions = async (_key, q) => {
      asked.push(q.currency);
      if (!q.currency) throw new Error('400 API_VALIDATION_ERROR: currency is required');
      return {
        transactions: range(0, 12)
          .map((n) => (n < 6 ? txn(n) : php(n)))
          .filter((t) => t.currency === q.currency),
        hasMore: false,
        allRead: true,
      };
    };
    const reads = range(0, 12).map((n) => ({ ...feeRead(n), currency: n < 6 ? ('IDR' as const) : ('PHP' as const) }));
    const got = values(await createXenditReads(gateway, manualClock()).getFeeTaxes('k', reads));
    assert.deepEqual(asked, ['IDR', 'PHP']);
    assert.deepEqual(calls, [], 'no read left to be made alone');
    assert.deepEqual(got[7], { kind: 'found', fee: 4007, tax: 440 }, 'PHP figures in centavos');
  });
});
