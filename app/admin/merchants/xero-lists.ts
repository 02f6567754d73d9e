/**
 * The Xero lists the accounts and settings pages show and their saves check against (the
 * organisation, bank accounts, accounts by class, the accounts a line may be coded to, sales tax
 * rates), kept per merchant for a minute (kept-reads.ts). The accounts page cost 5 Xero calls a
 * load and the settings page 4, out of the admin's day share: a staff user reloading them could
 * spend it, and no owner could save for the rest of the day.
 *
 * A save checks against a list up to a minute old: an account archived in Xero within that minute
 * may be chosen, and is then refused by Xero where it is used (the job goes to review and says why),
 * as one archived the minute after a save would be. What the gateway itself changes in Xero (a
 * bank account created) is forgotten at once; a change of the merchant's Xero connection (another
 * organisation, new credentials, a disconnect or reconnect) is never answered with the old lists.
 */
import type { Clock } from '../../clock.js';
import type { Merchant } from '../../store/merchants.js';
import type { XeroBankAccount, XeroGateway, XeroLedgerAccount, XeroOrganisation, XeroTaxRate } from '../../clients/xero/types.js';
import { createKeptReads, versionOf, type KeptReads } from '../kept-reads.js';

export const XERO_LISTS_KEEP_MS = 60_000;

/** One per process, made by the admin's router. */
export type XeroLists = KeptReads<unknown>;

export function createXeroLists(opts: { clock: Clock; keepMs?: number }): XeroLists {
  // Seven lists a merchant at most.
  return createKeptReads<unknown>({ clock: opts.clock, keepMs: opts.keepMs ?? XERO_LISTS_KEEP_MS, max: 7000 });
}

/** What the lists depend on of the merchant's row: its Xero connection. */
function connectionVersion(m: Merchant): string {
  return versionOf([m.xero.clientId, m.xero.clientSecret, m.xero.tenantId, m.xeroConnection, m.xeroDisconnected?.at.getTime() ?? null]);
}

/** The merchant's lists, kept when the deps have a XeroLists (the admin), read each time otherwise (the CLI). */
export function xeroListsOf(deps: { xero: XeroGateway; xeroLists?: XeroLists }, merchant: Merchant) {
  const version = connectionVersion(merchant);
  const kept = async <T>(part: string, read: () => Promise<T>): Promise<T> =>
    deps.xeroLists ? ((await deps.xeroLists.get(`${merchant.id}:${part}`, version, read)).value as T) : read();
  return {
    organisation: () => kept<XeroOrganisation>('organisation', () => deps.xero.getOrganisation(merchant.xero)),
    bankAccounts: () => kept<XeroBankAccount[]>('bank-accounts', () => deps.xero.listBankAccounts(merchant.xero)),
    accountsOfClass: (c: 'EXPENSE' | 'REVENUE' | 'ASSET') => kept<XeroLedgerAccount[]>(`class-${c}`, () => deps.xero.listAccountsOfClass(merchant.xero, c)),
    lineAccounts: () => kept<XeroLedgerAccount[]>('line-accounts', async () => (await deps.xero.readChart(merchant.xero)).lineAccounts),
    salesTaxRates: () => kept<XeroTaxRate[]>('sales-tax-rates', () => deps.xero.listSalesTaxRates(merchant.xero)),
  };
}

/** After the gateway changed the merchant's Xero lists (a bank account created): the next page reads them anew. */
export function forgetXeroLists(deps: { xeroLists?: XeroLists }, merchantId: string): void {
  deps.xeroLists?.forget(merchantId);
}

/**
 * A save's check against the kept lists; one it refuses is checked again against lists read now,
 * so an account made in Xero within the minute is not refused. Only owners and operators save, so
 * only they can cost that second read.
 */
export async function checkedAgainstLists<T>(
  deps: { xeroLists?: XeroLists },
  merchantId: string,
  check: () => Promise<T>,
  refused: (r: T) => boolean,
): Promise<T> {
  const kept = await check();
  if (!deps.xeroLists || !refused(kept)) return kept;
  forgetXeroLists(deps, merchantId);
  return check();
}
