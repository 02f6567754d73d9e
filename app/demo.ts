import type { Runtime } from './bootstrap.js';
import { createXeroSimulator } from './simulators/xero.js';
import { createXenditSimulator } from './simulators/xendit.js';
import { callbackPathFor, paths, payLinkFor } from './paths.js';
import type { AppDeps } from './server.js';

/** Fixed demo identities: the simulators are rebuilt from these on every start. */
export const DEMO = {
  merchantName: 'Toko Kopi Nusantara (demo)',
  shortCode: '!DEMO1',
  xeroClientId: 'demo-xero-client',
  xeroClientSecret: 'demo-xero-secret',
  xenditSecretKey: 'xnd_development_demo_key',
  callbackToken: 'demo-callback-token',
};

interface DemoInvoiceSeed {
  invoiceNumber: string;
  contact: { name: string; email?: string };
  currency: string;
  lineItems: { description: string; quantity: string; unitAmount: string }[];
  status: 'AUTHORISED' | 'PAID' | 'VOIDED';
  amountPaid?: string;
}

const INVOICES: DemoInvoiceSeed[] = [
  { invoiceNumber: 'INV-0001', contact: { name: 'Budi Santoso', email: 'budi@example.co.id' }, currency: 'IDR', status: 'AUTHORISED',
    lineItems: [{ description: 'Kopi Gayo 250 g', quantity: '3', unitAmount: '125000' }, { description: 'Ongkos kirim', quantity: '1', unitAmount: '25000' }] },
  { invoiceNumber: 'INV-0002', contact: { name: 'Maria Santos', email: 'maria@example.ph' }, currency: 'PHP', status: 'AUTHORISED',
    lineItems: [{ description: 'Barako beans 1 kg', quantity: '2', unitAmount: '1225.25' }] },
  { invoiceNumber: 'INV-0003', contact: { name: 'PT Maju Jaya' }, currency: 'IDR', status: 'AUTHORISED', amountPaid: '500000',
    lineItems: [{ description: 'Catering (part-paid)', quantity: '1', unitAmount: '2000000' }] },
  { invoiceNumber: 'INV-0004', contact: { name: 'Siti Rahma' }, currency: 'IDR', status: 'PAID',
    lineItems: [{ description: 'Workshop seat', quantity: '1', unitAmount: '750000' }] },
  { invoiceNumber: 'INV-0005', contact: { name: 'Jose Reyes' }, currency: 'PHP', status: 'VOIDED',
    lineItems: [{ description: 'Cancelled order', quantity: '1', unitAmount: '1000' }] },
];

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

  const org = xeroSim.addOrganisation({
    clientId: DEMO.xeroClientId,
    clientSecret: DEMO.xeroClientSecret,
    name: DEMO.merchantName,
    shortCode: DEMO.shortCode,
    baseCurrency: 'IDR',
  });
  const clearing = xeroSim.bankAccountFor(org.tenantId, 'Xendit');
  const clearingPhp = xeroSim.addAccount(org.tenantId, { code: '092', name: 'Xendit PHP', type: 'BANK', currencyCode: 'PHP' });
  for (const inv of INVOICES) xeroSim.addInvoice({ tenantId: org.tenantId, type: 'ACCREC', ...inv });

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
  });
  xenditSim.registerAccount({
    secretKey: DEMO.xenditSecretKey,
    callbackToken: DEMO.callbackToken,
    callbackUrl: `${loopback}${callbackPathFor(merchant.id)}`,
    businessName: DEMO.merchantName,
  });

  return {
    merchantName: DEMO.merchantName,
    xeroSimUrl: `${paths.simXero}/`,
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
    for (const table of ['jobs', 'payments', 'callback_events', 'checkouts', 'clearing_accounts'] as const) {
      await trx.deleteFrom(table).where('merchant_id', '=', merchantId).execute();
    }
    await trx.deleteFrom('merchants').where('id', '=', merchantId).execute();
  });
}
