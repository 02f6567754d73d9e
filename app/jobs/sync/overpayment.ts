import { clearingAccountFor, type Merchant } from '../../store/merchants.js';
import type { Payment } from '../../store/payments.js';
import { toDecimal } from '../../money.js';
import type { PaymentTarget, RecordPaymentDeps } from './payment-deps.js';
import { organisationDate } from './org-date.js';

/** Reference on the Xero overpayment: how a retry finds what an earlier attempt created. */
export function overpaymentReference(xenditInvoiceId: string): string {
  return `Xendit overpayment ${xenditInvoiceId}`;
}

/** The overpayment cannot be made without a person (the message says why). */
export class OverpaymentUnrecordable extends Error {}

/**
 * Money Xendit collected beyond the invoice's AmountDue, as a RECEIVE-OVERPAYMENT bank transaction
 * into the clearing account for the invoice's contact: the customer's credit in Xero, to refund or
 * allocate later. Found by Reference before it is created, so a re-run makes one.
 */
export async function recordOverpayment(deps: RecordPaymentDeps, merchant: Merchant, target: PaymentTarget, payment: Payment, amount: number): Promise<string> {
  const reference = overpaymentReference(payment.xenditInvoiceId);
  const clearing = clearingAccountFor(merchant, payment.currency);
  const existing = (await deps.xero.findBankTransactionsByReference(merchant.xero, reference)).find(
    (t) => t.bankAccountId === clearing && t.type === 'RECEIVE-OVERPAYMENT',
  );
  if (existing) return existing.bankTransactionId;
  const invoice = await deps.xero.getInvoice(merchant.xero, target.xeroInvoiceId);
  if (!invoice?.contactId)
    throw new OverpaymentUnrecordable(`the contact of Xero invoice ${target.invoiceNumber} could not be read, so no overpayment was made`);
  const created = await deps.xero.createBankTransaction(
    merchant.xero,
    {
      type: 'RECEIVE-OVERPAYMENT',
      bankAccountId: clearing,
      contactId: invoice.contactId,
      date: await organisationDate(deps, merchant, payment.paidAt, payment.currency),
      reference,
      currencyCode: payment.currency,
      // Bank transactions live on BANK accounts only, and nothing will ever match this one from a feed.
      reconciled: true,
      lineItems: [
        {
          description: `Paid at Xendit beyond ${target.invoiceNumber} (Xendit invoice ${payment.xenditInvoiceId})`,
          amount: toDecimal(amount, payment.currency),
        },
      ],
    },
    `xendit-overpayment-${payment.id}`,
  );
  return created.bankTransactionId;
}
