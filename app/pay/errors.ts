/**
 * What a customer opening a payment link can be told: the link, the invoice behind it, or its checkout.
 * The error handler maps each to a status and a page, as for every DomainError.
 */
import { DomainError } from '../errors.js';

/**
 * The link names no invoice we can open: an unknown ShortCode or invoice number, or a link whose
 * currency and amount (filled by Xero when the customer opened the invoice; the URL is unsigned) do
 * not match the invoice now. One answer for all (status, page, no invoice number), whatever the
 * invoice's state: walking numbers or ShortCodes with made-up hints learns nothing (not even that a
 * number exists) and creates nothing, while a customer with an out-of-date link is told what to do.
 */
export class PaymentLinkNotFound extends DomainError {
  override readonly status = 404;
  override readonly messageKey = 'linkNoMatch';
  override readonly publicReason = 'payment link does not match an invoice';
}

/** A PaymentLinkNotFound answered alike; apart only for the metrics (out-of-date links vs unknown numbers). */
export class PaymentLinkOutdated extends PaymentLinkNotFound {}

/**
 * A refusal about one invoice: its page names the invoice ({invoice}). `detail` is for the log only.
 */
export abstract class InvoiceError extends DomainError {
  constructor(
    readonly invoiceNumber: string,
    detail: string,
  ) {
    super(detail);
  }
  override get params(): Record<string, string> {
    return { invoice: this.invoiceNumber };
  }
}

export class InvoiceAlreadyPaid extends InvoiceError {
  override readonly status = 200;
  override readonly messageKey = 'alreadyPaid';
  override readonly publicReason = 'invoice already paid';
  /** processing: Xendit has the money and we are still recording it in Xero. */
  constructor(
    invoiceNumber: string,
    readonly processing = false,
  ) {
    super(invoiceNumber, `invoice ${invoiceNumber} is already paid${processing ? ' (being recorded)' : ''}`);
  }
}

export class InvoiceNotPayable extends InvoiceError {
  override readonly status = 409;
  override readonly messageKey = 'notPayable';
  override readonly publicReason = 'invoice cannot be paid';
  constructor(
    invoiceNumber: string,
    readonly xeroStatus: string,
  ) {
    super(invoiceNumber, `invoice ${invoiceNumber} is ${xeroStatus}`);
  }
}

export class UnsupportedCurrency extends DomainError {
  override readonly status = 422;
  override readonly messageKey = 'unsupportedCurrency';
  override readonly publicReason = 'currency or amount cannot be charged through Xendit';
  constructor(
    readonly currency: string,
    detail: string,
  ) {
    super(detail);
  }
  override get params() {
    return { currency: this.currency };
  }
}

/**
 * The amount due has fractions of a unit its currency is charged in whole units of (sen on a rupiah
 * invoice: 11% PPN on an odd price, as Xero keeps 2 decimals). Xendit would drop them (its Create
 * Invoice truncates IDR decimals) and the gateway never rounds money, so only the merchant can make
 * the invoice payable: by rounding it in Xero.
 */
export class AmountNotWhole extends DomainError {
  override readonly status = 422;
  override readonly messageKey = 'amountNotWhole';
  override readonly publicReason = 'the amount due has decimals its currency is not charged in';
  constructor(
    readonly invoiceNumber: string,
    /** As Xero states it, e.g. "10091.01". */
    readonly amount: string,
    readonly currency: string,
  ) {
    super(`invoice ${invoiceNumber}: ${amount} ${currency} is not a whole amount of ${currency}`);
  }
  override get params() {
    return { invoice: this.invoiceNumber, amount: this.amount, currency: this.currency };
  }
}

/**
 * Xendit refused to make the checkout for a reason of the merchant's setup (a payment channel or
 * currency not activated on their Xendit account, an amount no channel takes). 502: the customer's
 * request is sound and the gateway's upstream refused it, so it is no 4xx; not 503, since trying
 * again soon does not help (no Retry-After) until the merchant, who has been alerted, fixes it.
 */
export class CheckoutRefused extends InvoiceError {
  override readonly status = 502;
  override readonly messageKey = 'cannotPayOnline';
  override readonly publicReason = 'the payment service refused this invoice; contact the business';
}

/**
 * The invoice's currency has no clearing account: Xero records a payment only into an account of the
 * invoice's currency, so what the customer paid could not be recorded. Refused before anything is
 * made at Xendit, with the same page as a checkout Xendit refused (the business's payment settings;
 * they have been told); 422, as the invoice cannot be paid here until the merchant adds one.
 */
export class NoClearingAccount extends InvoiceError {
  override readonly status = 422;
  override readonly messageKey = 'cannotPayOnline';
  override readonly publicReason = 'this invoice cannot be paid online; contact the business';
}
