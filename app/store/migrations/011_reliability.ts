import { sql, type Kysely } from 'kysely';

/** Expired checkouts reconcile has yet to confirm at Xendit (see checkouts.expiriesToConfirm). */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index checkouts_expiries_to_confirm on checkouts (updated_at)
            where status = 'expired' and xendit_invoice_id is not null and (reconciled_at is null or reconciled_at < updated_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index checkouts_expiries_to_confirm`.execute(db);
}
