/** The audit log: who changed where a merchant's money goes, or who may change it. Never a secret value. */
import type { Clock } from '../clock.js';
import type { Stores } from '../store/index.js';
import type { User } from '../store/users.js';

export async function recordChange(
  deps: { stores: Stores; clock: Clock },
  actor: Pick<User, 'id' | 'email'> | null,
  merchantId: string | null,
  action: string,
  detail: Record<string, string | number | boolean | null> = {},
): Promise<void> {
  await deps.stores.audit.record({ merchantId, userId: actor?.id ?? null, userEmail: actor?.email ?? 'cli', action, detail }, deps.clock());
}

/** A secret's fingerprint for the log: its last four characters. */
export function fingerprint(secret: string): string {
  return secret ? `…${secret.slice(-4)}` : '';
}
