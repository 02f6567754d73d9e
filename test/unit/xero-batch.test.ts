import { strict as assert } from 'node:assert';
import { createXeroBatch } from '../../app/jobs/xero-batch.js';
import { itemResults, paramLength, QUERY_PARAM_CHARS, referenceWheres } from '../../app/clients/xero/batch.js';
import { UpstreamError } from '../../app/clients/types.js';
import type { NewXeroPayment, XeroGateway } from '../../app/clients/xero/types.js';

const creds = { clientId: 'c', clientSecret: 's', tenantId: 't' };
const item = (n: number): NewXeroPayment => ({ invoiceId: `inv-${n}`, accountId: 'acc', date: '2026-12-05', amount: '10.00', reference: `Xendit ${n}` });

/** A gateway that records calls; createPayments answers with `batch`. */
function fakeXero(batch: (items: NewXeroPayment[]) => Promise<unknown>) {
  const calls: string[] = [];
  const xero = {
    createPayments: async (_c: unknown, items: NewXeroPayment[]) => {
      calls.push(`batch ${items.length}`);
      return batch(items);
    },
    createPayment: async (_c: unknown, p: NewXeroPayment) => {
      calls.push(`one ${p.reference}`);
      return { paymentId: `p-${p.reference}`, invoiceId: p.invoiceId, reference: p.reference, amount: p.amount, status: 'AUTHORISED' };
    },
  } as unknown as XeroGateway;
  return { xero, calls };
}

