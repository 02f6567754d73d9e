import { randomUUID } from 'node:crypto';
import type { Job } from '../../store/jobs.js';
import { mayRecordInXero, type Merchant } from '../../store/merchants.js';
import { modeOfXenditKey, xenditKeyHint, type MadeWithKey } from '../../store/merchant-model.js';
import { readWithPaymentKey } from './checkout-key.js';
import type { BackendSale } from '../../store/backend-sales.js';
import { UpstreamError } from '../../clients/types.js';
import type { NewXeroInvoice } from '../../clients/xero/types.js';
import type { XenditInvoice } from '../../clients/xendit/types.js';
import { toDecimal } from '../../money.js';
import { NeedsReview, RetryLater } from '../runner.js';
import { clearingProblem, paymentReference, recordPaymentInXero } from './payment-in-xero.js';
import type { RecordPaymentDeps } from './payment-deps.js';
import { organisationDate, refusedForNewLock } from './org-date.js';
import { InvoicePayload } from '../kinds.js';
import { enqueue } from '../enqueue.js';
import { isCheckoutExternalId } from '../../store/checkout-model.js';

/** Name of the Xero contact when Xendit knows neither a name nor an e-mail of the payer. */
export const FALLBACK_CONTACT_NAME = 'Xendit customer';

/** Xero's longest contact name (xero_accounting.yaml, Contact.Name maxLength 255); Xendit sets no limit on a customer's name. */
const XERO_CONTACT_NAME_MAX = 255;

/**
 * The name a contact is made and looked up by: trimmed (as Xero keeps it), then, when longer than
 * Xero takes, cut at a character boundary (never between the halves of a surrogate pair, which
 * would send an unpaired one) to at most 255 UTF-16 units: that fits whether Xero counts
 * characters or units. A longer name would be refused and the sale sent to review.
 */
export function xeroContactName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length <= XERO_CONTACT_NAME_MAX) return trimmed;
  let cut = '';
  for (const ch of trimmed) {
    if (cut.length + ch.length > XERO_CONTACT_NAME_MAX) break;
    cut += ch;
  }
  return cut.trimEnd();
}

/** Reference on the Xero sales invoice: how a re-run finds what an earlier attempt created. */
export function backendInvoiceReference(xenditInvoiceId: string): string {
  return `Xendit ${xenditInvoiceId}`;
}

/**
 * Backend flow: a Xendit invoice this gateway did not create (dashboard, payment link, the
 * merchant's own system) was paid. Xero gets the sale and its payment: contact (found by e-mail,
 * then name, else created), an AUTHORISED ACCREC invoice, the payment into the clearing account,
 * then the fee (the 'post-fee' job). Each Xero id is stored as soon as it exists and each step
 * looks its record up before creating it, so a re-run after a crash anywhere creates nothing twice.
 */
