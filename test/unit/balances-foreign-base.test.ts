import { strict as assert } from 'node:assert';
import pino from 'pino';
import { balances } from '../../app/admin/payments/balances.js';
import type { Merchant } from '../../app/store/merchants.js';
import type { XenditGateway } from '../../app/clients/xendit/types.js';
import type { XeroGateway } from '../../app/clients/xero/types.js';
import type { ClearingEntries } from '../../app/report/reconcile.js';

/**
 * An organisation whose base currency Xendit does not charge in (SGD): every clearing account is
 * foreign, so each balance is added up from the entries the report read.
 */
describe('balances of an organisation with a base currency Xendit does not charge in', () => {
  const merchant = {
    id: 'm1',
    xero: { tenantId: 't1' },
    xenditSecretKey: 'xnd_development_x',
    clearingAccountId: 'acc-php',
    clearingAccounts: { PHP: 'acc-php' },
    xeroTimezone: null,
    xenditFeeBilling: 'deducted',
  } as unknown as Merchant;
  const xero = {
    getOrganisation: async () => ({ organisationId: 'o', name: 'SG', shortCode: '!S', baseCurrency: 'SGD', timezone: 'SINGAPORESTANDARDTIME' }),
    bankSummary: async () => {
      throw new Error('the Bank Summary has no figure of its own for a foreign account: not read');
    },
  } as unknown as XeroGateway;
  const xendit = {
    getBalance: async (_key: string, _currency: string, type = 'CASH') => (type === 'CASH' ? 245050 : 0),
    unsettledPayments: async () => [],
    pendingWithdrawals: async () => ({ amount: 0 }),
  } as unknown as XenditGateway;
  const known: ClearingEntries = new Map([
    [
      'acc-php',
      {
        currency: 'PHP',
        payments: [
          {
            paymentId: 'p1',
            paymentType: 'ACCRECPAYMENT',
            reference: 'Xendit x',
            amount: '2450.50',
            bankAmount: '2450.50',
            status: 'AUTHORISED',
            date: '2026-12-01',
          },
        ],
        transactions: [],
      },
    ],
  ]);

  it("adds the PHP clearing account up as of the organisation's today and compares it", async () => {
    const stores = {
      feeBills: { billingAt: async () => () => 'deducted' as const },
      clearingPosts: { accountsPosted: async () => ({ accounts: [], more: false }) },
    };
    const deps = { xero, xendit, stores, clock: () => new Date('2026-12-06T03:00:00Z'), logger: pino({ level: 'silent' }) };
    const [row, ...more] = await balances(deps, merchant, known);
    assert.equal(more.length, 0);
    assert.deepEqual([row.currency, row.xero, row.summed, row.balanced], ['PHP', 245050, true, true]);
  });
});
