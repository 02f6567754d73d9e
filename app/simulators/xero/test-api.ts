/**
 * What tests may see of the simulated Xero beyond its HTTP API, and the few changes they may make
 * to it behind the gateway's back: copies of the request log and of organisations, counters, and
 * named commands. Tests use `sim.test`, never `sim.state` (eslint's no-restricted-syntax rule on
 * test/ and test/unit/sim-state-rule.test.ts keep it so), so the state's shape stays the
 * simulators' own business.
 */
import type { SimTaxRate } from './tax-rates.js';
import type { SimGrant } from './oauth.js';
import { requireOrg, type SimInvoiceStatus, type SimOrganisation, type SimRequest, type XeroSimState } from './state.js';
import { themesWithServices } from './payment-services.js';
import { creditNotesOf, type SimCreditNote } from './credit-notes.js';
import { bankTransfersOf, type SimBankTransfer } from './bank-transfers.js';
import { refundPaymentsOf, type SimRefundPayment } from './refund-payments.js';
import { allocateOverpayment, voidOverpayment } from './overpayments.js';
import { editInvoiceLines, intentToReceive, orgOfInvoice, payElsewhere, sendInvoiceEvent, voidInvoice, type SimWebhookDelivery } from './webhooks.js';

/** Requests whose method is this (any case) and whose path (relative to the mount) starts/ends with these. */
export interface SimRequestFilter {
  method?: string;
  pathPrefix?: string;
  pathSuffix?: string;
}

/** A consent and its connections, as they are now: `connections` follows the simulator (tenantId → connectionId). */
export interface SimGrantView {
  grantId: string;
  clientId: string;
  scope: string;
  connections: ReadonlyMap<string, string>;
}

export interface XeroSimTestApi {
  /** A copy of the request log (the latest 1000), oldest first, optionally filtered. */
  requests(filter?: SimRequestFilter): SimRequest[];
  countRequests(filter?: SimRequestFilter): number;
  /** Empties the request log (to see only what comes next). */
  clearRequests(): void;
  /** Counts time (rate-limit windows, token lifetimes) on this clock from now on, e.g. a test's; none: its own again. */
  useClock(now?: () => Date): void;
  /** Calls to the token endpoint by Custom Connections (client_credentials and their refresh_token). */
  tokenRequests(): number;
  /** A copy of the organisation; changing it changes nothing in the simulator. */
  organisation(tenantId: string): SimOrganisation;
  /** A copy of the first organisation that matches. */
  findOrganisation(match: (o: SimOrganisation) => boolean): SimOrganisation | undefined;
  /** The organisation's branding themes and the payment service each applies to its invoices. */
  brandingThemes(tenantId: string): { name: string; paymentService?: string }[];
  /** As when someone changes the organisation's time zone in Xero (Organisation.Timezone). */
  setTimezone(tenantId: string, timezone: string): void;
  /** The accountant sets (or clears, with undefined) the organisation's lock dates (YYYY-MM-DD). */
  setLockDates(tenantId: string, locks: { period?: string; endOfYear?: string }): void;
  /** As when the app's client secret is regenerated at developer.xero.com: the old one stops working. */
  rotateClientSecret(tenantId: string, clientSecret: string): void;
  /** As when someone deletes an account from the chart of accounts (by name). */
  removeAccount(tenantId: string, name: string): void;
  /** As when the merchant archives an account in Xero (Settings → Chart of accounts → Archive): it takes no new entries. */
  archiveAccount(tenantId: string, accountId: string): void;
  /** A tax rate added in Xero's settings. */
  addTaxRate(tenantId: string, rate: SimTaxRate): void;
  /** Copies of the payments out of the organisation's bank accounts that refund a credit note, overpayment or prepayment. */
  refundPayments(tenantId: string): SimRefundPayment[];
  /** As when the merchant allocates part of an overpayment's credit to another invoice in Xero (amount in hundredths). */
  allocateOverpayment(tenantId: string, overpaymentId: string, amount: bigint): void;
  /** As when the merchant voids an overpayment in Xero. */
  voidOverpayment(tenantId: string, overpaymentId: string): void;
  /** Copies of the organisation's credit notes (amounts in hundredths). */
  creditNotes(tenantId: string): SimCreditNote[];
  /** Copies of the organisation's bank transfers, oldest first. */
  bankTransfers(tenantId: string): SimBankTransfer[];
  /** Forgets every Idempotency-Key answer, as Xero does after some minutes (xero/idempotency.ts). */
  forgetIdempotencyKeys(tenantId: string): void;
  /**
   * Changes people make to an invoice in Xero's UI. Each sends the invoice's webhook event when the
   * app is subscribed, and resolves once the receiver answered it.
   */
  invoices: {
    void(invoiceId: string): Promise<void>;
    editLines(invoiceId: string, lines: { description: string; quantity?: string; unitAmount: string }[]): Promise<void>;
    /** A payment entered by hand into a bank account that is not Xendit's. */
    payElsewhere(invoiceId: string, amount: string): Promise<void>;
    /**
     * Fixture, not one click of Xero's UI: there DELETED is "a draft invoice that is deleted" and an
     * approved one is VOIDED (developer.xero.com/documentation/api/accounting/types#invoices, Invoice
     * Status Codes). Puts the invoice in a status or currency the gateway must still refuse to take
     * money for, and sends the invoice's event as Xero does for any change.
     */
    force(invoiceId: string, change: { status?: SimInvoiceStatus; currency?: string }): Promise<void>;
    /** As seen from an organisation that does not have it (GET Invoices/{id} answers 404); no event. */
    forget(invoiceId: string): void;
  };
  webhooks: {
    /** As when the app's webhook is set up at developer.xero.com (URL and signing key). */
    subscribe(url: string, key: string): void;
    /** Xero's check before it enables the subscription. */
    intentToReceive(): Promise<{ passed: boolean; statuses: number[] }>;
    deliveries(): SimWebhookDelivery[];
  };
  oauth: {
    /** Calls to the token endpoint by OAuth apps, by grant type ("30 jobs → one refresh"). */
    tokenCalls(grant: 'authorization_code' | 'refresh_token'): number;
    /** Fault switch: every refresh answers invalid_grant (as after the user revoked us in Xero). */
    refuseRefresh(on: boolean): void;
    /** The consents given, oldest first. */
    grants(): SimGrantView[];
    /** Calls to /connect/revocation. */
    revocations(): number;
  };
}

