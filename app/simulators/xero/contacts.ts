/**
 * Contacts: created by PUT/POST /Contacts or on first use by name, as Xero does, and their JSON.
 */
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { contactEmailRefused, contactNameTooLong } from './contact-fields.js';
import { validationError } from './errors.js';
import { asArray, envelope, org, remember, replayed } from './http.js';
import type { XeroSimulator } from './simulator.js';
import { type SimContact, type SimOrganisation } from './state.js';

export function createContactsRoute(sim: XeroSimulator, req: Request, res: Response, at: Date): void {
  const o = org(res);
  if (replayed(o, req, res, at)) return;
  const items = asArray(req.body, 'Contacts');
  if (!items.length) return validationError(res, ['No contacts were supplied']);
  const names = new Set<string>();
  for (const raw of items) {
    const name = typeof raw.Name === 'string' ? raw.Name.trim() : '';
    if (!name) return validationError(res, ['The contact name must be specified'], raw);
    const tooLong = contactNameTooLong(name);
    if (tooLong) return validationError(res, [tooLong], raw);
    const emailRefused = contactEmailRefused(raw.EmailAddress);
    if (emailRefused) return validationError(res, [emailRefused], raw);
    if (o.contacts.has(name.toLowerCase()) || names.has(name.toLowerCase())) {
      return validationError(
        res,
        [`The contact name ${name} is already assigned to another contact. The contact name must be unique across all active contacts.`],
        raw,
      );
    }
    names.add(name.toLowerCase());
  }
  const created = items.map((raw) =>
    contactFor(o, String(raw.Name).trim(), typeof raw.EmailAddress === 'string' && raw.EmailAddress.trim() ? raw.EmailAddress.trim() : undefined),
  );
  const body = envelope(at, { Contacts: created.map(contactJson) });
  remember(o, req, at, 200, body);
  if (sim.faults.dropIfArmed(req, res)) return;
  res.json(body);
}

/** The contact with this name, made on first use (as Xero does for a contact given by Name). */
export function contactFor(o: SimOrganisation, name: string, email?: string): SimContact {
  const key = name.toLowerCase();
  let c = o.contacts.get(key);
  if (!c) {
    c = { contactId: randomUUID(), name, ...(email ? { email } : {}) };
    o.contacts.set(key, c);
  }
  return c;
}

/**
 * GET /Contacts `searchTerm`: "a case-insensitive text search across the Name, FirstName, LastName,
 * ContactNumber and EmailAddress fields" (xero_accounting.yaml getContacts), taken here as a
 * substring match; the simulator's contacts have only a name and an e-mail.
 */
export function searchedContacts(contacts: SimContact[], searchTerm: unknown): SimContact[] {
  const term = typeof searchTerm === 'string' ? searchTerm.toLowerCase() : '';
  return term ? contacts.filter((c) => [c.name, c.email ?? ''].some((f) => f.toLowerCase().includes(term))) : contacts;
}

export function contactJson(c: SimContact) {
  return {
    ContactID: c.contactId,
    Name: c.name,
    ContactStatus: 'ACTIVE',
    ...(c.email ? { EmailAddress: c.email } : {}),
    Addresses: [],
    Phones: [],
    ContactGroups: [],
    ContactPersons: [],
    HasValidationErrors: false,
  };
}
