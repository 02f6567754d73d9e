/**
 * A merchant's core, shared by the CLI (merchants add) and the /admin forms: a merchant from a
 * verified Xero Custom Connection, the merchant an admin user may see, and how Xero's trouble
 * becomes a page. The setup steps (Xendit keys, accounts, go-live, settings) build on it beside it.
 * Every credential is checked with a real call before anything is stored.
 */
import type { User } from '../../store/users.js';
import { ShortCodeTakenError, type Merchant, type NewMerchant } from '../../store/merchants.js';
import { UpstreamError } from '../../clients/types.js';
import type { XeroCredentials, XeroOrganisation } from '../../clients/xero/types.js';
import { FormInvalid, NotFound, OwnersOnly, ServiceUnavailable } from '../../errors.js';
import type { MerchantOnboardingDeps } from '../deps.js';
import { message } from '../../i18n/index.js';
import { isUuid } from '../../security/uuid.js';

export type { MerchantOnboardingDeps } from '../deps.js';

/** Retryable upstream trouble is a 503 page; anything else is the caller's to map. */
export function unavailable(err: unknown): never {
  if (err instanceof UpstreamError && err.retryable) throw new ServiceUnavailable(err.message, err.retryAfterSeconds ?? 30);
  throw err;
}

/** The organisation behind a Custom Connection; wrong credentials → FormInvalid on clientSecret. */
export async function verifyXero(deps: Pick<MerchantOnboardingDeps, 'xero'>, creds: XeroCredentials): Promise<XeroOrganisation> {
  try {
    return await deps.xero.getOrganisation(creds);
  } catch (err) {
    if (err instanceof UpstreamError && (err.kind === 'unauthorized' || err.kind === 'rejected')) {
      throw new FormInvalid({
        clientSecret: 'errors:xeroCredentialsRefused',
      });
    }
    return unavailable(err);
  }
}

/**
 * Stores a merchant. Without a name or ShortCode both are read from the Xero organisation (which
 * also proves the credentials work). Throws ShortCodeTakenError when the organisation is already here.
 */
export async function addMerchant(
  deps: Pick<MerchantOnboardingDeps, 'stores' | 'xero' | 'logger'>,
  input: Omit<NewMerchant, 'name' | 'shortCode'> & { name?: string; shortCode?: string },
): Promise<Merchant> {
  let { name, shortCode, xeroTestOrganisation } = input;
  if (!name || !shortCode) {
    const org = await verifyXero(deps, input.xero);
    name ||= org.name || org.shortCode;
    shortCode ||= org.shortCode;
    xeroTestOrganisation ??= org.isDemoCompany;
  }
  const merchant = await deps.stores.merchants.add({ ...input, name, shortCode, ...(xeroTestOrganisation === undefined ? {} : { xeroTestOrganisation }) });
  deps.logger.info({ merchantId: merchant.id, shortCode, status: merchant.status }, 'merchant added');
  return merchant;
}

/** A merchant the actor may see: operators any, merchant users only their own (else 404). */
export async function merchantFor(deps: Pick<MerchantOnboardingDeps, 'stores'>, actor: User, merchantId: string): Promise<Merchant> {
  if (!isUuid(merchantId) || (actor.role === 'merchant' && actor.merchantId !== merchantId)) throw new NotFound('merchant not found for this user');
  const merchant = await deps.stores.merchants.byId(merchantId);
  if (!merchant) throw new NotFound('merchant not found');
  return merchant;
}

/**
 * A merchant the actor may change (keys, accounts, Xero connection, settings): operators, and the
 * merchant's owners; its staff users only read (403 page).
 */
export async function merchantToChange(deps: Pick<MerchantOnboardingDeps, 'stores'>, actor: User, merchantId: string): Promise<Merchant> {
  const merchant = await merchantFor(deps, actor, merchantId);
  if (!changesMerchants(actor)) throw new OwnersOnly('staff users only read');
  return merchant;
}

/** Whom merchantToChange lets change their merchants, for pages to offer their forms to them only. */
export function changesMerchants(actor: User): boolean {
  return actor.role !== 'merchant' || actor.merchantRole === 'owner';
}

/** Step 1 (operators): a new merchant from a verified Xero Custom Connection. */
export async function connectXero(deps: MerchantOnboardingDeps, actor: User, input: { clientId: string; clientSecret: string }): Promise<Merchant> {
  if (actor.role !== 'operator') throw new NotFound('only operators connect new merchants');
  const xero = { clientId: input.clientId, clientSecret: input.clientSecret, tenantId: '' };
  const org = await verifyXero(deps, xero);
  try {
    return await addMerchant(deps, { name: org.name || org.shortCode, shortCode: org.shortCode, xero });
  } catch (err) {
    if (err instanceof ShortCodeTakenError)
      throw new FormInvalid({ clientId: message('errors:orgAlreadyConnected', { name: org.name, shortCode: org.shortCode }) });
    throw err;
  }
}

/** Shows a secret as its last four characters only. */
export function masked(secret: string): string {
  return secret ? `…${secret.slice(-4)}` : '';
}

/** A Xero read for an admin page: trouble at Xero (or a refused connection) is the 503 page. */
export async function xeroCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UpstreamError && err.kind === 'unauthorized') throw new ServiceUnavailable(`Xero refused the stored connection: ${err.message}`, 60);
    return unavailable(err);
  }
}
