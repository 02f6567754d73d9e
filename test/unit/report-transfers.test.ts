import { strict as assert } from 'node:assert';
import { transferRows } from '../../app/report/transfers.js';
import type { ReportDeps } from '../../app/report/rows.js';
import type { XenditWithdrawal } from '../../app/clients/xendit/types.js';
import type { XeroBankTransfer } from '../../app/clients/xero/types.js';
import type { Merchant } from '../../app/store/merchants.js';
import { xenditAccounts } from '../../app/report/xendit-accounts.js';

/**
 * A withdrawal that left in one report's range and came back (sent back by the bank) in the next:
 * each range shows its own half on both sides, so neither is flagged for good; sent back before
 * anything was booked, each range shows its half as a movement the gateway does not book.
 */
describe('report: a withdrawal sent back in a later period', () => {
  const withdrawal: XenditWithdrawal = {
    id: 'txn_w1',
    status: 'REVERSED',
    currency: 'IDR',
    amount: 100_000,
    created: '2026-01-31T03:00:00.000Z',
    updated: '2026-02-03T03:00:00.000Z',
  };
  const transfer = (over: Partial<XeroBankTransfer>): XeroBankTransfer => ({
    bankTransferId: 'bt',
    fromAccountId: 'clearing',
    toAccountId: 'bank',
    amount: '100000.00',
    reference: 'Xendit withdrawal txn_w1',
    fromIsReconciled: true,
    ...over,
  });
  const out = transfer({ bankTransferId: 'bt-out', date: '2026-01-31' });
  const back = transfer({
    bankTransferId: 'bt-back',
    fromAccountId: 'bank',
    toAccountId: 'clearing',
    reference: 'Xendit withdrawal reversed txn_w1',
    date: '2026-02-03',
  });
  /** The clearing account, an IDR bank account: the currency Xendit is asked for. */
  const listBankAccounts = async () => [{ accountId: 'clearing', name: 'Xendit', currencyCode: 'IDR' }];
  const deps = {
    xendit: { listWithdrawals: async () => ({ withdrawals: [withdrawal], hasMore: false }) },
    xero: {
      listBankAccounts,
      listBankTransfersFrom: async (_c: unknown, id: string) => [out, back].filter((t) => t.fromAccountId === id),
      listBankTransfersTo: async (_c: unknown, id: string) => [out, back].filter((t) => t.toAccountId === id),
    },
  } as unknown as ReportDeps;
  const merchant = { xenditSecretKey: 'k', xero: {}, clearingAccountId: 'clearing', clearingAccounts: {} } as unknown as Merchant;
  /** The merchant's one key, a live one: the Xendit account read. */
  const liveAccount = () => xenditAccounts([{ mode: 'live', key: 'k', hint: '…k' }]);
  const rowsFor = async (from: string, to: string) =>
    (
      await transferRows(
        deps,
        merchant,
        { from, to },
        'SE Asia Standard Time',
        new Map([['clearing', 'IDR']]),
        ['IDR'],
        new Map(),
        liveAccount(),
        () => 'deducted',
      )
    ).rows;

  it('January: out on both sides; February: back in on both sides; the two months together: nothing', async () => {
    const pick = (rows: Awaited<ReturnType<typeof rowsFor>>) => rows.map((r) => [r.date, r.currency, r.xenditAmount, r.xeroPayment, r.status]);
    assert.deepEqual(pick(await rowsFor('2026-01-01', '2026-01-31')), [['2026-01-31', 'IDR', '-100000.00', '-100000.00', 'transferred']]);
    assert.deepEqual(pick(await rowsFor('2026-02-01', '2026-02-28')), [['2026-02-03', 'IDR', '100000.00', '100000.00', 'transferred']]);
    assert.deepEqual(pick(await rowsFor('2026-01-01', '2026-02-28')), [['2026-01-31', 'IDR', '0.00', '0.00', 'transferred']]);
  });

  it('the transfer back not in Xero yet: the month it came back in flags it', async () => {
    const noBack = {
      ...deps,
      xero: { listBankAccounts, listBankTransfersFrom: async () => [out], listBankTransfersTo: async () => [] },
    } as unknown as ReportDeps;
    const [row] = (
      await transferRows(
        noBack,
        merchant,
        { from: '2026-02-01', to: '2026-02-28' },
        null,
        new Map([['clearing', 'IDR']]),
        ['IDR'],
        new Map(),
        liveAccount(),
        () => 'deducted',
      )
    ).rows;
    assert.deepEqual([row.xenditAmount, row.xeroPayment, row.status], ['100000.00', null, 'missing_in_xero']);
    assert.match(row.note, /sent back by the bank on 2026-02-03 .*; in Xero in this range: nothing$/);
  });

  it('sent back before anything was booked: each month shows its half as xendit_only, counted in neither total', async () => {
    const nothing = {
      ...deps,
      xero: { listBankAccounts, listBankTransfersFrom: async () => [], listBankTransfersTo: async () => [] },
    } as unknown as ReportDeps;
    for (const [from, to, date, amount] of [
      ['2026-01-01', '2026-01-31', '2026-01-31', '-100000.00'],
      ['2026-02-01', '2026-02-28', '2026-02-03', '100000.00'],
    ]) {
      const got = await transferRows(
        nothing,
        merchant,
        { from, to },
        'SE Asia Standard Time',
        new Map([['clearing', 'IDR']]),
        ['IDR'],
        new Map(),
        liveAccount(),
        () => 'deducted',
      );
      assert.deepEqual(
        got.rows.map((r) => [r.date, r.xenditAmount, r.xeroPayment, r.status]),
        [[date, amount, null, 'xendit_only']],
      );
      assert.match(got.rows[0].note, /left on 2026-01-31 and was sent back by the bank on 2026-02-03, before anything was booked/);
      assert.equal(got.sums.get('IDR')?.xendit ?? 0n, 0n);
    }
    // Booked out (in January), not yet back: February still flags it.
    const outOnly = {
      ...deps,
      xero: { listBankAccounts, listBankTransfersFrom: async () => [out], listBankTransfersTo: async () => [] },
    } as unknown as ReportDeps;
    const [feb] = (
      await transferRows(
        outOnly,
        merchant,
        { from: '2026-02-01', to: '2026-02-28' },
        null,
        new Map([['clearing', 'IDR']]),
        ['IDR'],
        new Map(),
        liveAccount(),
        () => 'deducted',
      )
    ).rows;
    assert.equal(feb.status, 'missing_in_xero');
  });
});
