import { strict as assert } from 'node:assert';
import { movementCalls, OTHER_TYPES } from '../../app/clients/xendit/movements.js';
import { UpstreamError } from '../../app/clients/types.js';
import type { XenditCall } from '../../app/clients/xendit/call.js';

/**
 * Which `types` the other balance movements are asked by, while Xendit refuses (400) the names it
 * does not list: a fake Transactions API that takes only the names `accepted` (undefined: any) and
 * refuses a currency or a cursor when told to.
 */
function fakeXendit(o: { accepted?: string[]; refuseCurrency?: string; refuseCursor?: boolean; types?: string[]; alsoListed?: string[] }) {
  const asked: { types: string[] | undefined; currency: string; afterId?: string }[] = [];
  const refused = (why: string) => new UpstreamError('xendit', 'rejected', why, 400);
  const call: XenditCall = async (_key, _op, fn) =>
    fn({
      getAllTransactionsRaw: async (p: { types?: string[]; currency: string; afterId?: string }) => {
        asked.push({ types: p.types, currency: p.currency, afterId: p.afterId });
        if (p.currency === o.refuseCurrency) throw refused('currency');
        if (p.afterId && o.refuseCursor) throw refused('after_id');
        if (p.types && o.accepted && p.types.some((t) => !o.accepted!.includes(t))) throw refused('types');
        // Asked without types, Xendit lists every type (alsoListed: those beside the movements).
        const types = [...(o.types ?? ['TRANSFER_OUT']), ...(p.types ? [] : (o.alsoListed ?? []))];
        const data = types.map((type, i) => ({
          id: `txn_${i + 1}`,
          type,
          status: 'SUCCESS',
          cashflow: 'MONEY_OUT',
          currency: p.currency,
          amount: 1000,
          created: '2026-12-01T00:00:00Z',
        }));
        return { raw: { json: async () => ({ data, has_more: false }) } };
      },
    } as never);
  return { client: movementCalls(call), asked };
}

const q = (currency: 'IDR' | 'PHP', afterId?: string) => ({
  currency,
  limit: 50,
  createdAfter: new Date('2026-11-01T00:00:00Z'),
  createdBefore: new Date('2026-12-02T00:00:00Z'),
  ...(afterId ? { afterId } : {}),
});

describe('other balance movements: the type names asked for', () => {
  it('every name while Xendit takes them', async () => {
    const x = fakeXendit({});
    await x.client.listOtherMovements('key', q('IDR'));
    assert.deepEqual(x.asked[0].types, [...OTHER_TYPES]);
  });

  it("names refused on a first page: the reference's names next, and from then on for that account and currency", async () => {
    const reference = ['TRANSFER_OUT', 'TRANSFER_IN', 'ADJUSTMENT_ADD', 'ADJUSTMENT_DEDUCT', 'FOREX_DEDUCTION', 'FOREX_DEPOSIT'];
    const x = fakeXendit({ accepted: [...OTHER_TYPES].filter((t) => !['TRANSFER', 'PLATFORM_FEE', 'CASHBACK', 'OTHER'].includes(t)) });
    const got = await x.client.listOtherMovements('key', q('IDR'));
    assert.equal(got.movements.length, 1);
    assert.equal(x.asked.length, 2);
    for (const t of reference) assert.ok(x.asked[1].types?.includes(t), t);
    await x.client.listOtherMovements('key', q('IDR'));
    assert.equal(x.asked.length, 3, 'asked by the names that answered, at once');
    assert.deepEqual(x.asked[2].types, x.asked[1].types);
  });

  it('every name refused: asked without types, every type', async () => {
    const x = fakeXendit({ accepted: [] });
    const got = await x.client.listOtherMovements('key', q('IDR'));
    assert.deepEqual(
      x.asked.map((a) => a.types === undefined),
      [false, false, true],
    );
    assert.equal(got.movements.length, 1);
  });

  it("a reserve's hold and release are never asked for, and left out when every type is listed, like what is booked elsewhere", async () => {
    for (const t of ['RESERVES_HOLD', 'RESERVES_RELEASE']) assert.ok(!(OTHER_TYPES as readonly string[]).includes(t), t);
    const x = fakeXendit({ accepted: [], types: ['RESERVES_HOLD', 'TRANSFER_OUT', 'RESERVES_RELEASE', 'PAYMENT'] });
    const got = await x.client.listOtherMovements('key', q('IDR'));
    assert.equal(x.asked.at(-1)!.types, undefined, 'every type');
    assert.deepEqual(
      got.movements.map((m) => m.type),
      ['TRANSFER_OUT'],
    );
  });

  it('every name refused: of every type listed, those booked elsewhere (payments, refunds, withdrawals, chargebacks) are left out', async () => {
    const x = fakeXendit({ accepted: [], alsoListed: ['PAYMENT', 'REFUND', 'WITHDRAWAL', 'CHARGEBACK', 'TOPUP'] });
    const got = await x.client.listOtherMovements('key', q('IDR'));
    assert.equal(x.asked.at(-1)!.types, undefined);
    assert.deepEqual(
      got.movements.map((m) => m.type),
      ['TRANSFER_OUT', 'TOPUP'],
    );
    assert.equal(got.lastId, 'txn_6', 'the cursor still moves past the rows left out');
  });

  it("a later page's 400 is its cursor's: thrown for the listing to start again, the names kept", async () => {
    const x = fakeXendit({ refuseCursor: true });
    await assert.rejects(x.client.listOtherMovements('key', q('IDR', 'txn_0')), /after_id/);
    assert.equal(x.asked.length, 1);
    await x.client.listOtherMovements('key', q('IDR'));
    assert.deepEqual(x.asked[1].types, [...OTHER_TYPES], 'still every name');
  });

  it('a currency refused whatever the names: thrown, and the names not given up for it or any other', async () => {
    const x = fakeXendit({ refuseCurrency: 'PHP' });
    await assert.rejects(x.client.listOtherMovements('key', q('PHP')), /currency/);
    await x.client.listOtherMovements('key', q('PHP')).catch(() => undefined);
    assert.deepEqual(x.asked.at(-3)!.types, [...OTHER_TYPES], 'asked from every name again');
    await x.client.listOtherMovements('key', q('IDR'));
    assert.deepEqual(x.asked.at(-1)!.types, [...OTHER_TYPES]);
  });
});
