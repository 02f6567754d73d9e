/** The audit log: who changed where a merchant's money goes, or who may change it. Never a secret value. */
import type { Clock } from '../clock.js';
import type { Stores } from '../store/index.js';
import type { User } from '../store/users.js';
import type { AuditEntry } from '../store/audit.js';
import { raiseAlert, settingsChangedAlert } from '../alerts/raise.js';

export async function recordChange(
  deps: { stores: Stores; clock: Clock },
  actor: Pick<User, 'id' | 'email'> | null,
  merchantId: string | null,
  action: string,
  detail: Record<string, string | number | boolean | null> = {},
): Promise<void> {
  await deps.stores.audit.record(auditEntry(actor, merchantId, action, detail), deps.clock());
  await alertChange(deps, actor, merchantId, action);
}

/** The entry recordChange writes, for a store that writes it in the change's own transaction. */
export function auditEntry(
  actor: Pick<User, 'id' | 'email'> | null,
  merchantId: string | null,
  action: string,
  detail: Record<string, string | number | boolean | null> = {},
): AuditEntry {
  return { merchantId, userId: actor?.id ?? null, userEmail: actor?.email ?? 'cli', action, detail };
}

/** The merchant's other users (and the operators) hear about it by e-mail; the one who did it does not. */
export async function alertChange(deps: { stores: Stores; clock: Clock }, actor: Pick<User, 'id' | 'email'> | null, merchantId: string | null, action: string) {
  const alert = merchantId ? settingsChangedAlert(merchantId, actor, action) : null;
  if (alert) await raiseAlert(deps, alert);
}

/** A secret's fingerprint for the log: its last four characters. */
export function fingerprint(secret: string): string {
  return secret ? `…${secret.slice(-4)}` : '';
}
