import { createOutbox, type Outbox } from '../simulators/outbox/index.js';
import { createMailer, type Mailer } from '../clients/mail/index.js';
import { join, resolve } from 'node:path';
import express, { type Router } from 'express';
import type { Runtime } from './bootstrap.js';
import { createXeroSimulator, type XeroSimState, type XeroSimulator } from '../simulators/xero/index.js';
import { createXenditSimulator, type XenditSimState, type XenditSimulator } from '../simulators/xendit/index.js';
import { DEMO, DEMO2, seedDemoXendit, seedDemoXero } from '../simulators/demo-data.js';
import { debounced, stateFile, type Timers } from '../simulators/persist.js';
import { callbackPathFor, paths, payLinkFor } from '../paths.js';
import type { AppDeps } from '../server.js';
import { JOB_SPECS } from '../jobs/kinds.js';

export type DemoSetup = NonNullable<AppDeps['demo']> & {
  /** Writes pending simulator state now (clean shutdown, tests). */
  flush(): void;
  /** Starts over: saved state cleared, every merchant of a simulated organisation forgotten, re-seeded. */
  reset(): Promise<void>;
  simulators: { xero: XeroSimulator; xendit: XenditSimulator };
  /** The outbox's SMTP server: alert mails go there unless SMTP_URL says otherwise. */
  mailer: Mailer;
  close(): Promise<void>;
};

/** The simulators' state files in the data directory; undefined when the data directory is in memory. */
export function demoStateFiles(dataDir: string) {
  if (dataDir === ':memory:') return undefined;
  const dir = join(resolve(dataDir), 'demo');
  return { xero: stateFile(join(dir, 'xero.json')), xendit: stateFile(join(dir, 'xendit.json')) };
}

const SAVE_DELAY_MS = 250;
const DEMO_SETTLE_MS = 5_000;

/**
 * Demo mode: Xero and Xendit simulators mounted on the gateway's own server, one demo merchant
 * and a handful of invoices. The simulators' state is saved in the data directory, so a merchant
 * onboarded in the demo keeps working after a restart; without saved state the demo is seeded anew.
 */
