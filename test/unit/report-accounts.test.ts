import { strict as assert } from 'node:assert';
import { clearingAccounts, MAX_FORMER } from '../../app/report/accounts.js';
import type { ReportDeps } from '../../app/report/rows.js';
import type { Merchant } from '../../app/store/merchants.js';
import type { PostedAccount } from '../../app/store/clearing-posts.js';

/**
 * Which clearing accounts one report reads: today's, and those the gateway posted to for the range,
 * within a bound of Xero calls.
 */
describe('report: the clearing accounts read', () => {
  const merchant = { id: 'm', xero: {}, clearingAccountId: 'today', clearingAccounts: {} } as unknown as Merchant;
  const range = { from: '2026-11-01', to: '2026-11-30' };
  const base = async () => 'IDR' as const;

  function depsWith(posted: PostedAccount[], more = false) {
    const calls: string[] = [];
    const asked: { from: Date; to: Date }[] = [];
    const deps = {
      xero: {
        listBankAccounts: async () => {
          calls.push('listBankAccounts');
          return [
            { accountId: 'today', name: 'Xendit', currencyCode: 'IDR' },
            ...posted.map((p) => ({ accountId: p.accountId, name: p.accountId, currencyCode: p.currency })),
          ];
        },
        getAccount: async (_c: unknown, id: string) => {
          calls.push(`getAccount ${id}`);
          return null;
        },
      },
      stores: {
        clearingPosts: {
          accountsPosted: async (_m: string, window: { from: Date; to: Date } | null, limit: number) => {
            if (window) asked.push(window);
            return { accounts: posted.slice(0, limit), more: more || posted.length > limit };
          },
        },
      },
    } as unknown as ReportDeps;
    return { deps, calls, asked };
  }
  const at = new Date('2026-11-15T00:00:00Z');

  it("today's and each other account posted to, by currency; the window reaches back for entries a lock date moved into the range", async () => {
    const { deps, calls, asked } = depsWith([
      { accountId: 'today', currency: 'IDR', lastAt: at },
      { accountId: 'old-idr', currency: 'IDR', lastAt: at },
      { accountId: 'old-php', currency: 'PHP', lastAt: at },
    ]);
    const got = await clearingAccounts(deps, merchant, range, base);
    assert.deepEqual(got.ids, ['today', 'old-idr', 'old-php']);
    assert.deepEqual(Object.fromEntries(got.former), { IDR: ['old-idr'], PHP: ['old-php'] });
    assert.equal(got.currencyOf.get('old-php'), 'PHP');
    assert.deepEqual(got.rows, []);
    assert.deepEqual(calls, ['listBankAccounts'], 'bank accounts need no call of their own');
    assert.deepEqual(
      asked.map((w) => [w.from.toISOString(), w.to.toISOString()]),
      [['2026-09-30T00:00:00.000Z', '2026-12-02T00:00:00.000Z']],
    );
  });

  it('more accounts than one report reads: the latest MAX_FORMER, and an incomplete row', async () => {
    const posted = Array.from({ length: MAX_FORMER + 3 }, (_, i) => ({ accountId: `old-${i}`, currency: 'IDR', lastAt: at }));
    const { deps } = depsWith(posted);
    const got = await clearingAccounts(deps, merchant, range, base);
    assert.equal(got.ids.length, 1 + MAX_FORMER);
    assert.deepEqual(
      got.ids.slice(1),
      posted.slice(0, MAX_FORMER).map((p) => p.accountId),
    );
    assert.deepEqual(
      got.rows.map((r) => r.status),
      ['incomplete'],
    );
  });

  it('an account posted to that Xero no longer has: not read, an incomplete row naming it', async () => {
    const { deps, calls } = depsWith([]);
    const gone = {
      ...deps,
      stores: { clearingPosts: { accountsPosted: async () => ({ accounts: [{ accountId: 'gone', currency: 'IDR', lastAt: at }], more: false }) } },
    } as ReportDeps;
    const got = await clearingAccounts(gone, merchant, range, base);
    assert.deepEqual(got.ids, ['today']);
    assert.deepEqual(calls, ['listBankAccounts', 'getAccount gone']);
    assert.match(got.rows[0]?.note ?? '', /clearing account gone .* no longer in Xero/);
  });

  it('without the stores (tools, tests of other things): today’s alone', async () => {
    const { deps } = depsWith([{ accountId: 'old', currency: 'IDR', lastAt: at }]);
    const got = await clearingAccounts({ xero: deps.xero, xendit: deps.xendit }, merchant, range, base);
    assert.deepEqual(got.ids, ['today']);
  });
});
