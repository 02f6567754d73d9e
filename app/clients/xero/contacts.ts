/** Contacts: who a backend payment's invoice is made out to. */
import { allPages, pageOf, searchTermFor, whereEquals, type XeroCalls } from './call.js';
import { firstCreated, refusedIfInvalid } from './errors.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import { mapContact } from './mappers.js';
import type { XeroGateway } from './types.js';

/** xero_accounting.yaml, Contact.EmailAddress: "Email address of contact person (umlauts not supported) (max length = 255)", maxLength 255. */
const XERO_EMAIL_MAX = 255;

/**
 * An address's form: one "@" between a non-empty local part and a domain of two or more non-empty
 * labels joined by dots, no whitespace. Xero refuses a contact's e-mail it finds invalid ("a contact
 * will always require a valid email if provided", waynerobinson/xeroizer#477) and does not document
 * its rule: anything short of this form is taken as refused, as leaving an e-mail off the contact
 * costs less than a sale sent to review for it.
 */
const ADDRESS_FORM = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/**
 * Whether Xero takes this as a contact's e-mail. Xendit takes a payer's e-mail Xero refuses (any
 * length, non-ASCII letters, and what its own format check lets through): such an e-mail is neither
 * sent nor searched by, so the sale is booked to a contact found or made by name instead of being
 * refused and sent to review.
 */
export function xeroTakesEmail(email: string): boolean {
  return email.length <= XERO_EMAIL_MAX && !/[\u0080-\uffff]/.test(email) && ADDRESS_FORM.test(email);
}

export function contactCalls({ call }: XeroCalls): Pick<XeroGateway, 'findContacts' | 'createContact'> {
  return {
    async findContacts(creds, by) {
      const [field, value] = 'email' in by ? ['EmailAddress', by.email.trim()] : ['Name', by.name.trim()];
      // No contact of Xero's holds an e-mail it refuses.
      if (!value || ('email' in by && !xeroTakesEmail(value))) return [];
      const where = whereEquals(field, value);
      // A name or e-mail no `where` can hold (a customer's name with a quote, as Xendit gives it):
      // Xero's text search for it, every page, and the exact match kept here.
      const rows = where
        ? ((await call(creds, 'findContacts', (api) => api.getContacts(creds.tenantId, undefined, where))).body.contacts ?? [])
        : await allPages(
            (page) =>
              call(creds, 'findContacts', (api) =>
                api.getContacts(creds.tenantId, undefined, undefined, undefined, undefined, page, undefined, undefined, searchTermFor(value)),
              ).then((r) => pageOf(r.body.contacts, r.body.pagination)),
            (c) => c.contactID,
          );
      const wanted = value.toLowerCase();
      return rows
        .filter((c) => String(c.contactStatus ?? 'ACTIVE') === 'ACTIVE')
        .filter((c) => ('email' in by ? c.emailAddress : c.name)?.trim().toLowerCase() === wanted)
        .map(mapContact);
    },

    async createContact(creds, contact, idempotencyKey) {
      const body = { contacts: [{ name: contact.name, ...(contact.email && xeroTakesEmail(contact.email) ? { emailAddress: contact.email } : {}) }] };
      const res = await call(
        creds,
        'createContact',
        (api) => api.createContacts(creds.tenantId, body, undefined, idempotencyKeyFor(idempotencyKey, 'createContact', body)),
        { purpose: 'payment-write', write: true },
      );
      return mapContact(refusedIfInvalid(firstCreated(res.body.contacts, 'createContacts answered without a contact')));
    },
  };
}
