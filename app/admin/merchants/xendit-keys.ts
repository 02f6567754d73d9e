/**
 * Xendit test and live keys side by side: each key is checked with Xendit before it is stored
 * (sealed), and one mode is active: its key is what /pay, callbacks and jobs use.
 */
import type { User } from '../../store/users.js';
import type { Merchant, RetireXenditKey, XenditMode } from '../../store/merchants.js';
import { modeOfXenditKey } from '../../store/merchant-model.js';
import { UpstreamError } from '../../clients/types.js';
import type { XenditPermission } from '../../clients/xendit/types.js';
import { FormInvalid } from '../../errors.js';
import { merchantToChange, unavailable, type MerchantOnboardingDeps } from './service.js';
import type { AdminDeps } from '../deps.js';
import { alertChange, auditEntry, fingerprint, recordChange } from '../audit.js';
import { message, type Message } from '../../i18n/index.js';
import { jobRow } from '../../jobs/enqueue.js';
import { XenditAccountTaken, type KeyBusinesses } from '../../store/xendit-businesses.js';

/** The key lacks these permissions: one message naming each (in Xendit's dashboard's words), and where to grant them. */
export function missingPermissionsText(missing: XenditPermission[]): Message {
  return message('errors:xenditKeyPermissions', { permissions: missing.map((p) => message(`errors:permission_${p}`)) });
}

/** Wrong key, or one without every permission the gateway uses → FormInvalid on secretKey; nothing is saved. */
export async function verifyXenditKey(deps: Pick<MerchantOnboardingDeps, 'xendit'>, secretKey: string): Promise<void> {
  let missing: XenditPermission[];
  try {
    missing = await deps.xendit.checkSecretKey(secretKey);
  } catch (err) {
    if (err instanceof UpstreamError && (err.kind === 'unauthorized' || err.kind === 'rejected')) {
      throw new FormInvalid({ secretKey: 'errors:xenditKeyRefused' });
    }
    return unavailable(err);
  }
  if (missing.length) throw new FormInvalid({ secretKey: missingPermissionsText(missing) });
}

/**
 * A merchant added with a key (the CLI): refused as the form refuses it when another merchant's key
 * holds the key's account (takenFields). Its business is recorded at its first listing, which
 * also catches one added at the same moment (key-business.ts).
 */
export async function verifyXenditAccountFree(deps: Pick<MerchantOnboardingDeps, 'xendit' | 'stores'>, secretKey: string): Promise<void> {
  const business = await deps.xendit.businessOf(secretKey).catch(unavailable);
  const held = business && (await deps.stores.xenditBusinesses.holder(business, modeOfXenditKey(secretKey)));
  const stored = (await deps.stores.merchants.list()).some((o) => o.xenditKeys.test === secretKey || o.xenditKeys.live === secretKey);
  if (held || stored) throw new FormInvalid({ secretKey: 'errors:xenditAccountTaken' });
}

export interface XenditKeysInput {
  testKey?: string;
  liveKey?: string;
  callbackToken?: string;
  /** The user saw the warning that a new key belongs to another Xendit business and confirmed. */
  otherBusinessConfirmed?: boolean;
}

/** The form's key fields and their modes. */
const KEY_FIELDS = [
  ['testKey', 'test'],
  ['liveKey', 'live'],
] as const;

/** Each new key's Xendit business (null: its account has no invoice or transaction to tell yet). */
async function businessesOf(deps: Pick<MerchantOnboardingDeps, 'xendit'>, input: XenditKeysInput): Promise<KeyBusinesses> {
  const found: KeyBusinesses = {};
  for (const [field, mode] of KEY_FIELDS) {
    const key = input[field];
    if (key) found[mode] = await deps.xendit.businessOf(key).catch(unavailable);
  }
  return found;
}

/**
 * A Xendit account (a business, in one mode) another merchant's stored key holds cannot be saved:
 * both merchants would book each of its withdrawals, and one's backend flow would take the other's
 * checkouts for sales of its own. The gateway sends no xenPlatform for-user-id, so a key acts on its
 * own business's account only: no setup shares one legitimately. Read here for the form; the
 * store's unique index decides (XenditAccountTaken), so two saves at once cannot both pass.
 */
