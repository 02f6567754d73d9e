/** Contacts: who a backend payment's invoice is made out to. */
import { allPages, searchTermFor, whereEquals, type XeroCalls } from './call.js';
import { firstCreated, refusedIfInvalid } from './errors.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import { mapContact } from './mappers.js';
import type { XeroGateway } from './types.js';

export function contactCalls({ call }: XeroCalls): Pick<XeroGateway, 'findContacts' | 'createContact'> {
  return {
    async findContacts(creds, by) {
      const [field, value] = 'email' in by ? ['EmailAddress', by.email.trim()] : ['Name', by.name.trim()];
      if (!value) return [];
      const where = whereEquals(field, value);
      // A name or e-mail no `where` can hold (a customer's name with a quote, as Xendit gives it):
      // Xero's text search for it, every page, and the exact match kept here.
      const rows = where
        ? ((await call(creds, 'findContacts', (api) => api.getContacts(creds.tenantId, undefined, where))).body.contacts ?? [])
        : await allPages(
            (page) =>
              call(creds, 'findContacts', (api) =>
                api.getContacts(creds.tenantId, undefined, undefined, undefined, undefined, page, undefined, undefined, searchTermFor(value)),
              ).then((r) => r.body.contacts ?? []),
            (c) => c.contactID,
          );
      const wanted = value.toLowerCase();
      return rows
        .filter((c) => String(c.contactStatus ?? 'ACTIVE') === 'ACTIVE')
        .filter((c) => ('email' in by ? c.emailAddress : c.name)?.trim().toLowerCase() === wanted)
        .map(mapContact);
    },

    async createContact(creds, contact, idempotencyKey) {
      const body = { contacts: [{ name: contact.name, ...(contact.email ? { emailAddress: contact.email } : {}) }] };
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