export async function setupDemo(runtime: Runtime, opts: { timers?: Timers } = {}): Promise<DemoSetup> {
  const { config, stores } = runtime;
  const loopback = `http://127.0.0.1:${config.port}`;
  const xeroSim = createXeroSimulator({ now: runtime.clock, logger: runtime.logger });
  const xenditSim = createXenditSimulator({
    checkoutBaseUrl: `${config.publicUrl}${paths.simXendit}`,
    now: runtime.clock,
    logger: runtime.logger,
    // Xendit settles a day or more after payment; the demo a few seconds after, so a withdrawal can follow.
    settleAfterMs: DEMO_SETTLE_MS,
    // A callback the gateway refused is sent again when due, as Xendit does, when the demo next calls the simulator.
    redeliverWhenLookedAt: true,
    // The demo lists withdrawals every 15 s (hourly in production): 48 calls a minute to GET
    // /transactions (6 currencies, made and sent back) of Xendit's 60 for a test key, before a fee
    // read or a report. Its test keys get the live figure so only the schedule's pace is lifted.
    limits: { testPerMinute: 600 },
  });
  const outbox = createOutbox(runtime.clock);
  const files = demoStateFiles(config.dataDir);
  const save = () => {
    files?.xero.save({ ...xeroSim.state, requests: [] });
    files?.xendit.save({ ...xenditSim.state, requests: [] });
  };
  const saver = debounced(save, SAVE_DELAY_MS, opts.timers);
  const current = { tenantId: '', merchantId: '' };

  // The simulated Xero tells the gateway about invoices changed in its pages (voided, …), as a subscribed Xero app is told.
  const subscribeWebhooks = () => {
    if (config.xeroWebhookKey) xeroSim.test.webhooks.subscribe(`${loopback}${paths.xeroWebhook}`, config.xeroWebhookKey);
  };

  const seed = async () => {
    await forgetSimulatedMerchants(runtime, simulatedShortCodes(xeroSim.state));
    xeroSim.reset();
    xenditSim.reset();
    const { org, clearing, clearingPhp } = seedDemoXero(xeroSim);
    const merchant = await stores.merchants.add({
      name: DEMO.merchantName,
      shortCode: DEMO.shortCode,
      // The organisation's id, so the simulated Xero's webhooks (signed with the demo key) name this merchant.
      xero: { clientId: DEMO.xeroClientId, clientSecret: DEMO.xeroClientSecret, tenantId: org.tenantId },
      xenditSecretKey: DEMO.xenditSecretKey,
      callbackToken: DEMO.callbackToken,
      clearingAccountId: clearing.accountId,
      clearingCurrency: clearing.currencyCode ?? org.baseCurrency,
      clearingAccounts: { PHP: clearingPhp.accountId },
      feeAccountCode: xeroSim.bankAccountFor(org.tenantId, 'Bank Fees').code,
      feePosting: 'bank_transaction',
      salesAccountCode: xeroSim.bankAccountFor(org.tenantId, 'Sales').code,
      backendFlow: true,
      // The simulated Xero is a demo company: the demo's test-key payments are recorded in it.
      xeroTestOrganisation: true,
    });
    // Xendit's withdrawals go to the organisation's savings account (the settings page's Settlement bank account).
    const savings = xeroSim.bankAccountFor(org.tenantId, 'Business Savings Account').accountId;
    await stores.settlements.saveAndResume(merchant.id, { IDR: savings }, (w) => JOB_SPECS['record-withdrawal'].dedupeKey(w), runtime.clock());
    seedDemoXendit(xenditSim, `${loopback}${callbackPathFor(merchant.id)}`);
    Object.assign(current, { tenantId: org.tenantId, merchantId: merchant.id });
    subscribeWebhooks();
    save();
  };

  const restored = await restore(runtime, xeroSim, xenditSim, files);
  if (restored) {
    Object.assign(current, restored);
    subscribeWebhooks();
    // The port may differ from the last run's: the demo account's callbacks follow this server.
    const account = xenditSim.state.accounts.get(DEMO.xenditSecretKey);
    if (account) account.callbackUrl = `${loopback}${callbackPathFor(restored.merchantId)}`;
  } else {
    // Nothing (or half) saved: last run's demo merchants point at organisations that no longer exist.
    await seed();
  }

  return {
    merchantName: DEMO.merchantName,
    xeroSimUrl: `${paths.simXero}/`,
    xenditDashboardUrl: `${paths.simXendit}/dashboard`,
    callbackUrl: () => `${config.publicUrl}${callbackPathFor(current.merchantId)}`,
    mounts: [
      { path: paths.simXero, router: savingAfterChanges(xeroSim.router, saver.schedule) },
      { path: paths.simXendit, router: savingAfterChanges(xenditSim.router, saver.schedule) },
      { path: paths.simOutbox, router: outbox.router },
    ],
    outboxUrl: `${paths.simOutbox}/`,
    mailer: outboxMailer(outbox, config.alerts.from),
    close: () => outbox.close(),
    invoices: async () =>
      xeroSim.listInvoices(current.tenantId).map((inv) => ({
        invoiceNumber: inv.invoiceNumber,
        contactName: inv.contactName,
        currency: inv.currencyCode,
        total: inv.total,
        amountDue: inv.amountDue,
        status: inv.status,
        payLink: payLinkFor(config.publicUrl, {
          invoiceNumber: inv.invoiceNumber,
          currency: inv.currencyCode,
          // Nothing due (paid, voided): the link a customer kept from while it was due, as a zero
          // amount proves nothing (pay/link-hint.ts) and would get the "link does not match" page.
          amountDue: Number(inv.amountDue) > 0 ? inv.amountDue : inv.total,
          shortCode: DEMO.shortCode,
        }),
      })),
    // Clean shutdown writes whatever changed, including changes made outside the routers.
    flush: () => {
      saver.cancel();
      save();
    },
    simulators: { xero: xeroSim, xendit: xenditSim },
    reset: async () => {
      saver.cancel();
      await seed();
    },
  };
}

