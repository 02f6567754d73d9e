/**
 * What Xero asks of each line of an invoice, a credit note or a bank transaction, checked alike by
 * all three.
 *
 * Its AccountCode is an account of the chart (xero_accounting.yaml LineItem.AccountCode: "See
 * Accounts") but not a bank account: money between two bank accounts is a BankTransfer
 * (developer.xero.com/documentation/api/accounting/banktransfers). Nor an archived one, which takes
 * no new entries (Account.Status ARCHIVED): an invoice on an account archived since is refused
 * (XeroAPI/Xero-Java#370 "Invoice creation failed because account removed").
 *
 * Its Description has at least one character (xero_accounting.yaml LineItem.Description:
 * "Description needs to be at least 1 char long"), refused as integrations quote Xero: "The
 * description field is mandatory for each line item." Xero takes it from an item's ItemCode
 * instead, which the simulator does not keep.
 */
import type { SimOrganisation } from './state.js';

/** Why Xero would refuse a line coded to `code`; undefined when it would take it. */
export function lineAccountError(o: SimOrganisation, code: string): string | undefined {
  const account = o.accounts.find((a) => a.code === code);
  if (!account) return `Account code '${code}' is not a valid code for this document`;
  if (account.type === 'BANK') return `Account code '${code}' is a bank account and cannot be used on a line item`;
  if (account.status !== 'ACTIVE') return `Account code '${code}' has been archived, or has been deleted. Each line item must reference a valid account.`;
  return undefined;
}

/** The line's Description as sent; a missing or blank one adds Xero's refusal to `errors`. */
export function lineDescription(raw: unknown, errors: string[]): string {
  const description = raw === undefined || raw === null ? '' : String(raw);
  if (!description.trim()) errors.push('The description field is mandatory for each line item.');
  return description;
}
