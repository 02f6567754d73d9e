import { strict as assert } from 'node:assert';
import { transferRows } from '../../app/report/transfers.js';
import type { ReportDeps } from '../../app/report/rows.js';
import type { XenditWithdrawal } from '../../app/clients/xendit/types.js';
import type { XeroBankTransaction, XeroBankTransfer } from '../../app/clients/xero/types.js';
import type { Merchant } from '../../app/store/merchants.js';
import { xenditAccounts } from '../../app/report/xendit-accounts.js';

/**
 * A withdrawal that left in one report's range and came back (sent back by the bank) in the next:
 * each range shows its own half on both sides, so neither is flagged for good; sent back before
 * anything was booked, nothing in Xero follows it: each range counts its half on Xendit's side alone
 * (Xendit's balance is below the clearing account by it in between), the two together net it out.
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

  it("sent back before anything was booked: each month counts its half on Xendit's side (not_in_xero), the two months together nothing", async () => {
    const nothing = {
      ...deps,
      xero: { listBankAccounts, listBankTransfersFrom: async () => [], listBankTransfersTo: async () => [] },
    } as unknown as ReportDeps;
    for (const [from, to, date, amount, counted, until] of [
      ['2026-01-01', '2026-01-31', '2026-01-31', '-100000.00', -10_000_000n, '2026-02-03'],
      ['2026-02-01', '2026-02-28', '2026-02-03', '100000.00', 10_000_000n, 'then'],
    ] as const) {
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
        [[date, amount, null, 'not_in_xero']],
      );
      assert.match(got.rows[0].note, /left on 2026-01-31 and was sent back by the bank on 2026-02-03, before anything was booked/);
      assert.ok(got.rows[0].note.endsWith(`differs from the clearing account by it until ${until}`), got.rows[0].note);
      assert.deepEqual(got.sums.get('IDR'), { xendit: counted, xero: 0n, other: 0n });
    }
    const both = await transferRows(
      nothing,
      merchant,
      { from: '2026-01-01', to: '2026-02-28' },
      'SE Asia Standard Time',
      new Map([['clearing', 'IDR']]),
      ['IDR'],
      new Map(),
      liveAccount(),
      () => 'deducted',
    );
    assert.deepEqual(both.sums.get('IDR'), { xendit: 0n, xero: 0n, other: 0n });
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

/**
 * Sent back before anything was booked, its fee kept by Xendit (fee status COMPLETED): only the fee
 * left Xendit's balance for good, and only the fee is booked (record-withdrawal, dated when it left).
 * Counted once, where that fee is (or, not booked yet, would be) booked; what left and came back
 * besides it is counted on Xendit's side in each range holding one of its two days alone.
 */
