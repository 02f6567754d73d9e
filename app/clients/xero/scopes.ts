/**
 * The granular scope each call needs (developer.xero.com/documentation/guides/oauth2/scopes), to
 * name it when Xero refuses a call for want of it. Older apps may hold the broad
 * accounting.transactions / accounting.reports.read instead; the granular name is what a
 * reconnect with the default scopes asks for.
 */
const BY_OPERATION: [RegExp, string][] = [
  [/BankSummary/i, 'accounting.reports.banksummary.read'],
  [/PaymentService/i, 'paymentservices'],
  [/BankTransaction|BankTransfer/i, 'accounting.banktransactions'],
  [/ManualJournal/i, 'accounting.manualjournals'],
  [/Payment|Overpayment/i, 'accounting.payments'],
  [/Invoice|CreditNote|Bill/i, 'accounting.invoices'],
  [/Contact/i, 'accounting.contacts'],
  [/Account|Organisation|TaxRate|BrandingTheme/i, 'accounting.settings'],
];

export function scopeFor(op: string): string {
  return BY_OPERATION.find(([pattern]) => pattern.test(op))?.[1] ?? `the scope of ${op}`;
}
