/** Contacts: who a backend payment's invoice is made out to. */
import { escapeWhere, type XeroCalls } from './call.js';
import { firstCreated, refusedIfInvalid } from './errors.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import { mapContact } from './mappers.js';
import type { XeroGateway } from './types.js';

export function contactCalls({ call }: XeroCalls): Pick<XeroGateway, 'findContacts' | 'createContact'> {
  return {
    async findContacts(creds, by) {
      const [field, value] = 'email' in by ? ['EmailAddress', by.email.trim()] : ['Name', by.name.trim()];
      if (!value) return [];
      const res = await call(creds, 'findContacts', (api) => api.getContacts(creds.tenantId, undefined, `${field}=="${escapeWhere(value)}"`));
      const wanted = value.toLowerCase();
      return (res.body.contacts ?? [])
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
