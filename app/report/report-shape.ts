/** What the reconciliation report answers (reconcile.ts), read by the admin's pages, the balances and the CLI. */
import type { XeroAccountPayment, XeroBankTransaction } from '../clients/xero/types.js';
import type { XenditMode } from '../store/merchants.js';
import type { ReportRow } from './rows.js';

export interface Report {
  merchant: { id: string; name: string };
  from: string;
  to: string;
  rows: ReportRow[];
  /**
   * Per currency. Xendit: paid minus the fees and tax withheld it kept (no fee of a payment whose
   * fee it billed monthly). Xero: net movement of the clearing accounts from
   * Xendit-referenced entries; otherMovement: everything else on them.
   */
  totals: Record<string, Totals>;
  reconciled: boolean;
  /**
   * Every entry Xero lists on each clearing bank account, at any date, with the account's currency:
   * what its balance in another currency than the base is added up from (summed-balance.ts), so
   * the balances next to the report need not read them again.
   */
  clearingEntries?: ClearingEntries;
  /**
   * Per currency, the clearing accounts read besides today's: the gateway posted to them for the
   * range (accounts.ts). The balances add them to today's.
   */
  formerClearingAccounts?: Record<string, string[]>;
  /** The modes of the Xendit accounts read, the key in use first (xendit-accounts.ts reportKeys). */
  xenditModes?: XenditMode[];
}

export type ClearingEntries = Map<string, { currency: string; payments: XeroAccountPayment[]; transactions: XeroBankTransaction[] }>;

export interface Totals {
  xenditNet: string;
  xeroNet: string;
  difference: string;
  otherMovement: string;
}
