import { DEMO_OAUTH_APP } from '../../config/constants.js';
import type { XeroSimulator } from './xero/index.js';
import type { XenditSimulator } from './xendit/index.js';

/** Fixed demo identities: the simulators are rebuilt from these on every start. */
export const DEMO = {
  merchantName: 'Toko Kopi Nusantara (demo)',
  shortCode: '!DEMO1',
  xeroClientId: 'demo-xero-client',
  xeroClientSecret: 'demo-xero-secret',
  xenditSecretKey: 'xnd_development_demo_key',
  callbackToken: 'demo-callback-token',
};

/**
 * The second demo organisation, free to onboard from /admin (Connect to Xero), with a Xendit
 * account of its own (no callback URL until set at the simulated Xendit dashboard) and one invoice.
 */
export const DEMO2 = {
  merchantName: 'Warung Sate Madura (demo)',
  shortCode: '!DEMO2',
  xenditSecretKey: 'xnd_development_demo_key_2',
  callbackToken: 'demo-callback-token-2',
  invoice: { invoiceNumber: 'INV-0101', currency: 'IDR', amountDue: '180000.00' },
};

// The gateway's Xero app in demo mode is the configuration's default, hence in config/constants.ts.
export { DEMO_OAUTH_APP };

interface DemoInvoiceSeed {
  invoiceNumber: string;
  contact: { name: string; email?: string };
  currency: string;
  lineItems: { description: string; quantity: string; unitAmount: string }[];
  status: 'AUTHORISED' | 'PAID' | 'VOIDED';
  amountPaid?: string;
}

const INVOICES: DemoInvoiceSeed[] = [
  {
    invoiceNumber: 'INV-0001',
    contact: { name: 'Budi Santoso', email: 'budi@example.co.id' },
    currency: 'IDR',
    status: 'AUTHORISED',
    lineItems: [
      { description: 'Kopi Gayo 250 g', quantity: '3', unitAmount: '125000' },
      { description: 'Ongkos kirim', quantity: '1', unitAmount: '25000' },
    ],
  },
  {
    invoiceNumber: 'INV-0002',
    contact: { name: 'Maria Santos', email: 'maria@example.ph' },
    currency: 'PHP',
    status: 'AUTHORISED',
    lineItems: [{ description: 'Barako beans 1 kg', quantity: '2', unitAmount: '1225.25' }],
  },
  {
    invoiceNumber: 'INV-0003',
    contact: { name: 'PT Maju Jaya' },
    currency: 'IDR',
    status: 'AUTHORISED',
    amountPaid: '500000',
    lineItems: [{ description: 'Catering (part-paid)', quantity: '1', unitAmount: '2000000' }],
  },
  {
    invoiceNumber: 'INV-0004',
    contact: { name: 'Siti Rahma' },
    currency: 'IDR',
    status: 'PAID',
    lineItems: [{ description: 'Workshop seat', quantity: '1', unitAmount: '750000' }],
  },
  {
    invoiceNumber: 'INV-0005',
    contact: { name: 'Jose Reyes' },
    currency: 'PHP',
    status: 'VOIDED',
    lineItems: [{ description: 'Cancelled order', quantity: '1', unitAmount: '1000' }],
  },
  {
    // Open, to void in the simulated Xero while its Xendit checkout is open.
    invoiceNumber: 'INV-0006',
    contact: { name: 'Dewi Lestari', email: 'dewi@example.co.id' },
    currency: 'IDR',
    status: 'AUTHORISED',
    lineItems: [{ description: 'Kopi Toraja 500 g', quantity: '2', unitAmount: '160000' }],
  },
];

/** The demo organisation, its clearing accounts (IDR default, PHP) and invoices. */
export function seedDemoXero(xeroSim: XeroSimulator) {
  const org = xeroSim.addOrganisation({
    clientId: DEMO.xeroClientId,
    clientSecret: DEMO.xeroClientSecret,
    name: DEMO.merchantName,
    shortCode: DEMO.shortCode,
    baseCurrency: 'IDR',
    // Demo organisations, like Xero's Demo Company: the demo's test-key payments are recorded in them.
    isDemoCompany: true,
  });
  // "Connect to Xero" in the demo: the gateway's app, and a second organisation to choose from.
  xeroSim.addOAuthApp(DEMO_OAUTH_APP.clientId, DEMO_OAUTH_APP.clientSecret);
  const org2 = xeroSim.addOrganisation({
    clientId: 'demo-xero-client-2',
    clientSecret: 'demo-xero-secret-2',
    name: DEMO2.merchantName,
    shortCode: DEMO2.shortCode,
    baseCurrency: 'IDR',
    isDemoCompany: true,
  });
  // A new merchant's Xero has no "Xendit" bank account yet: onboarding creates it in one click.
  const org2State = xeroSim.state.orgs.get(org2.tenantId)!;
  org2State.accounts = org2State.accounts.filter((a) => a.name !== 'Xendit');
  xeroSim.addInvoice({
    tenantId: org2.tenantId,
    type: 'ACCREC',
    invoiceNumber: DEMO2.invoice.invoiceNumber,
    contact: { name: 'Agus Prasetyo', email: 'agus@example.co.id' },
    currency: DEMO2.invoice.currency,
    status: 'AUTHORISED',
    lineItems: [{ description: 'Sate ayam 40 tusuk', quantity: '2', unitAmount: '90000' }],
  });
  const clearing = xeroSim.bankAccountFor(org.tenantId, 'Xendit');
  const clearingPhp = xeroSim.addAccount(org.tenantId, { code: '092', name: 'Xendit PHP', type: 'BANK', currencyCode: 'PHP' });
  for (const inv of INVOICES) xeroSim.addInvoice({ tenantId: org.tenantId, type: 'ACCREC', ...inv });
  return { org, clearing, clearingPhp };
}

/** The demo Xendit account; callbackUrl is where its simulated checkout sends callbacks. */
export function seedDemoXendit(xenditSim: XenditSimulator, callbackUrl?: string): void {
  // The refund and dispute webhook URLs are the gateway's callback URL plus /refunds, /disputes (app/paths.ts).
  const refundCallbackUrl = callbackUrl ? `${callbackUrl}/refunds` : undefined;
  const disputeCallbackUrl = callbackUrl ? `${callbackUrl}/disputes` : undefined;
  xenditSim.registerAccount({
    secretKey: DEMO.xenditSecretKey,
    callbackToken: DEMO.callbackToken,
    callbackUrl,
    refundCallbackUrl,
    disputeCallbackUrl,
    businessName: DEMO.merchantName,
  });
  xenditSim.registerAccount({ secretKey: DEMO2.xenditSecretKey, callbackToken: DEMO2.callbackToken, businessName: DEMO2.merchantName });
}