/** What was saved, if the simulators and the database still agree on the demo merchant. */
async function restore(runtime: Runtime, xeroSim: XeroSimulator, xenditSim: XenditSimulator, files: ReturnType<typeof demoStateFiles>) {
  const xero = files?.xero.load() as XeroSimState | undefined;
  const xendit = files?.xendit.load() as XenditSimState | undefined;
  if (!xero || !xendit) {
    // Kept only so seeding knows which merchants were made against these organisations.
    if (xero) Object.assign(xeroSim.state, xero);
    return undefined;
  }
  Object.assign(xeroSim.state, xero, { requests: [] });
  const {
    accounts,
    invoices,
    callbacks = [],
    refunds = [],
    refundWebhooks = [],
    disputes = [],
    disputeWebhooks = [],
    withdrawals = [],
    otherMovements = [],
    redeliveries = [],
  } = xendit;
  Object.assign(xenditSim.state, {
    accounts,
    invoices,
    callbacks,
    refunds,
    refundWebhooks,
    disputes,
    disputeWebhooks,
    withdrawals,
    otherMovements,
    redeliveries,
    requests: [],
  });
  // Requests in flight when the last run stopped never finished.
  for (const org of xeroSim.state.orgs.values()) org.usage.inFlight = 0;
  const org = [...xeroSim.state.orgs.values()].find((o) => o.shortCode === DEMO.shortCode);
  const merchant = (await runtime.stores.merchants.list()).find((m) => m.shortCode === DEMO.shortCode);
  if (!org || !merchant) return undefined;
  return { tenantId: org.tenantId, merchantId: merchant.id };
}

function savingAfterChanges(router: Router, schedule: () => void): Router {
  const wrapped = express.Router();
  wrapped.use((req, res, next) => {
    // Reads change only rate counters; everything else (tokens, invoices, payments) is a POST/PUT.
    if (req.method !== 'GET' && req.method !== 'HEAD') res.on('finish', schedule);
    next();
  });
  wrapped.use(router);
  return wrapped;
}

/** The ShortCodes of the simulated organisations: merchants made in the demo carry one of them. */
export function simulatedShortCodes(state: Pick<XeroSimState, 'orgs'> | undefined): string[] {
  return [...new Set([DEMO.shortCode, DEMO2.shortCode, ...[...(state?.orgs.values() ?? [])].map((o) => o.shortCode)])];
}

/** Removes merchants of simulated organisations with everything that refers to them. */
export async function forgetSimulatedMerchants(runtime: Pick<Runtime, 'stores'>, shortCodes: string[]): Promise<number> {
  const gone = (await runtime.stores.merchants.list()).filter((m) => shortCodes.includes(m.shortCode));
  for (const m of gone) {
    await runtime.stores.db.transaction().execute(async (trx) => {
      for (const table of ['jobs', 'payments', 'backend_sales', 'callback_events', 'checkouts', 'clearing_accounts'] as const) {
        await trx.deleteFrom(table).where('merchant_id', '=', m.id).execute();
      }
      await trx.deleteFrom('merchants').where('id', '=', m.id).execute();
    });
  }
  return gone.length;
}

/** The CLI's reset, with the gateway stopped: the next start seeds the demo anew. */
export async function resetSavedDemo(runtime: Pick<Runtime, 'stores' | 'config'>): Promise<number> {
  const files = demoStateFiles(runtime.config.dataDir);
  const saved = files?.xero.load() as XeroSimState | undefined;
  const forgotten = await forgetSimulatedMerchants(runtime, simulatedShortCodes(saved));
  files?.xero.remove();
  files?.xendit.remove();
  return forgotten;
}

/** Mails go to the outbox's SMTP server, started on the first one. */
function outboxMailer(outbox: Outbox, from: string): Mailer {
  let mailer: Mailer | undefined;
  return {
    async send(mail) {
      mailer ??= createMailer({ smtpUrl: await outbox.start(), from });
      await mailer.send(mail);
    },
    close: () => mailer?.close(),
  };
}
