import { sql, type Kysely } from 'kysely';

/**
 * One CHARGEBACK transaction is one dispute's: refunds_chargeback_txn_once, unique on (merchant_id,
 * chargeback_txn_id) where one is kept. Two disputes of one payment and amount, under a product_id
 * naming the payment, cannot both take the same transaction (and book its fee twice under its
 * Reference): the second one's read is refused, as a transaction not listed yet (jobs/sync/chargeback-fee.ts).
 * Rows that hold a transaction another (older) row already held lose that read, so their own
 * transaction is read again (the chargeback listing); one that had booked the other's fee a second time
 * is told in its last_error, with the entry to void in Xero.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    with later as (
      select id, xero_fee_txn_id, chargeback_txn_id from (
        select id, xero_fee_txn_id, chargeback_txn_id,
          row_number() over (partition by merchant_id, chargeback_txn_id order by created_at, id) as n
        from refunds where chargeback_txn_id is not null
      ) r where n > 1
    )
    update refunds set
      last_error = case when later.xero_fee_txn_id is null then refunds.last_error
        else 'Xendit chargeback fee ' || later.chargeback_txn_id || ' was booked a second time for this chargeback (Xero entry '
          || later.xero_fee_txn_id || '), though the transaction is another dispute''s: void that entry in Xero; this chargeback''s own fee is booked once its transaction is listed' end,
      chargeback_txn_id = null, fee = null, fee_tax = null, fee_withheld = null, chargeback_amount = null, fee_in_amount = null,
      fee_attempt_at = null, xero_fee_txn_id = null, fee_entry_kind = null
    from later where refunds.id = later.id
  `.execute(db);
  await db.schema
    .createIndex('refunds_chargeback_txn_once')
    .on('refunds')
    .columns(['merchant_id', 'chargeback_txn_id'])
    .unique()
    .where(sql.ref('chargeback_txn_id'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('refunds_chargeback_txn_once').execute();
}
