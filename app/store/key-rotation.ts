import type { Transaction } from 'kysely';
import type { Database } from './schema.js';
import { xenditKeyHint, type XenditMode } from './merchant-model.js';

/**
 * The merchant's key of `mode` was rotated within the same Xendit business (in `trx`, which holds
 * the merchant row): the new key reaches every invoice the old one made, so the checkouts the old
 * key made (and the backend sales it found) are the new key's to ask about (checkoutKey: not "replaced"), and what Xendit answers it
 * under their external ids is Xendit's word. Their updated_at is kept: it times a click's create.
 */
export async function rotatedWithinBusiness(trx: Transaction<Database>, merchantId: string, mode: XenditMode, oldKey: string, newKey: string): Promise<void> {
  const from = xenditKeyHint(oldKey);
  const to = xenditKeyHint(newKey);
  if (from === to) return;
  // Backend-flow sales carry the key that found them the same way (paymentAtXendit reads it).
  for (const table of ['checkouts', 'backend_sales'] as const) {
    await trx
      .updateTable(table)
      .set({ xendit_key_hint: to })
      .where('merchant_id', '=', merchantId)
      .where('xendit_mode', '=', mode)
      .where('xendit_key_hint', '=', from)
      .execute();
  }
}

/**
 * A key of these modes was stored (in `trx`): the merchant's checkouts of them that no stored key
 * reached may be reached now, so reconcile asks about them in its next rotation rather than after
 * their back-off (checkouts.toReconcile).
 */
export async function checkoutsReachableAgain(trx: Transaction<Database>, merchantId: string, modes: XenditMode[]): Promise<void> {
  if (modes.length === 0) return;
  await trx
    .updateTable('checkouts')
    .set({ unreachable_since: null })
    .where('merchant_id', '=', merchantId)
    .where((eb) => eb.or([eb('xendit_mode', 'in', modes), eb('xendit_mode', 'is', null)]))
    .where('unreachable_since', 'is not', null)
    .execute();
}
