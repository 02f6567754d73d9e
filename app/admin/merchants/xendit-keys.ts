/**
 * Xendit test and live keys side by side: each key is checked with Xendit before it is stored
 * (sealed), and one mode is active: its key is what /pay, callbacks and jobs use.
 */
import type { User } from '../../store/users.js';
import type { Merchant, RetireXenditKey, XenditMode } from '../../store/merchants.js';
import { UpstreamError } from '../../clients/types.js';
import type { XenditPermission } from '../../clients/xendit/types.js';
import { FormInvalid } from '../../errors.js';
import { merchantToChange, unavailable, type MerchantOnboardingDeps } from './service.js';
import { alertChange, auditEntry, fingerprint, recordChange } from '../audit.js';
import { message, type Message } from '../../i18n/index.js';
import { jobRow } from '../../jobs/enqueue.js';

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

export interface XenditKeysInput {
  testKey?: string;
  liveKey?: string;
  callbackToken?: string;
  /** The user saw the warning that a new key belongs to another Xendit business and confirmed. */
  otherBusinessConfirmed?: boolean;
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
): Promise<{ foreign: ('testKey' | 'liveKey')[]; sameAccount: XenditMode[] }> {
  const foreign: ('testKey' | 'liveKey')[] = [];
  const sameAccount: XenditMode[] = [];
  for (const [field, mode] of [
    ['testKey', 'test'],
    ['liveKey', 'live'],
  ] as const) {
    const next = input[field];
    const stored = merchant.xenditKeys[mode];
    if (!next || !stored || next === stored) continue;
    const [before, after] = await Promise.all([deps.xendit.businessOf(stored).catch(refusedKeyIsUnknown), deps.xendit.businessOf(next)]).catch(unavailable);
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
export async function saveXenditKeys(deps: MerchantOnboardingDeps, actor: User, merchantId: string, input: XenditKeysInput): Promise<Merchant> {
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
  const { foreign, sameAccount } = await otherBusiness(deps, merchant, input);
  if (foreign.length && !input.otherBusinessConfirmed) throw new FormInvalid(Object.fromEntries(foreign.map((f) => [f, 'errors:xenditOtherBusiness'])));
  const now = deps.clock();
  const changed = (value: string | undefined) => (value ? fingerprint(value) : null);
  const entry = auditEntry(actor, merchant.id, 'xendit_keys_changed', {
    testKey: changed(input.testKey),
    liveKey: changed(input.liveKey),
    callbackToken: changed(input.callbackToken),
    ...(foreign.length ? { otherBusiness: true } : {}),
  });
  await deps.stores.merchants.setXenditKeys(
    merchant.id,
    { test: input.testKey, live: input.liveKey, callbackToken: input.callbackToken },
    now,
    entry,
    // A key rotated within the same Xendit business reaches the same invoices: nothing to retire,
    // and its checkouts are the new key's to ask about.
    sameAccount.includes(merchant.mode) ? undefined : retireJob(merchant.id, now),
    sameAccount.map((mode) => ({ mode, key: merchant.xenditKeys[mode] })),
  );
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
