/** Step 4 of a merchant's setup: the go-live checklist and the URLs to paste. */
import type { User } from '../../store/users.js';
import { callbackPathFor, customPaymentUrl } from '../../paths.js';
import { masked, merchantFor, type MerchantOnboardingDeps } from './service.js';
import { paymentServiceView } from './payment-service.js';

export interface GoLiveStep {
  key: 'xero' | 'xendit' | 'clearing' | 'callback';
  done: boolean;
}

/** Step 4: what the merchant pastes where, and which steps are done. */
export async function goLive(deps: MerchantOnboardingDeps & { paymentServicesScope: boolean }, actor: User, merchantId: string) {
  const merchant = await merchantFor(deps, actor, merchantId);
  const activity = await deps.stores.merchants.activity(merchant.id);
  const steps: GoLiveStep[] = [
    { key: 'xero', done: merchant.xeroDisconnected === null }, // a merchant exists only once its Xero connection answered
    { key: 'xendit', done: merchant.xenditSecretKey !== '' },
    { key: 'clearing', done: merchant.clearingAccountId !== '' },
    { key: 'callback', done: activity.lastCallbackAt !== null },
  ];
  return {
    merchant: {
      id: merchant.id,
      name: merchant.name,
      shortCode: merchant.shortCode,
      status: merchant.status,
      mode: merchant.mode,
      xenditKey: masked(merchant.xenditSecretKey),
    },
    steps,
    xero: { connection: merchant.xeroConnection, disconnected: merchant.xeroDisconnected },
    lastCallbackAt: activity.lastCallbackAt,
    customPaymentUrl: customPaymentUrl(deps.publicUrl),
    callbackUrl: deps.publicUrl + callbackPathFor(merchant.id),
    paymentService: await paymentServiceView(deps, merchant),
  };
}
