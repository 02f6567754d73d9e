import { sql, type Selectable } from 'kysely';
import type { CheckoutsTable, CheckoutStatus } from './schema.js';
import { modeOfXenditKey, xenditKeyHint, type XenditMode } from './merchant-model.js';
import { int8 } from './int8.js';
import type { Currency } from '../money.js';

export interface Checkout {
  id: string;
  merchantId: string;
  xeroInvoiceId: string;
  invoiceNumber: string;
  currency: Currency;
  amount: number; // minor units
  externalId: string;
  xenditInvoiceId: string | null;
  invoiceUrl: string | null;
  status: CheckoutStatus;
  expiresAt: Date;
  /** The mode of the Xendit key that made it; null: made before this was stored (migration 20261206T1600) and not known. */
  xenditMode: XenditMode | null;
  /** That key's last 4 characters (`…abcd`), to name the Xendit account it is in once the key is replaced; null: not known. */
  xenditKeyHint: string | null;
  /** Closed while a create of it had no answer, or opened by a click that took it over from one: until then Xendit may still make that invoice late (lateCreateWindow); null: neither. */
  lateCreateUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type NewCheckout = Pick<Checkout, 'id' | 'merchantId' | 'xeroInvoiceId' | 'invoiceNumber' | 'currency' | 'amount' | 'externalId' | 'expiresAt'> & {
  /** The Xero invoice's contact, shown as the customer in the admin's payments list. */
  customer?: { name: string; email?: string };
} & Partial<Pick<Checkout, 'xenditMode' | 'xenditKeyHint'>>;

/** What a checkout made with this Xendit key stores of it (never the key). */
export function madeWithKey(secretKey: string): Pick<Checkout, 'xenditMode' | 'xenditKeyHint'> {
  return { xenditMode: modeOfXenditKey(secretKey), xenditKeyHint: xenditKeyHint(secretKey) };
}

export const LIVE: CheckoutStatus[] = ['creating', 'open'];
/** What a payment may still move to paid: a late PAID wins over an expiry we or Xendit made. */
export const PAYABLE: CheckoutStatus[] = ['creating', 'open', 'expired', 'superseded'];

/** The Xendit invoice behind a checkout. */
export interface MadeAtXendit {
  xenditInvoiceId: string;
  invoiceUrl: string;
}

/** Stores the invoice on a checkout that has none yet; never replaces one it has. */
export function madeAtXendit(made: MadeAtXendit | undefined) {
  if (!made) return {};
  return {
    xendit_invoice_id: sql<string>`coalesce(xendit_invoice_id, ${made.xenditInvoiceId})`,
    invoice_url: sql<string>`coalesce(invoice_url, ${made.invoiceUrl})`,
  };
}

/**
 * How long a click waits for a concurrent click creating the same checkout; a 'creating' row not
 * touched for this long has lost its creator (crash, timeout) and may be taken over or cleaned up.
 */
export const CREATION_WAIT_MS = 15_000;

/**
 * How late Xendit may process a create whose answer we never had, at most: the client gives up
 * after 10 s and Xendit makes an invoice from a request it took within moments, so an hour is room
 * for a queue at Xendit and for clock skew. The migration 20261206T2049 counted with the same hour.
 */
export const LATE_CREATE_MARGIN_MS = 3600_000;

/**
 * Until when a checkout closed (or opened by a take-over) now, whose create may have had no answer, can still get a payable
 * invoice from Xendit: one made up to LATE_CREATE_MARGIN_MS late stays payable for the
 * invoice_duration sent: the checkout's own length (expires_at − created_at), which its claim's
 * create sent (pay/create-at-xendit.ts checkoutSeconds; a take-over's create sends the merchant's
 * length of then, the same unless it was changed meanwhile). Reconcile asks about it until then.
 */
export function lateCreateWindow(now: Date) {
  return sql<Date>`${now}::timestamptz + (expires_at - created_at) + make_interval(secs => ${LATE_CREATE_MARGIN_MS / 1000})`;
}

export function toCheckout(r: Selectable<CheckoutsTable>): Checkout {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    xeroInvoiceId: r.xero_invoice_id,
    invoiceNumber: r.invoice_number,
    currency: r.currency as Currency,
    amount: int8(r.amount),
    externalId: r.external_id,
    xenditInvoiceId: r.xendit_invoice_id,
    invoiceUrl: r.invoice_url,
    status: r.status,
    expiresAt: r.expires_at,
    xenditMode: r.xendit_mode ?? null,
    xenditKeyHint: r.xendit_key_hint ?? null,
    lateCreateUntil: r.late_create_until ?? null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** A checkouts row as json_build_object/row_to_json gives it (timestamps as text). */
export type CheckoutJson = Omit<Selectable<CheckoutsTable>, 'expires_at' | 'created_at' | 'updated_at' | 'late_create_until'> &
  Record<'expires_at' | 'created_at' | 'updated_at', string> & { late_create_until?: string | null };

export function checkoutFromJson(r: CheckoutJson): Checkout {
  return toCheckout({
    ...r,
    expires_at: new Date(r.expires_at),
    created_at: new Date(r.created_at),
    updated_at: new Date(r.updated_at),
    late_create_until: r.late_create_until ? new Date(r.late_create_until) : null,
  });
}

/** The external id a checkout's Xendit invoice is made with: the invoice number (as Xendit takes it) and the checkout's id. */
export function externalIdFor(invoiceNumber: string, checkoutId: string): string {
  const safe = invoiceNumber.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
  return `xero-${safe}-${checkoutId}`;
}

const CHECKOUT_EXTERNAL_ID = /^xero-[A-Za-z0-9_-]{0,64}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Whether Xendit's invoice carries an external id of externalIdFor's shape: made by this gateway's
 * pay click (a create Xendit processed late, its row gone), not a sale made outside Xero.
 */
export function isCheckoutExternalId(externalId: string): boolean {
  return CHECKOUT_EXTERNAL_ID.test(externalId);
}
