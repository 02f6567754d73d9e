/**
 * Transactions (Xendit's Transactions API): the fee and the VAT on it of a paid invoice's payment.
 */
import { z } from 'zod';
import { numberToDecimal, toMinor, type Currency } from '../../money.js';
import { json, type XenditCall } from './call.js';
import { unexpected } from './errors.js';
import { CursorWalk } from './paging.js';
import type { FeeTaxLookup, FeeTaxQuery, PaymentTransactionPage, XenditGateway, XenditPaymentTransaction } from './types.js';

export function transactionCalls(call: XenditCall): Pick<XenditGateway, 'getFeeTax' | 'listPaymentTransactions'> {
  return {
    async getFeeTax(secretKey, invoice) {
      // reference_id "can be partial match" (docs.xendit.co/apidocs/list-transactions; an option of
      // the account in its later revision): pages of other external ids that contain this one are
      // read past, up to FEE_LOOKUP_PAGES, before anything is called ambiguous.
      const rows = new Map<string, TransactionJson>();
      let afterId: string | undefined;
      let picked: ReturnType<typeof pickPaymentTransaction> = { kind: 'not_found' };
      const walk = new CursorWalk(FEE_LOOKUP_PAGES);
      for (let page = 0; page < FEE_LOOKUP_PAGES; page++) {
        const body = await call(secretKey, 'getFeeTax', async (api) =>
          json(
            await api.getAllTransactionsRaw({
              referenceId: invoice.externalId,
              types: ['PAYMENT'],
              currency: invoice.currency,
              limit: TRANSACTION_LIMIT,
              ...(afterId ? { afterId } : {}),
            }),
          ),
        );
        const listed = pageSchema.safeParse(body);
        if (!listed.success) throw unexpected('transaction list is not readable');
        const ids = listed.data.data.map((r) => (r as { id?: unknown } | null)?.id).map((id) => (typeof id === 'string' ? id : undefined));
        // Started over or cut short by a cursor Xendit no longer holds (paging.ts): what is left stays unread.
        if (walk.page(ids, listed.data.has_more === true) === 'broken') {
          picked = pickPaymentTransaction({ has_more: true, data: [...rows.values()] }, invoice);
          break;
        }
        listed.data.data.forEach((r, i) => {
          // Only this external id's own rows are read: a partial match may be of any shape.
          if ((r as { reference_id?: unknown } | null)?.reference_id !== invoice.externalId) return;
          const t = ownRowSchema.safeParse(r);
          if (!t.success) throw unexpected('transaction list is not readable');
          rows.set(t.data.id ?? `${page}:${i}`, t.data);
        });
        const more = listed.data.has_more === true;
        picked = pickPaymentTransaction({ has_more: more, data: [...rows.values()] }, invoice);
        const last = (listed.data.data.at(-1) as { id?: unknown } | undefined)?.id;
        // No cursor to go on with, or the same page again (a cursor not honoured): what is left stays unread.
        if (picked.kind === 'found' || !more || typeof last !== 'string' || last === afterId) break;
        afterId = last;
      }
      return picked.kind === 'found' ? feeTaxOf(picked.transaction, invoice.currency) : picked;
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
        const page = pageSchema.safeParse(body);
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

/**
 * The fee and VAT of the invoice's payment transaction, or why they cannot be read. A VOIDED payment
 * was cancelled before settlement, and a void gives fee and VAT back whatever fee.status says
 * (docs.xendit.co "Transaction and Settlement statuses"; help.xendit.co on e-wallet and QR voids).
 */
function feeTaxOf(t: Pick<TransactionJson, 'fee' | 'status' | 'net_amount' | 'amount'>, currency: Currency): FeeTaxLookup {
  // Every figure of what Xendit keeps (xendit-node FeeResponse: xendit_fee, value_added_tax,
  // xendit_withholding_tax, third_party_withholding_tax; the last two optional, "if applicable")
  // and what it settles (net_amount, docs.xendit.co "List transactions"), each kept as sent when it
  // does not fit the currency.
  const figures: [string, number | null | undefined][] = [
    ['xendit_fee', t.fee.xendit_fee],
    ['value_added_tax', t.fee.value_added_tax],
    ['xendit_withholding_tax', t.fee.xendit_withholding_tax],
    ['third_party_withholding_tax', t.fee.third_party_withholding_tax],
    ['net_amount', t.net_amount],
  ];
  const minor = new Map<string, number>();
  for (const [field, wire] of figures) {
    if (wire == null) continue;
    const value = minorOrNull(wire, currency);
    if (value === null) return { kind: 'unfit', field, raw: String(wire) };
    minor.set(field, value);
  }
  const fee = minor.get('xendit_fee') ?? 0;
  const tax = minor.get('value_added_tax') ?? 0;
  const xendit = minor.get('xendit_withholding_tax') ?? 0;
  const thirdParty = minor.get('third_party_withholding_tax') ?? 0;
  const netAmount = minor.get('net_amount');
  const voided = t.status === 'VOIDED';
  // The transaction's own net_amount says the tax it shows was not taken from this payment: not counted.
  const amount = minorOrNull(t.amount, currency);
  const taken = amount === null || withholdingTaken({ amount, net: netAmount, fee, tax, withheld: xendit + thirdParty });
  return {
    kind: 'found',
    fee,
    tax,
    ...(voided || FEE_RETURNED.has(t.fee.status ?? '') ? { feeReturned: true } : {}),
    ...(voided ? { voided } : {}),
    ...((xendit || thirdParty) && taken ? { withholding: { xendit, thirdParty } } : {}),
    ...(netAmount !== undefined ? { netAmount } : {}),
    ...(t.fee.status === 'PENDING' ? { feePending: true } : {}),
  };
}

/**
 * Whether the tax a payment transaction shows withheld (fee.xendit_withholding_tax +
 * fee.third_party_withholding_tax, minor units) left the payment. Xendit withholds it from what it
 * remits to the merchant (docs.xendit.co "Withholding Tax on Gross Remittances (PH)": the provider
 * with final control of the remittance withholds), whether its fees are taken from each payment or
 * billed monthly; what net_amount shows for a payment whose fee is billed monthly is not documented.
 * So net_amount, when sent, decides: paid less the tax (less fee and VAT, or not) took it; paid in
 * full, or less fee and VAT alone, did not. Not sent, or another figure: taken, as shown (post-fee
 * holds net_amount against its own figures and sends a mismatch to review).
 */
export function withholdingTaken(t: { amount: number; net: number | undefined; fee: number; tax: number; withheld: number }): boolean {
  if (t.withheld === 0 || t.net === undefined) return true;
  if (t.net === t.amount - t.withheld || t.net === t.amount - t.fee - t.tax - t.withheld) return true;
  return t.net !== t.amount && t.net !== t.amount - t.fee - t.tax;
}

/**
 * What Xendit gave back of a payment's fee and VAT (minor units), as its lookup says, or null when
 * it keeps them. A void gives the whole fee and VAT back (help.xendit.co on e-wallet and QR voids);
 * a voided transaction that shows no figures (not documented either way) gave back what was posted.
 * The job that books it (jobs/sync/fee-return.ts) and the report that checks it (report/fee-returns.ts)
 * both ask here, so what one books the other expects.
 */
export function feeGivenBack(lookup: FeeTaxLookup, posted: { fee: number; tax: number }): { fee: number; tax: number } | null {
  if (lookup.kind !== 'found' || !lookup.feeReturned) return null;
  const back = lookup.voided && lookup.fee + lookup.tax === 0 ? posted : { fee: lookup.fee, tax: lookup.tax };
  return back.fee + back.tax > 0 ? back : null;
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
/** Pages of partial matches read for one invoice's payment: 250 transactions of look-alike external ids. */
const FEE_LOOKUP_PAGES = 5;

/**
 * The fee object of a transaction that is not a payment (withdrawals, other movements, chargebacks):
 * xendit-node FeeResponse, each figure optional there; the withholding taxes "if applicable".
 */
export const movementFeeSchema = z.object({
  xendit_fee: z.number().nullish(),
  value_added_tax: z.number().nullish(),
  xendit_withholding_tax: z.number().nullish(),
  third_party_withholding_tax: z.number().nullish(),
  status: z.string().nullish(),
});

export const transactionSchema = z.object({
  product_id: z.string(),
  reference_id: z.string(),
  status: z.string().nullish(),
  currency: z.string().nullish(),
  amount: z.number(),
  // net_amount: not in xendit-node's TransactionResponse; docs.xendit.co "List transactions" response.
  net_amount: z.number().nullish(),
  fee: z.object({
    xendit_fee: z.number(),
    value_added_tax: z.number(),
    xendit_withholding_tax: z.number().nullish(),
    third_party_withholding_tax: z.number().nullish(),
    status: z.string().nullish(),
  }),
  // Not in xendit-node's TransactionResponse, but sent by Xendit for invoice (payment link) payments:
  // the one field that names the invoice itself. Read leniently.
  product_data: z.object({ payment_link_id: z.string().nullish() }).passthrough().nullish().catch(null),
});
type TransactionJson = z.infer<typeof transactionSchema>;
const listedTransactionSchema = transactionSchema.extend({ id: z.string(), created: z.string() });
type TransactionList = { has_more?: boolean | null; data: TransactionJson[] };
/** A row of the lookup: its id (the cursor) when sent. */
const ownRowSchema = transactionSchema.extend({ id: z.string().optional() });
const pageSchema = z.object({ has_more: z.boolean().nullish(), data: z.array(z.unknown()) });

/**
 * The invoice's payment among the transactions listed for its external id: the one that names the
 * invoice (product_data.payment_link_id, or product_id), else the only one of the paid amount (exact
 * minor units). External ids are not unique at Xendit (invoices made outside the gateway), so two
 * that fit are never guessed between. FAILED (no money moved) and REVERSED (taken back after
 * settlement, what of the fee undocumented) transactions never count. A VOIDED one (cancelled
 * before settlement, fee given back: docs.xendit.co "Transaction and Settlement statuses") counts
 * only when it names the invoice: an unnamed one may be an older payment of a reused external id,
 * picked while this payment's own transaction is not listed yet, and it must not make the one
 * SUCCESS payment of the invoice ambiguous.
 */
function pickPaymentTransaction(
  list: TransactionList,
  invoice: FeeTaxQuery,
): { kind: 'found'; transaction: TransactionJson } | Exclude<FeeTaxLookup, { kind: 'found' }> {
  const fits = list.data.filter(
    (t) =>
      t.reference_id === invoice.externalId &&
      // One that names another invoice is that invoice's payment, whatever else fits.
      (t.product_data?.payment_link_id == null || t.product_data.payment_link_id === invoice.id) &&
      t.status !== 'FAILED' &&
      t.status !== 'REVERSED' &&
      (t.currency == null || t.currency === invoice.currency) &&
      minorOrNull(t.amount, invoice.currency) === invoice.paidAmount,
  );
  const named = fits.find((t) => t.product_data?.payment_link_id === invoice.id) ?? fits.find((t) => t.product_id === invoice.id);
  if (named) return { kind: 'found', transaction: named };
  // Nothing here names the invoice, so a VOIDED one cannot be told apart from an older payment of the same external id.
  const candidates = fits.filter((t) => t.status !== 'VOIDED');
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

/**
 * Every PAYMENT transaction of `currency` created in [from, to], at most `maxPages` pages: `complete`
 * only when the list was read to its end and no page left a row out (a row not read could be the
 * second one that fits). A walk Xendit started over or cut short (CursorWalk), or a page of nothing
 * new (the cursor not honoured), ends it incomplete.
 */
export async function listPaymentWindow(
  xendit: Pick<XenditGateway, 'listPaymentTransactions'>,
  secretKey: string,
  q: { currency: Currency; from: number; to: number },
  maxPages: number,
): Promise<{ rows: XenditPaymentTransaction[]; complete: boolean }> {
  const rows = new Map<string, XenditPaymentTransaction>();
  let allRead = true;
  let afterId: string | undefined;
  const walk = new CursorWalk(maxPages);
  for (let page = 0; page < maxPages; page++) {
    const p = await xendit.listPaymentTransactions(secretKey, { currency: q.currency, createdAfter: new Date(q.from), createdBefore: new Date(q.to), afterId });
    if (
      walk.page(
        p.transactions.map((t) => t.id),
        p.hasMore,
      ) === 'broken'
    )
      break;
    const before = rows.size;
    for (const t of p.transactions) rows.set(t.id, t);
    allRead &&= p.allRead;
    if (!p.hasMore) return { rows: [...rows.values()], complete: allRead };
    if (rows.size === before || !p.lastId) break;
    afterId = p.lastId;
  }
  return { rows: [...rows.values()], complete: false };
}
