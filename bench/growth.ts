/** How a repeat pay click's latency grows with the rows already in checkouts and payments. */
import { sql } from 'kysely';
import { runLoad } from './load-runner.js';
import type { LoadResult } from './stats.js';
import type { Stack } from './stack.js';

export interface GrowthRow {
  rows: number;
  load: LoadResult;
}

/** Paid checkouts numbered (from, to], each with its recorded payment, for the bench merchant. */
async function addPaidCheckouts(stack: Stack, from: number, to: number): Promise<void> {
  const m = stack.merchant.id;
  await sql`
    insert into checkouts (id, merchant_id, xero_invoice_id, invoice_number, currency, amount, external_id,
                           xendit_invoice_id, invoice_url, expires_at, status, created_at, updated_at)
    select gen_random_uuid(), ${m}, 'grow-inv-' || g, 'GROW-' || g, 'IDR', 100000 + g, 'grow-ext-' || g,
           'grow-x-' || g, 'https://checkout.example/grow-x-' || g, now() + interval '1 day', 'paid', now(), now()
    from generate_series(${from + 1}::int, ${to}::int) g`.execute(stack.stores.db);
  await sql`
    insert into payments (id, merchant_id, checkout_id, xendit_invoice_id, xero_invoice_id, currency, amount, fee,
                          paid_at, reference, xero_payment_id, sync_state, created_at, updated_at)
    select gen_random_uuid(), c.merchant_id, c.id, c.xendit_invoice_id, c.xero_invoice_id, c.currency, c.amount, 2900,
           now(), 'Xendit ' || c.xendit_invoice_id, 'xero-pay-' || c.external_id, 'recorded', now(), now()
    from checkouts c
    where c.merchant_id = ${m} and c.external_id like 'grow-ext-%'
      and not exists (select 1 from payments p where p.checkout_id = c.id)`.execute(stack.stores.db);
  await sql`analyze checkouts, payments`.execute(stack.stores.db);
}

/** Repeat clicks at one connection after growing the tables to each size in turn (sizes ascending). */
export async function benchGrowth(stack: Stack, sizes: number[], seconds: number): Promise<GrowthRow[]> {
  const { invoiceNumber } = stack.addInvoice(`BENCH-GROWTH-${stack.engine}`);
  const url = stack.gatewayUrl + stack.payPath(invoiceNumber);
  const rows: GrowthRow[] = [];
  let have = 0;
  for (const size of sizes) {
    await addPaidCheckouts(stack, have, size);
    have = size;
    const first = await fetch(url, { redirect: 'manual' });
    if (first.status !== 303) throw new Error(`growth click: ${first.status}`);
    const load = await runLoad({ url, connections: 1, durationSeconds: seconds, warmupSeconds: 1 });
    const other = load.requests - (load.statuses['303'] ?? 0);
    if (other || load.errors) throw new Error(`growth at ${size}: ${other} non-303 answers ${JSON.stringify(load.statuses)}`);
    rows.push({ rows: size, load });
  }
  return rows;
}