export function recordBackendPaymentJob(deps: RecordPaymentDeps) {
  return async (job: Job): Promise<void> => {
    const { merchantId, xenditInvoiceId, retry = 0 } = InvoicePayload.parse(job.payload);
    const merchant = await deps.stores.merchants.byId(merchantId);
    if (!merchant) throw new NeedsReview(`merchant ${merchantId} no longer exists`);

    // The callback body is only a hint: amounts and status come from Xendit itself, read with the
    // key in use, else the other stored key (the listing reads every key's account: a live sale
    // while test mode is in use, or the reverse). `key` says whether it is test or live money.
    const { found: x, key } = await readWithPaymentKey(deps, deps.xendit, merchant, null, (k) => deps.xendit.getInvoice(k, xenditInvoiceId));
    if (!x) throw new NeedsReview(`Xendit has no invoice ${xenditInvoiceId}`);
    // Ours: record-payment records it, on the checkout's Xero invoice (queued here too, in case what
    // routed this job found no checkout then; one job per invoice, as the callback's).
    if (await deps.stores.checkouts.forXenditInvoice(merchant.id, x.id, x.externalId))
      return void (await enqueue(deps.stores.jobs, 'record-payment', { merchantId, xenditInvoiceId: x.id }, deps.clock()));
    if (x.status === 'PENDING') throw new RetryLater(`Xendit invoice ${x.id} is not paid yet`);
    if (x.status === 'EXPIRED') throw new NeedsReview(`Xendit invoice ${x.id} is EXPIRED, not paid: nothing was recorded`);
    // Test money never reaches real books: a sale paid in test mode creates nothing in Xero.
    if (!mayRecordInXero({ ...merchant, xenditSecretKey: key }))
      return void deps.logger.info({ merchantId, xenditInvoiceId: x.id }, 'test-mode sale kept out of Xero');
    // Made by a pay click (a create Xendit processed late, its checkout gone): it pays a Xero invoice
    // that exists already, and a new sale would count the revenue twice and leave that one open.
    if (isCheckoutExternalId(x.externalId)) {
      throw new NeedsReview(
        `Xendit invoice ${x.id} has the external id ${x.externalId} of a checkout of this gateway, but no checkout holds it: ` +
          `not booked as a new sale; record the payment on the Xero invoice it was made for`,
      );
    }
    const paid = x.paidAmount ?? x.amount;
    if (paid !== x.amount) {
      throw new NeedsReview(
        `Xendit reports ${toDecimal(paid, x.currency)} ${x.currency} paid on an invoice of ${toDecimal(x.amount, x.currency)} ${x.currency}: nothing was recorded`,
      );
    }

    const reference = backendInvoiceReference(x.id);
    let payment = await deps.stores.payments.byXenditInvoice(merchant.id, x.id);
    if (!payment) {
      // Checked before the sale is made: an AUTHORISED invoice whose payment cannot follow stays open in Xero.
      const problem = await clearingProblem(deps, merchant, reference, x);
      if (problem) throw new NeedsReview(`${problem}: nothing was made in Xero`);
      // The external id is kept too: a dispute may name the sale by it alone (record-dispute.ts).
      const made = { xenditMode: modeOfXenditKey(key), xenditKeyHint: xenditKeyHint(key), externalId: x.externalId };
      const xeroInvoiceId = await saleInXero(deps, merchant, x, reference, made);
      payment = await deps.stores.payments.getOrCreate(
        {
          id: randomUUID(),
          merchantId: merchant.id,
          checkoutId: null,
          xenditInvoiceId: x.id,
          xeroInvoiceId,
          currency: x.currency,
          amount: x.amount,
          fee: x.feesPaidAmount ?? null,
          feeTax: x.feeTax ?? null,
          feeRaw: x.feesPaidRaw ?? null,
          paidAt: x.paidAt ? new Date(x.paidAt) : deps.clock(),
          reference: paymentReference(x.id),
          // What ties a refund or dispute naming no invoice to it: the read's, else the PAID callback's.
          xenditPaymentId: x.paymentId ?? (await deps.stores.callbacks.paidPaymentId(merchant.id, x.id)),
        },
        deps.clock(),
      );
    }
    // Its PAID callback stored since the read above (or since an earlier run made the payment): its id is taken now.
    if (!payment.xenditPaymentId) payment = { ...payment, xenditPaymentId: await deps.stores.payments.fillPaymentId(payment, deps.clock()) };
    if (payment.syncState === 'recorded') return;
    await recordPaymentInXero(deps, merchant, { xeroInvoiceId: payment.xeroInvoiceId, invoiceNumber: reference }, payment, retry);
  };
}

/** Contact and invoice in Xero, each looked up before it is created and stored once it exists. */
async function saleInXero(
  deps: RecordPaymentDeps,
  merchant: Merchant,
  x: XenditInvoice,
  reference: string,
  made: MadeWithKey & { externalId: string },
): Promise<string> {
  const sale = await deps.stores.backendSales.getOrCreate(merchant.id, x.id, deps.clock(), made);
  if (sale.xeroInvoiceId) return sale.xeroInvoiceId;
  try {
    if (!merchant.salesAccountCode) throw new NeedsReview('no sales account is configured for this merchant');
    const contactId = sale.xeroContactId ?? (await contactFor(deps, merchant, sale, x));
    const existing = (await deps.xero.findInvoicesByReference(merchant.xero, reference)).find((i) => i.type === 'ACCREC');
    const { invoiceId, invoiceNumber } =
      existing ??
      (await deps.xero.createInvoice(
        merchant.xero,
        invoiceFor(
          x,
          contactId,
          reference,
          { accountCode: merchant.salesAccountCode, taxType: merchant.salesTaxType },
          await organisationDate(deps, merchant, x.paidAt ? new Date(x.paidAt) : deps.clock(), x.currency),
        ),
        `xendit-invoice-${merchant.id}-${x.id}`,
      ));
    await deps.stores.backendSales.setInvoice(sale, invoiceId, deps.clock(), invoiceNumber);
    deps.logger.info({ xenditInvoiceId: x.id, xeroInvoiceId: invoiceId, found: Boolean(existing) }, 'backend sale in Xero');
    return invoiceId;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await deps.stores.backendSales.noteError(sale, message, deps.clock());
    if (await refusedForNewLock(deps, merchant, err)) throw new RetryLater('Xero refused a date in a locked period: tried again dated after the lock date', 1);
    if (err instanceof UpstreamError && err.kind === 'rejected') throw new NeedsReview(`Xero refused the sale for Xendit invoice ${x.id}: ${message}`);
    throw err;
  }
}