function matches(r: SimRequest, f: SimRequestFilter): boolean {
  return (
    (!f.method || r.method === f.method.toUpperCase()) &&
    (f.pathPrefix === undefined || r.path.startsWith(f.pathPrefix)) &&
    (f.pathSuffix === undefined || r.path.endsWith(f.pathSuffix))
  );
}

function grantView(grantId: string, g: SimGrant): SimGrantView {
  return { grantId, clientId: g.clientId, scope: g.scope, connections: g.connections };
}

export function xeroTestApi(state: XeroSimState, useClock: (now?: () => Date) => void, now: () => Date): XeroSimTestApi {
  /** Changes the invoice as Xero's UI does, then sends its webhook event. */
  const change = async (invoiceId: string, apply: (o: SimOrganisation, inv: ReturnType<typeof orgOfInvoice>['inv']) => void) => {
    const { o, inv } = orgOfInvoice(state, invoiceId);
    apply(o, inv);
    await sendInvoiceEvent(state.webhooks, o, inv, now());
  };
  const requests = (filter: SimRequestFilter = {}) => state.requests.filter((r) => matches(r, filter)).map((r) => ({ ...r }));
  return {
    requests,
    countRequests: (filter) => requests(filter).length,
    clearRequests: () => void (state.requests.length = 0),
    useClock,
    tokenRequests: () => state.tokenRequests,
    organisation: (tenantId) => structuredClone(requireOrg(state, tenantId)),
    refundPayments: (tenantId) => refundPaymentsOf(requireOrg(state, tenantId)).map((p) => ({ ...p })),
    bankTransfers: (tenantId) => bankTransfersOf(requireOrg(state, tenantId)).map((t) => ({ ...t })),
    allocateOverpayment: (tenantId, overpaymentId, amount) => allocateOverpayment(requireOrg(state, tenantId), overpaymentId, amount, now()),
    voidOverpayment: (tenantId, overpaymentId) => voidOverpayment(requireOrg(state, tenantId), overpaymentId, now()),
    creditNotes: (tenantId) => [...creditNotesOf(requireOrg(state, tenantId)).values()].map((n) => structuredClone(n)),
    findOrganisation: (match) => {
      const found = [...state.orgs.values()].find((o) => match(structuredClone(o)));
      return found && structuredClone(found);
    },
    brandingThemes: (tenantId) => themesWithServices(requireOrg(state, tenantId)),
    setTimezone: (tenantId, timezone) => void (requireOrg(state, tenantId).timezone = timezone),
    setLockDates: (tenantId, locks) => {
      const o = requireOrg(state, tenantId);
      o.periodLockDate = locks.period;
      o.endOfYearLockDate = locks.endOfYear;
    },
    rotateClientSecret: (tenantId, clientSecret) => void (requireOrg(state, tenantId).clientSecret = clientSecret),
    removeAccount: (tenantId, name) => {
      const o = requireOrg(state, tenantId);
      o.accounts = o.accounts.filter((a) => a.name !== name);
    },
    archiveAccount: (tenantId, accountId) => {
      const account = requireOrg(state, tenantId).accounts.find((a) => a.accountId === accountId);
      if (!account) throw new Error(`no account ${accountId}`);
      account.status = 'ARCHIVED';
    },
    addTaxRate: (tenantId, rate) => void requireOrg(state, tenantId).taxRates.push({ ...rate }),
    forgetIdempotencyKeys: (tenantId) => requireOrg(state, tenantId).idempotency.clear(),
    invoices: {
      void: (invoiceId) => change(invoiceId, (_, inv) => voidInvoice(inv, now())),
      editLines: (invoiceId, lines) => change(invoiceId, (_, inv) => editInvoiceLines(inv, lines, now())),
      payElsewhere: (invoiceId, amount) => change(invoiceId, (o, inv) => void payElsewhere(o, inv, amount, now())),
      force: (invoiceId, to) =>
        change(invoiceId, (_, inv) => {
          if (to.status) inv.status = to.status;
          if (to.currency) inv.currencyCode = to.currency;
          inv.updatedAt = now();
        }),
      forget: (invoiceId) => void orgOfInvoice(state, invoiceId).o.invoices.delete(invoiceId),
    },
    webhooks: {
      subscribe: (url, key) => void (state.webhooks.subscription = { url, key }),
      intentToReceive: () => intentToReceive(state.webhooks),
      deliveries: () => state.webhooks.deliveries.map((d) => ({ ...d })),
    },
    oauth: {
      tokenCalls: (grant) => state.oauth.tokenCalls[grant],
      refuseRefresh: (on) => void (state.oauth.refuseRefresh = on),
      grants: () => [...state.oauth.grants].map(([id, g]) => grantView(id, g)),
      revocations: () => state.oauth.revocations,
    },
  };
}
