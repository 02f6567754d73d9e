/**
 * The writes of the admin's forms that save every field at once (settings, accounts, settlement bank
 * accounts), each in a transaction that first locks the merchant's row and hands what is stored now
 * to the caller's check. Two saves of the same form then run one after the other: the second is
 * checked against what the first wrote, not against what both read before either wrote.
 */
import { sql, type Transaction } from 'kysely';
import type { Database, XenditFeeBilling } from './schema.js';
import type { MerchantSettings } from './merchant-model.js';

/** Refuses a write by throwing (the transaction is rolled back): given what is stored now, under the merchant's row lock. */
export type StoredCheck<T> = (stored: T) => void;

/**
 * Locks the merchant's row until the transaction ends; false: no such merchant. FOR NO KEY UPDATE:
 * it waits for another save (and for any update of the row), but not the inserts that only
 * reference the merchant (a pay click's checkout, a callback, a job), which FOR UPDATE would hold up.
 */
export async function lockMerchantRow(trx: Transaction<Database>, id: string): Promise<boolean> {
  return (await trx.selectFrom('merchants').select('id').where('id', '=', id).forNoKeyUpdate().executeTakeFirst()) !== undefined;
}

/** Only the settings given are written, so two changes made at once (the form and the CLI) do not undo each other. */
export async function writeSettings(trx: Transaction<Database>, id: string, s: Partial<MerchantSettings>, now: Date): Promise<boolean> {
  const given = <K extends keyof MerchantSettings, C extends string>(key: K, column: C) =>
    (s[key] === undefined ? {} : { [column]: s[key] }) as { [P in C]?: MerchantSettings[K] };
  if (s.xenditFeeBilling !== undefined) await noteFeeBillingChange(trx, id, s.xenditFeeBilling, now);
  const r = await trx
    .updateTable('merchants')
    .set({
      ...given('backendFlow', 'backend_flow'),
      ...given('feePosting', 'fee_posting'),
      ...given('xenditFeeBilling', 'xendit_fee_billing'),
      ...given('overpayments', 'overpayments'),
      ...given('xeroTestOrganisation', 'xero_test_organisation'),
      ...given('salesTaxType', 'sales_tax_type'),
      ...given('partialMinPercent', 'partial_min_percent'),
      ...given('checkoutHours', 'checkout_hours'),
      ...given('xenditReceipts', 'xendit_receipts'),
      ...given('paymentMethods', 'payment_methods'),
      ...given('otherMovementsAccountCode', 'other_movements_account_code'),
      // Turned on: from now (kept while only the account changes); off: forgotten, so turning it on
      // again never books what moved while it was off.
      ...(s.otherMovementsAccountCode === undefined
        ? {}
        : { other_movements_since: s.otherMovementsAccountCode === null ? null : sql<Date>`coalesce(other_movements_since, ${now})` }),
      updated_at: now,
    })
    .where('id', '=', id)
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

export interface AccountsWrite {
  clearingAccountId: string;
  clearingCurrency?: string;
  clearingAccounts: Record<string, string>;
  feeAccountCode: string;
  salesAccountCode: string | null;
  /** Left as it is when not given. */
  withholdingAccountCode?: string | null;
}

/**
 * The default clearing account, the per-currency ones (replacing all before), the fee and sales
 * accounts. `clearingCurrency` is the default account's currency when the caller knows it; a
 * currency known for the account kept stays, one for an account replaced is forgotten.
 */
export async function writeAccounts(trx: Transaction<Database>, id: string, a: AccountsWrite, now: Date): Promise<void> {
  const given = a.clearingCurrency ?? null;
  await trx
    .updateTable('merchants')
    .set({
      clearing_account_id: a.clearingAccountId,
      clearing_currency: sql<
        string | null
      >`case when clearing_account_id = ${a.clearingAccountId} then coalesce(${given}::text, clearing_currency) else ${given}::text end`,
      fee_account_code: a.feeAccountCode,
      sales_account_code: a.salesAccountCode,
      ...(a.withholdingAccountCode !== undefined ? { withholding_account_code: a.withholdingAccountCode } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
  await trx.deleteFrom('clearing_accounts').where('merchant_id', '=', id).execute();
  const rows = Object.entries(a.clearingAccounts).map(([currency, accountId]) => ({ merchant_id: id, currency, account_id: accountId }));
  if (rows.length) await trx.insertInto('clearing_accounts').values(rows).execute();
}

/**
 * A change of fee billing is kept with its time, in the transaction that makes it: a month's fee
 * bill is judged by the setting of that month (fee-bills.ts billedMonthlyIn). Locks the merchant's row.
 */
async function noteFeeBillingChange(trx: Transaction<Database>, id: string, next: XenditFeeBilling, now: Date): Promise<void> {
  const row = await trx.selectFrom('merchants').select('xendit_fee_billing').where('id', '=', id).forNoKeyUpdate().executeTakeFirst();
  if (!row || row.xendit_fee_billing === next) return;
  await trx
    .insertInto('fee_billing_changes')
    .values({ merchant_id: id, changed_at: now, billing_before: row.xendit_fee_billing, billing_after: next })
    .execute();
}