/**
 * Two sales for one new customer recorded side by side (a batch, or two workers) both find no
 * contact and both create one: Xero refuses the second because contact names are unique across
 * active contacts (its 400 "The contact name … is already assigned to another contact"). The one
 * made first is then found by name.
 */
async function createContactOrFind(deps: RecordPaymentDeps, merchant: Merchant, c: { name: string; email?: string }, key: string): Promise<string> {
  try {
    return (await deps.xero.createContact(merchant.xero, { name: c.name, ...(c.email ? { email: c.email } : {}) }, key)).contactId;
  } catch (err) {
    if (!(err instanceof UpstreamError && err.kind === 'rejected')) throw err;
    const made = (await deps.xero.findContacts(merchant.xero, { name: c.name }))[0];
    if (!made) throw err;
    return made.contactId;
  }
}

/**
 * By e-mail first, then by name (Xero keeps names unique), else a new contact. An e-mail Xero
 * refuses (xeroTakesEmail: over 255 characters, non-ASCII, not of an address's form) is neither searched by nor sent.
 */
async function contactFor(deps: RecordPaymentDeps, merchant: Merchant, sale: BackendSale, x: XenditInvoice): Promise<string> {
  const email = (x.payerEmail ?? x.customer?.email)?.trim() || undefined;
  // The same name for the lookup and the create, so a re-run finds the contact an earlier one made.
  const name = xeroContactName(x.customer?.name?.trim() || email || FALLBACK_CONTACT_NAME);
  const found = (email ? await deps.xero.findContacts(merchant.xero, { email }) : [])[0] ?? (await deps.xero.findContacts(merchant.xero, { name }))[0];
  const contactId = found?.contactId ?? (await createContactOrFind(deps, merchant, { name, email }, `xendit-contact-${merchant.id}-${x.id}`));
  await deps.stores.backendSales.setContact(sale, contactId, deps.clock(), { name, email });
  return contactId;
}

/**
 * Xendit's items when they add up to the invoice amount exactly, else one line with the
 * description: the Xero invoice total must be what the customer paid, to the cent. With the
 * merchant's sales tax the lines carry its TaxType and include the tax, so the total stays the same.
 * Xendit takes an item named '' and an invoice without a description, but Xero refuses a blank
 * line Description (xero_accounting.yaml LineItem.Description: "at least 1 char long"): such a
 * line says what the invoice does, or failing that names the Xendit invoice.
 */
function invoiceFor(
  x: XenditInvoice,
  contactId: string,
  reference: string,
  sales: { accountCode: string; taxType: string | null },
  date: string,
): NewXeroInvoice {
  const { accountCode, taxType } = sales;
  const itemsTotal = x.items?.reduce((sum, i) => sum + i.quantity * i.price, 0);
  const sale = x.description?.trim() || `Xendit invoice ${x.externalId}`;
  const lineItems =
    x.items && itemsTotal === x.amount
      ? x.items.map((i) => ({ description: i.name.trim() || sale, quantity: String(i.quantity), unitAmount: toDecimal(i.price, x.currency), accountCode }))
      : [{ description: sale, quantity: '1', unitAmount: toDecimal(x.amount, x.currency), accountCode }];
  return { contactId, date, dueDate: date, reference, currencyCode: x.currency, lineItems, ...(taxType ? { taxType } : {}) };
}
