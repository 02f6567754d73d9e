/**
 * Xero invoice ids by merchant and invoice number, as earlier clicks found them. An id never changes
 * but a number may be edited in Xero, so this is only a guess: a click reads our checkouts for the
 * guessed invoice while Xero answers, and reads again when Xero names another invoice.
 */
export function createInvoiceIdMemo(max = 10_000) {
  const ids = new Map<string, string>();
  const key = (merchantId: string, invoiceNumber: string) => `${merchantId}\u0000${invoiceNumber}`;
  return {
    guess(merchantId: string, invoiceNumber: string): string | undefined {
      return ids.get(key(merchantId, invoiceNumber));
    },
    learn(merchantId: string, invoiceNumber: string, invoiceId: string): void {
      const k = key(merchantId, invoiceNumber);
      ids.delete(k);
      if (ids.size >= max) ids.delete(ids.keys().next().value!);
      ids.set(k, invoiceId);
    },
  };
}

export type InvoiceIdMemo = ReturnType<typeof createInvoiceIdMemo>;