async function takenFields(
  deps: MerchantOnboardingDeps,
  merchant: Merchant,
  input: XenditKeysInput,
  businesses: KeyBusinesses,
): Promise<('testKey' | 'liveKey')[]> {
  const taken: ('testKey' | 'liveKey')[] = [];
  // The very key another merchant stores: caught even while its business is not known (an account
  // with no invoice yet, or a key stored before businesses were recorded).
  const others = (await deps.stores.merchants.list()).filter((o) => o.id !== merchant.id);
  for (const [field, mode] of KEY_FIELDS) {
    const business = businesses[mode];
    const key = input[field];
    const holder = business ? await deps.stores.xenditBusinesses.holder(business, mode) : null;
    const sameKey = key ? others.find((o) => o.xenditKeys.test === key || o.xenditKeys.live === key)?.id : undefined;
    if ((holder && holder !== merchant.id) || sameKey) {
      deps.logger.warn({ merchantId: merchant.id, mode, heldBy: holder ?? sameKey }, "Xendit key refused: its account is another merchant's");
      taken.push(field);
    }
  }
  return taken;
}

/**
 * Keys that replace a stored key of the same mode but belong to another Xendit business (its
 * invoices' user_id differs): money would go to someone else's Xendit account. Unknown (an account
 * with no invoice or transaction yet) is no warning. `sameAccount`: modes whose new key is known to
 * be the same business's (a rotation): its checkouts are as reachable with the new key. A stored key
 * Xendit now refuses (revoked in its dashboard, often just before a new one is made) tells no
 * business: unknown too, so the save goes through and its checkouts are retired as for another
 * business (the retire job tells the merchant of any it cannot expire with that key).
 */
async function otherBusiness(
  deps: Pick<MerchantOnboardingDeps, 'xendit'>,
  merchant: Merchant,
  input: XenditKeysInput,
  businesses: KeyBusinesses,
): Promise<{ foreign: ('testKey' | 'liveKey')[]; sameAccount: XenditMode[] }> {
  const foreign: ('testKey' | 'liveKey')[] = [];
  const sameAccount: XenditMode[] = [];
  for (const [field, mode] of KEY_FIELDS) {
    const next = input[field];
    const stored = merchant.xenditKeys[mode];
    if (!next || !stored || next === stored) continue;
    const before = await deps.xendit.businessOf(stored).catch(refusedKeyIsUnknown).catch(unavailable);
    const after = businesses[mode];
    if (before && after && before !== after) foreign.push(field);
    if (before && after && before === after) sameAccount.push(mode);
  }
  return { foreign, sameAccount };
}

/** The old key refused (401; a 403 is already "unknown" in businessOf): no business to compare. */
function refusedKeyIsUnknown(err: unknown): null {
  if (err instanceof UpstreamError && err.kind === 'unauthorized') return null;
  throw err;
}

