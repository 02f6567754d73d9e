/** The audit log: who changed where a merchant's money goes, or who may change it. Never a secret value. */
import type { Clock } from '../clock.js';
import type { Stores } from '../store/index.js';
import type { User } from '../store/users.js';
import { raiseAlert, settingsChangedAlert } from '../alerts/raise.js';

export async function recordChange(
  deps: { stores: Stores; clock: Clock },
  actor: Pick<User, 'id' | 'email'> | null,
  merchantId: string | null,
  action: string,
  detail: Record<string, string | number | boolean | null> = {},
): Promise<void> {
  await deps.stores.audit.record({ merchantId, userId: actor?.id ?? null, userEmail: actor?.email ?? 'cli', action, detail }, deps.clock());
  // The merchant's other users (and the operators) hear about it by e-mail; the one who did it does not.
  const alert = merchantId ? settingsChangedAlert(merchantId, actor, action) : null;
  if (alert) await raiseAlert(deps, alert);
}

/** A secret's fingerprint for the log: its last four characters. */
export function fingerprint(secret: string): string {
  return secret ? `…${secret.slice(-4)}` : '';
}
