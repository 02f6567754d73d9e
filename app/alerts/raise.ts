/**
 * Something a person should know about: stored now, mailed in the next digest (send-alerts). Raising
 * an alert never fails what raised it: at worst the alert is logged and lost, the operation stands.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Stores } from '../store/index.js';
import { encodeMessage, message, type Message } from '../i18n/index.js';

export type AlertKind =
  | 'needsReview'
  | 'xeroDisconnected'
  | 'xenditKeyRejected'
  | 'callbackMissing'
  | 'settingsChanged'
  | 'checkoutRefused'
  | 'withdrawalsBehind'
  | 'otherMovementsBehind'
  | 'refundsBehind'
  | 'xenditAccountShared'
  | 'amountNotWhole'
  | 'clearingAccountMissing'
  | 'xenditKeyRetired'
  | 'inviteElsewhere'
  | 'refundPendingTooLong'
  | 'reservesBooked'
  | 'withdrawalFeeNotBooked'
  | 'movementFeeNotBooked'
  | 'keptFeeUnsettled';

export interface Alert {
  merchantId: string | null;
  kind: AlertKind;
  message: Message;
  /** The user whose own action it was: the others are told, not them. */
  exceptUserId?: string | null;
  /** While one with this key waits to be mailed, repeats are absorbed (one line per merchant, not thirty). */
  dedupeKey?: string;
  /** With dedupeKey: told once, ever (something a person mends once, met again by every run until then). */
  once?: boolean;
}

/** As raiseAlert, but a failure to store it throws: for a step that must not be marked done untold. */
export async function storeAlert(deps: { stores: Pick<Stores, 'alerts'>; clock: Clock }, a: Alert): Promise<boolean> {
  return deps.stores.alerts.raise({ ...a, message: encodeMessage(a.message) }, deps.clock());
}

/** True when the alert was stored (not absorbed by one raised before, nor lost). */
export async function raiseAlert(deps: { stores: Pick<Stores, 'alerts'>; clock: Clock; logger?: Logger }, a: Alert): Promise<boolean> {
  try {
    return await storeAlert(deps, a);
  } catch (err) {
    deps.logger?.warn({ err: String(err), kind: a.kind, merchantId: a.merchantId }, 'could not store an alert');
    return false;
  }
}

/**
 * Xero refused the merchant's connection: one alert per merchant until it is mailed, whoever met it
 * (a payment's job, or the daily keep-alive of an idle merchant's refresh token).
 */
export function xeroDisconnectedAlert(merchantId: string): Alert {
  return { merchantId, kind: 'xeroDisconnected', message: message('alerts:xeroDisconnected'), dedupeKey: `xeroDisconnected:${merchantId}` };
}

/** The admin changes the others of the merchant hear about: where money goes and who may change it. */
const TOLD_TO_OTHERS = new Set([
  'xero_connected',
  'xero_disconnected',
  'accounts_changed',
  'settlement_accounts_changed',
  'xendit_bank_account_created',
  'xendit_keys_changed',
  'xendit_mode_switched',
  'user_invited',
  'user_disabled',
]);

export function settingsChangedAlert(merchantId: string, actor: { id: string; email: string } | null, action: string): Alert | null {
  if (!TOLD_TO_OTHERS.has(action)) return null;
  return {
    merchantId,
    kind: 'settingsChanged',
    message: message('alerts:settingsChanged', { email: actor?.email ?? 'the command line (CLI)', action: message(`admin:audit_${action}`) }),
    exceptUserId: actor?.id ?? null,
  };
}
