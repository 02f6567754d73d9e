import { sql, type Kysely } from 'kysely';

/**
 * What a job handled by hand (admin/review "Mark as handled") was about is handled too: its row
 * (a withdrawal, a balance movement, a refund or chargeback, a fee bill, a payment's fee or a sale
 * made outside Xero) leaves 'needs_review' for 'handled' in the same commit as the job, so its own
 * page, the dashboard and the metrics no longer say it needs review. Terminal like the job: no
 * Retry takes a handled row (each Retry names the states it takes).
 */
const CHECKS: [table: string, constraint: string, column: string, states: string[]][] = [
  ['payments', 'payments_fee_state_check', 'fee_state', ['pending', 'posted', 'not_needed', 'needs_review']],
  ['payments', 'payments_sync_state_check', 'sync_state', ['pending', 'recorded', 'needs_review', 'test_mode']],
  ['refunds', 'refunds_state', 'state', ['pending', 'recorded', 'needs_review', 'test_mode']],
  ['fee_bills', 'fee_bills_state', 'state', ['pending', 'recorded', 'needs_review', 'test_mode']],
  ['withdrawals', 'withdrawals_state', 'state', ['pending', 'waiting', 'recorded', 'needs_review', 'test_mode', 'reversed']],
  ['other_movements', 'other_movements_state_check', 'state', ['pending', 'recorded', 'needs_review', 'test_mode', 'off']],
];

async function check(db: Kysely<any>, [table, constraint, column, states]: (typeof CHECKS)[number]): Promise<void> {
  await sql`alter table ${sql.table(table)} drop constraint ${sql.ref(constraint)}`.execute(db);
  await sql`alter table ${sql.table(table)} add constraint ${sql.ref(constraint)} check (${sql.ref(column)} in (${sql.join(states.map((s) => sql.lit(s)))}))`.execute(
    db,
  );
}

export async function up(db: Kysely<any>): Promise<void> {
  for (const [table, constraint, column, states] of CHECKS) await check(db, [table, constraint, column, [...states, 'handled']]);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const c of CHECKS) {
    await sql`update ${sql.table(c[0])} set ${sql.ref(c[2])} = 'needs_review' where ${sql.ref(c[2])} = 'handled'`.execute(db);
    await check(db, c);
  }
}
