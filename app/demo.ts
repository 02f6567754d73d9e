import type { Runtime } from './bootstrap.js';
import { createXeroSimulator } from './simulators/xero.js';
import { createXenditSimulator } from './simulators/xendit.js';
import { DEMO, seedDemoXendit, seedDemoXero } from './simulators/demo-data.js';
import { callbackPathFor, paths, payLinkFor } from './paths.js';
import type { AppDeps } from './server.js';

/**
 * Demo mode: Xero and Xendit simulators mounted on the gateway's own server, one demo merchant
 * and a handful of invoices. The demo merchant is made anew on each start because the simulators
 * keep their state in memory.
 */
export async function setupDemo(runtime: Runtime): Promise<NonNullable<AppDeps['demo']>> {
  const { config, stores } = runtime;
  const loopback = `http://127.0.0.1:${config.port}`;
  const xeroSim = createXeroSimulator({ now: runtime.clock, logger: runtime.logger });
  const xenditSim = createXenditSimulator({ checkoutBaseUrl: `${config.publicUrl}${paths.simXendit}`, now: runtime.clock, logger: runtime.logger });

  const { org, clearing, clearingPhp } = seedDemoXero(xeroSim);

  const feeAccount = xeroSim.bankAccountFor(org.tenantId, 'Bank Fees');
  const previous = (await stores.merchants.list()).find((m) => m.shortCode === DEMO.shortCode);
  if (previous) await forgetMerchant(runtime, previous.id);
  const merchant = await stores.merchants.add({
    name: DEMO.merchantName,
    shortCode: DEMO.shortCode,
    xero: { clientId: DEMO.xeroClientId, clientSecret: DEMO.xeroClientSecret, tenantId: '' },
    xenditSecretKey: DEMO.xenditSecretKey,
    callbackToken: DEMO.callbackToken,
    clearingAccountId: clearing.accountId,
    clearingAccounts: { PHP: clearingPhp.accountId },
    feeAccountCode: feeAccount.code,
    feePosting: 'bank_transaction',
    salesAccountCode: xeroSim.bankAccountFor(org.tenantId, 'Sales').code,
    backendFlow: true,
    // The simulated Xero is a demo company: the demo's test-key payments are recorded in it.
    xeroTestOrganisation: true,
  });
  seedDemoXendit(xenditSim, `${loopback}${callbackPathFor(merchant.id)}`);

  return {
    merchantName: DEMO.merchantName,
    xeroSimUrl: `${paths.simXero}/`,
    xenditDashboardUrl: `${paths.simXendit}/dashboard`,
    callbackUrl: `${config.publicUrl}${callbackPathFor(merchant.id)}`,
    mounts: [
      { path: paths.simXero, router: xeroSim.router },
      { path: paths.simXendit, router: xenditSim.router },
    ],
    invoices: async () =>
      xeroSim.listInvoices(org.tenantId).map((inv) => ({
        invoiceNumber: inv.invoiceNumber,
        contactName: inv.contactName,
        currency: inv.currencyCode,
        total: inv.total,
        amountDue: inv.amountDue,
        status: inv.status,
        payLink: payLinkFor(config.publicUrl, { invoiceNumber: inv.invoiceNumber, currency: inv.currencyCode, amountDue: inv.amountDue, shortCode: DEMO.shortCode }),
      })),
  };
}

/** The simulators start empty, so last run's demo merchant points at accounts that no longer exist. */
async function forgetMerchant(runtime: Runtime, merchantId: string): Promise<void> {
  await runtime.stores.db.transaction().execute(async (trx) => {
    for (const table of ['jobs', 'payments', 'backend_sales', 'callback_events', 'checkouts', 'clearing_accounts'] as const) {
      await trx.deleteFrom(table).where('merchant_id', '=', merchantId).execute();
    }
    await trx.deleteFrom('merchants').where('id', '=', merchantId).execute();
  });
}
