/**
 * What Xero checks of a contact's own fields, wherever the contact is given: PUT /Contacts, or the
 * Contact of an invoice, credit note or bank transaction (errors.ts files these refusals under that
 * Contact, as Xero does). Imports nothing of the simulator, so errors.ts can use it.
 */

/** xero_accounting.yaml, Contact.Name: "Full name of contact/organisation (max length = 255)", maxLength 255. */
export const CONTACT_NAME_MAX = 255;

/**
 * Why Xero refuses the name, if it is too long. Xero has been seen holding longer names
 * (XeroAPI/xero-python#70): refusing is the stricter reading of its spec. Counted in UTF-16 units,
 * which is never fewer than characters, so an emoji counts twice (stricter again). The wording is
 * the simulator's: Xero's own message for it is not documented.
 */
export function contactNameTooLong(name: string): string | undefined {
  return name.length > CONTACT_NAME_MAX ? `The contact name must not be longer than ${CONTACT_NAME_MAX} characters` : undefined;
}

/** xero_accounting.yaml, Contact.EmailAddress: "Email address of contact person (umlauts not supported) (max length = 255)", maxLength 255. */
export const CONTACT_EMAIL_MAX = 255;

/**
 * An address's form: one "@" between a non-empty local part and a domain of two or more non-empty
 * labels joined by dots, no whitespace. Xero refuses an e-mail it finds invalid ("a contact will
 * always require a valid email if provided", Xero's rjaus in waynerobinson/xeroizer#477) without
 * documenting its rule; this is the simulator's conservative reading of it: budi@localhost,
 * budi@toko..id and "budi @toko.id" are refused.
 */
const ADDRESS_FORM = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/**
 * Why Xero refuses a contact's EmailAddress, if it does: longer than 255, holding a character
 * outside ASCII ("umlauts not supported", read strictly: any non-ASCII character, as in jürgen@…),
 * or not of an address's form. An empty one is no e-mail. The wording is the simulator's: Xero's
 * own messages are not documented.
 */
export function contactEmailRefused(email: unknown): string | undefined {
  if (typeof email !== 'string' || !email.trim()) return undefined;
  const address = email.trim();
  if (address.length > CONTACT_EMAIL_MAX) return `The email address must not be longer than ${CONTACT_EMAIL_MAX} characters`;
  if (/[\u0080-\uffff]/.test(address)) return 'The email address must not contain umlauts or other non-ASCII characters';
  if (!ADDRESS_FORM.test(address)) return 'Email address must be valid.';
  return undefined;
}

/** The refusals of a Contact sub-object's own fields, those it was given (its Name, its EmailAddress). */
export function contactFieldRefusals(contact: unknown): string[] {
  if (!contact || typeof contact !== 'object' || Array.isArray(contact)) return [];
  const c = contact as Record<string, unknown>;
  const name = typeof c.Name === 'string' ? contactNameTooLong(c.Name.trim()) : undefined;
  return [name, contactEmailRefused(c.EmailAddress)].filter((m): m is string => m !== undefined);
}
