import { reconciliationReport } from '../../app/report/reconcile.js';
import type { Harness } from './harness.js';

/** A date `offset` days from today, as the simulators date their entries: by the wall clock, not the harness's. */
export const simDay = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** The reconciliation report of the harness's merchant, from yesterday to tomorrow (the simulators' days). */
export async function reportAroundToday(h: Harness) {
  const merchant = await h.stores.merchants.byId(h.merchant.id);
  return reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores }, merchant!, { from: simDay(-1), to: simDay(1) });
}