describe('xero batch (unit)', () => {
  it('waits until every member of the group has queued or left, then sends one call', async () => {
    const { xero, calls } = fakeXero(async (items) => items.map((p) => ({ ok: true, value: { paymentId: `p-${p.reference}`, reference: p.reference } })));
    const group = createXeroBatch(xero, { running: 3 });
    const [a, b, c] = [group.member(), group.member(), group.member()];
    const pa = a.xero.createPayment(creds, item(1), 'k1');
    const pb = b.xero.createPayment(creds, item(2), 'k2');
    assert.deepEqual(calls, [], 'c is still running: nothing sent yet');
    c.leave();
    const [ra, rb] = await Promise.all([pa, pb]);
    assert.deepEqual(calls, ['batch 2']);
    assert.equal(ra.paymentId, 'p-Xendit 1');
    assert.equal(rb.paymentId, 'p-Xendit 2');
  });

  it('hands each member its own refusal, and sends the items alone when Xero refuses the request as a whole', async () => {
    let first = true;
    const { xero, calls } = fakeXero(async (items) => {
      if (first) {
        first = false;
        throw new UpstreamError('xero', 'rejected', 'A validation exception occurred', 400);
      }
      return items.map((p, i) => (i === 0 ? { ok: false, message: 'Invoice not of valid status for modification' } : { ok: true, value: { paymentId: 'x' } }));
    });
    const whole = createXeroBatch(xero, { running: 2 });
    const [m1, m2] = [whole.member(), whole.member()];
    const results = await Promise.all([m1.xero.createPayment(creds, item(1), 'k1'), m2.xero.createPayment(creds, item(2), 'k2')]);
    assert.deepEqual(calls, ['batch 2', 'one Xendit 1', 'one Xendit 2']);
    assert.equal(results[1].paymentId, 'p-Xendit 2');

    const perItem = createXeroBatch(xero, { running: 2 });
    const [n1, n2] = [perItem.member(), perItem.member()];
    const settled = await Promise.allSettled([n1.xero.createPayment(creds, item(3), 'k3'), n2.xero.createPayment(creds, item(4), 'k4')]);
    assert.equal(settled[0].status, 'rejected');
    assert.ok(settled[0].status === 'rejected' && settled[0].reason instanceof UpstreamError && settled[0].reason.kind === 'rejected');
    assert.equal(settled[1].status, 'fulfilled');
  });

  it('runs at most `running` jobs of a group at once outside Xero calls, and still sends all of them in one call', async () => {
    const { xero, calls } = fakeXero(async (items) => items.map((p) => ({ ok: true, value: { paymentId: `p-${p.reference}`, reference: p.reference } })));
    const group = createXeroBatch(xero, { running: 2 });
    const members = [1, 2, 3, 4, 5].map(() => group.member());
    let running = 0;
    let most = 0;
    const job = async (m: (typeof members)[number], n: number) => {
      await m.start();
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setImmediate(r)); // its own work (Xendit, the database)
      running--;
      await m.xero.createPayment(creds, item(n), `k${n}`);
      m.leave();
    };
    await Promise.all(members.map((m, i) => job(m, i)));
    assert.equal(most, 2);
    assert.deepEqual(calls, ['batch 5']);
  });

  it('shares one in-flight read of the organisation among the jobs of a group', async () => {
    let reads = 0;
    const xero = {
      getOrganisation: async () => {
        reads++;
        await new Promise((r) => setImmediate(r));
        return { organisationId: 'o', name: 'Toko', baseCurrency: 'IDR', isDemoCompany: false };
      },
    } as unknown as XeroGateway;
    const group = createXeroBatch(xero);
    const [a, b, c] = [group.member(), group.member(), group.member()];
    await Promise.all([a.xero.getOrganisation(creds), b.xero.getOrganisation(creds), c.xero.getOrganisation(creds)]);
    assert.equal(reads, 1);
  });

  it('gathers the statements of a group into one, each job getting its own result, none holding a slot while it waits', async () => {
    const group = createXeroBatch({} as XeroGateway, { running: 1 });
    const members = [1, 2, 3].map(() => group.member());
    const statements: number[][] = [];
    const job = async (m: (typeof members)[number], n: number) => {
      await m.start();
      const doubled = await m.together('double', n, async (all: number[]) => {
        statements.push(all);
        return all.map((x) => x * 2);
      });
      m.leave();
      return doubled;
    };
    const results = await Promise.all(members.map((m, i) => job(m, i + 1)));
    assert.deepEqual(statements, [[1, 2, 3]], 'one statement for the three, though only one job runs at a time');
    assert.deepEqual(results, [2, 4, 6]);
  });

  it('remembers a read for the group, but not a failed one', async () => {
    const group = createXeroBatch({} as XeroGateway);
    const m = group.member();
    let reads = 0;
    const read = () => m.remembered('merchant:1', async () => ++reads);
    assert.equal(await read(), 1);
    assert.equal(await read(), 1);
    let fail = true;
    const flaky = () =>
      m.remembered('merchant:2', async () => {
        if (fail) throw new Error('database gone');
        return 'row';
      });
    await assert.rejects(flaky());
    fail = false;
    assert.equal(await flaky(), 'row');
  });

  it('maps Xero answers to items by Reference, by position when Xero left it out, and calls an answer with an item missing unknown', () => {
    const sent = [{ reference: 'a' }, { reference: 'b' }];
    const byRef = itemResults(
      sent,
      [
        { reference: 'b', id: 2 },
        { reference: 'a', id: 1 },
      ],
      (r) => r.id,
    );
    assert.deepEqual(byRef, [
      { ok: true, value: 1 },
      { ok: true, value: 2 },
    ]);
    const refused = itemResults(sent, [{ id: 1 }, { id: 2, statusAttributeString: 'ERROR', validationErrors: [{ message: 'no' }] }], (r) => r.id);
    assert.deepEqual(refused[1], { ok: false, message: 'no' });
    assert.throws(
      () => itemResults(sent, [{ reference: 'a', id: 1 }], (r) => r.id),
      (err: unknown) => err instanceof UpstreamError && err.kind === 'unavailable',
    );
  });

  it('splits a lookup of many references by the length of its where, not by a count (Xero 404s a long query string)', () => {
    const clauses = (refs: string[]) => referenceWheres(refs).flatMap((w) => w!.split(' OR '));
    const short = Array.from({ length: 45 }, (_, i) => `Xendit ${i}`);
    assert.deepEqual(referenceWheres(short).length, 1);
    const long = Array.from({ length: 45 }, (_, i) => `Xendit withdrawal fee returned txn_${String(i).padStart(36, '0')}`);
    const wheres = referenceWheres(long);
    assert.ok(wheres.length >= 3, `${wheres.length}`);
    for (const w of wheres) assert.ok(paramLength('where', w!) <= QUERY_PARAM_CHARS);
    assert.deepEqual(
      clauses(long),
      long.map((r) => `Reference=="${r}"`),
    );
    assert.ok(wheres[0]!.startsWith(`Reference=="${long[0]}" OR Reference=="${long[1]}" OR `));
  });

  it('never puts a quote or backslash inside a where: a reference holding one makes it one read of every row', () => {
    // Xero answers 400 QueryParseException to a quote in a `where` string, escaped or not (XeroAPI/Xero-Java#347).
    assert.deepEqual(referenceWheres(['Xendit a', 'Xendit "b"']), [undefined]);
    assert.deepEqual(referenceWheres(['Xendit a', 'Xendit b\\c']), [undefined]);
  });
});
