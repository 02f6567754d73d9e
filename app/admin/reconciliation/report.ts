/** The dashboard's reconciliation page: the same report as `npm run cli -- report`, for one merchant the actor may see. */
import type { User } from '../../store/users.js';
import { UpstreamError } from '../../clients/types.js';
import { FormInvalid, ServiceUnavailable } from '../../errors.js';
import { reconciliationReport, type Report } from '../../report/reconcile.js';
import { merchantFor, type MerchantOnboardingDeps } from '../merchants/service.js';

export const NOT_READY = 'errors:merchantNotReady';

export async function merchantReport(deps: MerchantOnboardingDeps, actor: User, q: { merchantId: string; from: string; to: string }): Promise<Report> {
  const merchant = await merchantFor(deps, actor, q.merchantId);
  if (!merchant.xenditSecretKey || !merchant.clearingAccountId) throw new FormInvalid({ merchant: NOT_READY });
  try {
    return await reconciliationReport({ xero: deps.xero, xendit: deps.xendit }, merchant, { from: q.from, to: q.to });
  } catch (err) {
    if (err instanceof UpstreamError) throw new ServiceUnavailable(`reconciliation report: ${err.message}`, err.retryAfterSeconds ?? 30);
    throw err;
  }
}