describe('report: a withdrawal sent back before anything was booked, its fee kept', () => {
  const withdrawal: XenditWithdrawal = {
    id: 'txn_w2',
    status: 'REVERSED',
    currency: 'IDR',
    amount: 100_000,
    fee: 5_550,
    feeTax: 550,
    created: '2026-01-31T03:00:00.000Z',
    updated: '2026-02-03T03:00:00.000Z',
  };
  const feeSpend = (date: string): XeroBankTransaction => ({
    bankTransactionId: 'fee',
    type: 'SPEND',
    bankAccountId: 'clearing',
    reference: 'Xendit withdrawal fee txn_w2',
    currencyCode: 'IDR',
    total: '5550.00',
    status: 'AUTHORISED',
    lineItems: [],
    date,
  });
  const merchant = { xenditSecretKey: 'k', xero: {}, clearingAccountId: 'clearing', clearingAccounts: {} } as unknown as Merchant;
  const rowsFor = async (from: string, to: string, fee: XeroBankTransaction[], w: XenditWithdrawal = withdrawal) => {
    const deps = {
      xendit: { listWithdrawals: async () => ({ withdrawals: [w], hasMore: false }) },
      xero: {
        listBankAccounts: async () => [{ accountId: 'clearing', name: 'Xendit', currencyCode: 'IDR' }],
        listBankTransfersFrom: async () => [],
        listBankTransfersTo: async () => [],
        findBankTransactionsByReferences: async (_c: unknown, refs: string[]) => fee.filter((t) => refs.includes(t.reference)),
      },
    } as unknown as ReportDeps;
    return transferRows(
      deps,
      merchant,
      { from, to },
      'SE Asia Standard Time',
      new Map([['clearing', 'IDR']]),
      ['IDR'],
      new Map(),
      xenditAccounts([{ mode: 'live', key: 'k', hint: '…k' }]),
      () => 'deducted',
    );
  };
  const pick = (got: Awaited<ReturnType<typeof rowsFor>>) => got.rows.map((r) => [r.date, r.xenditAmount, r.xeroPayment, r.status]);

  for (const feeInAmount of [false, true]) {
    it(`its fee (${feeInAmount ? 'inside the amount' : 'on top'}) not booked (in review): missing in Xero, counted, in the range that holds both halves`, async () => {
      const got = await rowsFor('2026-01-01', '2026-02-28', [], { ...withdrawal, feeInAmount });
      assert.deepEqual(pick(got), [['2026-01-31', '-5550.00', null, 'missing_in_xero']]);
      assert.deepEqual(got.sums.get('IDR'), { xendit: -555_000n, xero: 0n, other: 0n });
      assert.match(got.rows[0].note, /fee Xendit kept/);
    });
  }

  it("its fee not booked, the halves in two months: missing in the month it left (where its fee is dated); each month counts what left and came back besides it on Xendit's side", async () => {
    const jan = await rowsFor('2026-01-01', '2026-01-31', []);
    assert.deepEqual(pick(jan), [
      ['2026-01-31', '-5550.00', null, 'missing_in_xero'],
      ['2026-01-31', '-100000.00', null, 'not_in_xero'],
    ]);
    assert.equal(jan.sums.get('IDR')?.xendit, -10_555_000n);
    const feb = await rowsFor('2026-02-01', '2026-02-28', []);
    assert.deepEqual(pick(feb), [['2026-02-03', '100000.00', null, 'not_in_xero']]);
    assert.equal(feb.sums.get('IDR')?.xendit, 10_000_000n);
    assert.match(feb.rows[0].note, /nothing is booked for what left and came back besides the fee Xendit kept \(5550\.00\)/);
    assert.match(feb.rows[0].note, /the fee is not booked yet: counted in the period that holds 2026-01-31/);
  });

  it("its fee booked on the day it left, the halves in two months: that month counts the fee on both sides; each counts what left and came back besides it on Xendit's side", async () => {
    const jan = await rowsFor('2026-01-01', '2026-01-31', [feeSpend('2026-01-31')]);
    assert.deepEqual(pick(jan), [
      ['2026-01-31', '-5550.00', '-5550.00', 'transferred'],
      ['2026-01-31', '-100000.00', null, 'not_in_xero'],
    ]);
    assert.deepEqual(jan.sums.get('IDR'), { xendit: -10_555_000n, xero: -555_000n, other: 0n });
    assert.match(jan.rows[0].note, /came back on 2026-02-03/);
    assert.match(jan.rows[1].note, /until 2026-02-03; the fee is counted on its own row$/);
    const feb = await rowsFor('2026-02-01', '2026-02-28', [feeSpend('2026-01-31')]);
    assert.deepEqual(pick(feb), [['2026-02-03', '100000.00', null, 'not_in_xero']]);
    assert.deepEqual(feb.sums.get('IDR'), { xendit: 10_000_000n, xero: 0n, other: 0n });
    assert.match(feb.rows[0].note, /the fee is booked on 2026-01-31: counted there/);
    const both = await rowsFor('2026-01-01', '2026-02-28', [feeSpend('2026-01-31')]);
    assert.deepEqual(pick(both), [['2026-01-31', '-5550.00', '-5550.00', 'transferred']]);
  });

  it("its fee booked in the next month (the day it left was locked): counted there; each month counts what left and came back besides it on Xendit's side", async () => {
    const jan = await rowsFor('2026-01-01', '2026-01-31', [feeSpend('2026-02-05')]);
    assert.deepEqual(pick(jan), [['2026-01-31', '-100000.00', null, 'not_in_xero']]);
    assert.equal(jan.sums.get('IDR')?.xendit, -10_000_000n);
    assert.match(jan.rows[0].note, /is booked on 2026-02-05: counted there/);
    const feb = await rowsFor('2026-02-01', '2026-02-28', [feeSpend('2026-02-05')]);
    assert.deepEqual(pick(feb), [
      ['2026-02-03', '-5550.00', '-5550.00', 'transferred'],
      ['2026-02-03', '100000.00', null, 'not_in_xero'],
    ]);
    assert.deepEqual(feb.sums.get('IDR'), { xendit: 9_445_000n, xero: -555_000n, other: 0n });
    // Both halves in January, the fee in February: February counts it all the same.
    const inJan = { ...withdrawal, updated: '2026-01-31T05:00:00.000Z' };
    assert.deepEqual(pick(await rowsFor('2026-01-01', '2026-01-31', [feeSpend('2026-02-05')], inJan)), [['2026-01-31', '-5550.00', null, 'xendit_only']]);
    const later = await rowsFor('2026-02-01', '2026-02-28', [feeSpend('2026-02-05')], inJan);
    assert.deepEqual(pick(later), [['2026-02-05', '-5550.00', '-5550.00', 'transferred']]);
    assert.deepEqual(later.sums.get('IDR'), { xendit: -555_000n, xero: -555_000n, other: 0n });
  });
});