/** Checks every key given with Xendit (errors by field), then stores what was given. */
export async function saveXenditKeys(
  deps: MerchantOnboardingDeps & Pick<AdminDeps, 'callbackTokens'>,
  actor: User,
  merchantId: string,
  input: XenditKeysInput,
): Promise<Merchant> {
  const merchant = await merchantToChange(deps, actor, merchantId);
  const errors: Record<string, Message | string> = {};
  if (!input.testKey && !input.liveKey && !merchant.xenditKeys.test && !merchant.xenditKeys.live) errors.testKey = 'errors:xenditKeyMissing';
  if (!input.callbackToken && !merchant.callbackToken) errors.callbackToken = 'errors:callbackTokenMissing';
  for (const [field, key] of [
    ['testKey', input.testKey],
    ['liveKey', input.liveKey],
  ] as const) {
    if (!key || errors[field]) continue;
    try {
      await verifyXenditKey(deps, key);
    } catch (err) {
      if (!(err instanceof FormInvalid)) throw err;
      errors[field] = err.fields.secretKey ?? Object.values(err.fields)[0];
    }
  }
  if (Object.keys(errors).length) throw new FormInvalid(errors);
  const businesses = await businessesOf(deps, input);
  const taken = await takenFields(deps, merchant, input, businesses);
  if (taken.length) throw new FormInvalid(Object.fromEntries(taken.map((f) => [f, 'errors:xenditAccountTaken'])));
  const { foreign, sameAccount } = await otherBusiness(deps, merchant, input, businesses);
  if (foreign.length && !input.otherBusinessConfirmed) throw new FormInvalid(Object.fromEntries(foreign.map((f) => [f, 'errors:xenditOtherBusiness'])));
  const now = deps.clock();
  const changed = (value: string | undefined) => (value ? fingerprint(value) : null);
  const entry = auditEntry(actor, merchant.id, 'xendit_keys_changed', {
    testKey: changed(input.testKey),
    liveKey: changed(input.liveKey),
    callbackToken: changed(input.callbackToken),
    ...(foreign.length ? { otherBusiness: true } : {}),
  });
  try {
    await deps.stores.merchants.setXenditKeys(
      merchant.id,
      { test: input.testKey, live: input.liveKey, callbackToken: input.callbackToken, businesses },
      now,
      entry,
      // A key rotated within the same Xendit business reaches the same invoices: nothing to retire,
      // and its checkouts are the new key's to ask about.
      sameAccount.includes(merchant.mode) ? undefined : retireJob(merchant.id, now),
      sameAccount.map((mode) => ({ mode, key: merchant.xenditKeys[mode] })),
    );
  } catch (err) {
    // Another merchant saved a key of the same account a moment ago: nothing was written.
    if (err instanceof XenditAccountTaken) throw new FormInvalid({ [err.mode === 'live' ? 'liveKey' : 'testKey']: 'errors:xenditAccountTaken' });
    throw err;
  }
  // This process may have just refused the new token (Xendit sends it as soon as it is regenerated there).
  if (input.callbackToken) deps.callbackTokens.forget(merchant.id);
  await deps.stores.merchants.activateIfComplete(merchant.id, now);
  const saved = (await deps.stores.merchants.byId(merchant.id))!;
  await alertChange(deps, actor, merchant.id, 'xendit_keys_changed');
  deps.logger.info(
    { merchantId, stored: { test: Boolean(input.testKey), live: Boolean(input.liveKey), token: Boolean(input.callbackToken) }, mode: saved.mode, by: actor.id },
    'xendit keys saved',
  );
  return saved;
}

/**
 * The key in use is about to give way: its live checkouts are in its Xendit account, which the new
 * key cannot read or expire, so the store supersedes them and queues this job to expire them there
 * (jobs/sync/retire-xendit-key.ts), in the same transaction as the change.
 */
function retireJob(merchantId: string, now: Date): RetireXenditKey {
  return (old) => jobRow('retire-xendit-key', { merchantId, ...old }, now);
}

/** Makes the stored key of this mode the one in use. */
export async function switchXenditMode(deps: MerchantOnboardingDeps, actor: User, merchantId: string, mode: XenditMode): Promise<Merchant> {
  const merchant = await merchantToChange(deps, actor, merchantId);
  const refused = { mode: mode === 'live' ? 'errors:modeNoLiveKey' : 'errors:modeNoTestKey' };
  if (!merchant.xenditKeys[mode]) throw new FormInvalid(refused);
  const now = deps.clock();
  if (!(await deps.stores.merchants.switchXenditMode(merchant.id, mode, now, retireJob(merchant.id, now)))) throw new FormInvalid(refused);
  await deps.stores.merchants.activateIfComplete(merchant.id, now);
  await recordChange(deps, actor, merchant.id, 'xendit_mode_switched', { mode });
  deps.logger.info({ merchantId, mode, by: actor.id }, 'xendit mode switched');
  return (await deps.stores.merchants.byId(merchant.id))!;
}
