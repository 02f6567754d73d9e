/**
 * Xendit's paid invoices for the report: those each account read paid in the range, and those the
 * clearing accounts' entries name that were paid outside it.
 */
import type { XenditInvoice } from '../clients/xendit/types.js';
import type { ReportDeps } from './rows.js';
import type { ReportKey, XenditAccounts } from './xendit-accounts.js';

const DAY_MS = 86_400_000;

/** Paid on the range's local dates (`paidOn`), in each account read, by id. */
export async function paidInRange(
  deps: ReportDeps,
  accounts: XenditAccounts,
  range: { from: string; to: string },
  paidOn: (inv: XenditInvoice) => string | undefined,
): Promise<Map<string, XenditInvoice>> {
  // Local dates in Xendit's markets run up to a day ahead of UTC: ask a day wider, filter by local date.
  const window = {
    paidAfter: new Date(Date.parse(`${range.from}T00:00:00Z`) - DAY_MS),
    paidBefore: new Date(Date.parse(`${range.to}T00:00:00Z`) + 2 * DAY_MS),
  };
  const paid = new Map<string, XenditInvoice>();
  for (const { key, value } of await accounts.each('paid invoices', (k) => deps.xendit.listPaidInvoices(k.key, window))) {
    for (const inv of value) {
      accounts.seen(inv.id, key);
      const on = paidOn(inv);
      if (on !== undefined && on >= range.from && on <= range.to) paid.set(inv.id, inv);
    }
  }
  return paid;
}

/**
 * The invoices of `ids` not in `paid`, looked up in each account in turn (one call per account at
 * most) and added to `paid` when Xendit has them paid. Answers those none had while an account
 * Xendit refused may: unknown, not missing.
 */
export async function paidElsewhere(
  deps: ReportDeps,
  accounts: XenditAccounts,
  ids: Iterable<string>,
  paid: Map<string, XenditInvoice>,
): Promise<Map<string, ReportKey[]>> {
  const refusedFor = new Map<string, ReportKey[]>();
  for (const id of ids) {
    if (paid.has(id)) continue;
    const found = await accounts.find('invoices', (key) => deps.xendit.getInvoice(key, id));
    if (found.value === null) {
      if (found.refused.length) refusedFor.set(id, found.refused);
      continue;
    }
    accounts.seen(id, found.key);
    if (found.value.status === 'PAID' || found.value.status === 'SETTLED') paid.set(id, found.value);
  }
  return refusedFor;
}
