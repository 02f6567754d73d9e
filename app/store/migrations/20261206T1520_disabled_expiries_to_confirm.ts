import { sql, type Kysely } from 'kysely';

/**
 * Until now reconcile (jobs/sync/reconcile.ts) passed over a disabled merchant's checkouts and
 * marked them reconciled without asking Xendit, so an expired one was never confirmed: a payment
 * whose PAID callback was lost stayed unrecorded. Those checkouts are marked unconfirmed again, so
 * the next runs ask Xendit about each once (bounded per run, like any backlog). Open ones need
 * nothing: reconcile asks about them on every rotation.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`update checkouts set reconciled_at = null
    where status = 'expired' and xendit_invoice_id is not null
      and merchant_id in (select id from merchants where status = 'disabled')`.execute(db);
}

/** Nothing to undo: asking Xendit once more about an expired checkout changes nothing else. */
export async function down(): Promise<void> {
  // Intentionally empty (see above).
}
