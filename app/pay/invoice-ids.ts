/**
 * Xero invoice ids by payment link (ShortCode) and invoice number, as earlier clicks found them. An
 * id never changes but a number may be edited in Xero (and a ShortCode given to another merchant),
 * so this is only a guess: a click reads our checkouts for the guessed invoice with its admission,
 * and reads again when Xero names another invoice.
 */
export function createInvoiceIdMemo(max = 10_000) {
  const ids = new Map<string, string>();
  const key = (shortCode: string, invoiceNumber: string) => `${shortCode}\u0000${invoiceNumber}`;
  return {
    guess(shortCode: string, invoiceNumber: string): string | undefined {
      return ids.get(key(shortCode, invoiceNumber));
    },
    learn(shortCode: string, invoiceNumber: string, invoiceId: string): void {
      const k = key(shortCode, invoiceNumber);
      ids.delete(k);
      if (ids.size >= max) ids.delete(ids.keys().next().value!);
      ids.set(k, invoiceId);
    },
  };
}

export type InvoiceIdMemo = ReturnType<typeof createInvoiceIdMemo>;
