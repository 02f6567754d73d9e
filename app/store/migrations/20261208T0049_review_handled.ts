import { sql, type Kysely } from 'kysely';

/**
 * A job in review a person handled by hand (admin/review "Mark as handled"): state 'handled', a
 * terminal state apart from 'done' (the gateway wrote nothing in the books), which nothing queues
 * again and no count of review includes. review_handled keeps who, when and their note, and the
 * payment the item belongs to (its page's timeline shows it); payment_id is no foreign key: the
 * note outlives nothing it names, and jobs are never deleted in review.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table jobs drop constraint jobs_state_check`.execute(db);
  await sql`alter table jobs add constraint jobs_state_check check (state in ('queued', 'running', 'done', 'needs_review', 'handled'))`.execute(db);
  await db.schema
    .createTable('review_handled')
    .addColumn('job_id', 'bigint', (c) => c.primaryKey().references('jobs.id').onDelete('cascade'))
    .addColumn('merchant_id', 'uuid', (c) => c.notNull())
    .addColumn('payment_id', 'uuid')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('note', 'text', (c) => c.notNull().check(sql`char_length(note) between 1 and 500`))
    .addColumn('user_id', 'uuid')
    .addColumn('user_email', 'text', (c) => c.notNull())
    .addColumn('handled_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('review_handled_payment').on('review_handled').column('payment_id').where(sql.ref('payment_id'), 'is not', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('review_handled').execute();
  await sql`update jobs set state = 'done' where state = 'handled'`.execute(db);
  await sql`alter table jobs drop constraint jobs_state_check`.execute(db);
  await sql`alter table jobs add constraint jobs_state_check check (state in ('queued', 'running', 'done', 'needs_review'))`.execute(db);
}
