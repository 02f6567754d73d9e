/**
 * Transactions (Xendit's Transactions API): the fee and the VAT on it of a paid invoice's payment.
 */
import { z } from 'zod';
import { numberToDecimal, toMinor, type Currency } from '../../money.js';
import { json, type XenditCall } from './call.js';
import { unexpected } from './errors.js';
import type { FeeTaxLookup, FeeTaxQuery, PaymentTransactionPage, XenditGateway, XenditPaymentTransaction } from './types.js';

export function transactionCalls(call: XenditCall): Pick<XenditGateway, 'getFeeTax' | 'listPaymentTransactions'> {
  return {
    async getFeeTax(secretKey, invoice) {
      return call(secretKey, 'getFeeTax', async (api) => {
        const body = await json(
          await api.getAllTransactionsRaw({ referenceId: invoice.externalId, types: ['PAYMENT'], currency: invoice.currency, limit: TRANSACTION_LIMIT }),
        );
        const parsed = transactionsSchema.safeParse(body);
        if (!parsed.success) throw unexpected('transaction list is not readable');
        const txn = pickPaymentTransaction(parsed.data, invoice);
        return txn.kind === 'found' ? feeTaxOf(txn.transaction, invoice.currency) : txn;
      });
    },

    async listPaymentTransactions(secretKey, q) {
      return call(secretKey, 'listPaymentTransactions', async (api) => {
        const body = await json(
          await api.getAllTransactionsRaw({
            types: ['PAYMENT'],
            currency: q.currency,
            created: { gte: q.createdAfter, lte: q.createdBefore },
            limit: TRANSACTION_LIMIT,
            ...(q.afterId ? { afterId: q.afterId } : {}),
          }),
        );
        const page = z.object({ has_more: z.boolean().nullish(), data: z.array(z.unknown()) }).safeParse(body);
        if (!page.success) throw unexpected('transaction list is not readable');
        const rows = page.data.data;
        // A row not read (another shape) is left out; the page still counts it, so the listing is not taken for complete.
        const transactions = rows.flatMap((r) => {
          const t = listedTransactionSchema.safeParse(r);
          return t.success ? [t.data] : [];
        });
        const last = (rows.at(-1) as { id?: unknown } | undefined)?.id;
        const result: PaymentTransactionPage = {
          transactions,
          hasMore: page.data.has_more === true,
          allRead: transactions.length === rows.length,
          ...(typeof last === 'string' ? { lastId: last } : {}),
        };
        return result;
      });
    },
  };
}

/** The fee and VAT of the invoice's payment transaction, or why they cannot be read. */
function feeTaxOf(t: Pick<TransactionJson, 'fee'>, currency: Currency): FeeTaxLookup {
  const { xendit_fee: feeWire, value_added_tax: taxWire } = t.fee;
  const fee = minorOrNull(feeWire, currency);
  const tax = minorOrNull(taxWire, currency);
  if (fee === null) return { kind: 'unfit', field: 'xendit_fee', raw: String(feeWire) };
  if (tax === null) return { kind: 'unfit', field: 'value_added_tax', raw: String(taxWire) };
  return { kind: 'found', fee, tax, ...(FEE_RETURNED.has(t.fee.status ?? '') ? { feeReturned: true } : {}) };
}

/**
 * The invoice's fee from a time window's listing of payment transactions, when the listing settles
 * it as surely as getFeeTax's own lookup would: the transaction that names the invoice, or, when
 * `complete` (every payment of the window read), the only one of its external id and amount created
 * within the window. Anything else (not listed, two that fit, a figure that does not fit) is null:
 * the caller asks getFeeTax, whose answer covers every case.
 */
export function feeTaxFromListing(rows: readonly XenditPaymentTransaction[], invoice: FeeTaxQuery, complete: boolean): FeeTaxLookup | null {
  const picked = pickPaymentTransaction({ has_more: !complete, data: rows as unknown as TransactionJson[] }, invoice);
  if (picked.kind !== 'found') return null;
  const found = feeTaxOf(picked.transaction, invoice.currency);
  return found.kind === 'found' ? found : null;
}

/** fee.status values that say Xendit does not keep the fee (FeeResponse status; the docs define neither further). */
const FEE_RETURNED = new Set(['REVERSED', 'CANCELED']);

/** Xendit's largest page of transactions. */
const TRANSACTION_LIMIT = 50;

export const transactionSchema = z.object({
  product_id: z.string(),
  reference_id: z.string(),
  status: z.string().nullish(),
  currency: z.string().nullish(),
  amount: z.number(),
  fee: z.object({ xendit_fee: z.number(), value_added_tax: z.number(), status: z.string().nullish() }),
  // Not in xendit-node's TransactionResponse, but sent by Xendit for invoice (payment link) payments:
  // the one field that names the invoice itself. Read leniently.
  product_data: z.object({ payment_link_id: z.string().nullish() }).passthrough().nullish().catch(null),
});
type TransactionJson = z.infer<typeof transactionSchema>;
const listedTransactionSchema = transactionSchema.extend({ id: z.string(), created: z.string() });
const transactionsSchema = z.object({ has_more: z.boolean().nullish(), data: z.array(transactionSchema) });

/**
 * The invoice's payment among the transactions listed for its external id: the one that names the
 * invoice (product_data.payment_link_id, or product_id), else the only one of the paid amount (exact
 * minor units). External ids are not unique at Xendit (invoices made outside the gateway), so two
 * that fit are never guessed between. FAILED, VOIDED and REVERSED transactions moved no money
 * (docs.xendit.co Transactions API, TransactionStatuses) and never count.
 */
function pickPaymentTransaction(
  list: z.infer<typeof transactionsSchema>,
  invoice: FeeTaxQuery,
): { kind: 'found'; transaction: TransactionJson } | Exclude<FeeTaxLookup, { kind: 'found' }> {
  const candidates = list.data.filter(
    (t) =>
      t.reference_id === invoice.externalId &&
      // One that names another invoice is that invoice's payment, whatever else fits.
      (t.product_data?.payment_link_id == null || t.product_data.payment_link_id === invoice.id) &&
      t.status !== 'FAILED' &&
      t.status !== 'VOIDED' &&
      t.status !== 'REVERSED' &&
      (t.currency == null || t.currency === invoice.currency) &&
      minorOrNull(t.amount, invoice.currency) === invoice.paidAmount,
  );
  const named = candidates.find((t) => t.product_data?.payment_link_id === invoice.id) ?? candidates.find((t) => t.product_id === invoice.id);
  if (named) return { kind: 'found', transaction: named };
  const more = list.has_more === true;
  if (candidates.length === 1 && !more) return { kind: 'found', transaction: candidates[0] };
  if (!candidates.length && !more) return { kind: 'not_found' };
  return { kind: 'ambiguous', count: candidates.length, more };
}

function minorOrNull(value: number, currency: Currency): number | null {
  try {
    return toMinor(numberToDecimal(value), currency);
  } catch {
    return null;
  }
}
