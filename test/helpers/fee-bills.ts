import type { Db } from '../../app/store/db.js';
import { createHarness, type Harness } from './harness.js';
import { seedAdminCast } from './admin.js';

/** The header of Xendit's Billing Report (docs.xendit.co "Billing report"), as the fee-bill upload reads it. */
export const BILLING_REPORT_HEAD =
  'transaction_id,reference,transaction_type,transaction_channel,calculation_method,business_id,billed_at,net_currency,gross_amount,fees_paid_amount,vat_paid_amount';

/**
 * A harness whose merchant has had its Xendit fees billed monthly since January (a month's bill is
 * judged by the setting of that month), with the admin's users seeded.
 */
export async function monthlyBilledHarness(db: Db): Promise<Harness> {
  const h = await createHarness(db);
  await seedAdminCast(h, db);
  await h.stores.merchants.setAccountingOptions(h.merchant.id, { xenditFeeBilling: 'invoiced' }, new Date('2026-01-01T00:00:00Z'));
  return h;
}
