/**
 * What tests may see of the simulated Xero beyond its HTTP API, and the few changes they may make
 * to it behind the gateway's back: copies of the request log and of organisations, counters, and
 * named commands. Tests use `sim.test`, never `sim.state` (eslint's no-restricted-syntax rule on
 * test/ and test/unit/sim-state-rule.test.ts keep it so), so the state's shape stays the
 * simulators' own business. Its interface, XeroSimTestApi, is in simulator.ts.
 */
import type { SimGrant } from './oauth.js';
import { parseScaled } from './decimals.js';
import { requireOrg, type SimOrganisation, type SimRequest, type XeroSimState } from './state.js';
import type { SimGrantView, SimRequestFilter, XeroSimTestApi } from './simulator.js';
import { themesWithServices } from './payment-services.js';
import { creditNotesOf, allocateCreditNote, creditInvoice } from './credit-notes.js';
import { bankTransfersOf, deleteBankTransfer } from './bank-transfers.js';
import { addCurrency, currenciesOf } from './currencies.js';
import { refundPaymentsOf } from './refund-payments.js';
import { allocateOverpayment, allocatePrepayment, receiveCredit, voidOverpayment } from './overpayments.js';
import { voidManualJournal } from './journals.js';
import { deliver, editInvoiceLines, intentToReceive, orgOfInvoice, payElsewhere, redeliverLast, sendInvoiceEvent, subscribe, voidInvoice } from './webhooks.js';

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
  /**
   * An allocation changes the invoice (AmountDue, AmountCredited): its event follows, as for any change.
   * Xero's webhook docs (developer.xero.com/documentation/guides/webhooks/overview) name invoice UPDATE
   * events without listing which changes send one; if an allocation sends none, the scheduled
   * comparison (OPEN_CHECKOUT_CHECK_MINUTES) finds it, tested without the event in xero-webhooks.test.ts.
   */
  const allocated = async (tenantId: string, invoiceId: string, allocate: (o: SimOrganisation) => void) => {
    const o = requireOrg(state, tenantId);
    allocate(o);
    await sendInvoiceEvent(state.webhooks, o, o.invoices.get(invoiceId)!, now());
  };
  const requests = (filter: SimRequestFilter = {}) => state.requests.filter((r) => matches(r, filter)).map((r) => ({ ...r }));
  return {
    requests,
    countRequests: (filter) => requests(filter).length,
    clearRequests: () => void (state.requests.length = 0),
    useClock,
    tokenRequests: () => state.tokenRequests,
    pageBy: (size) => void (state.pageBy = size),
    highVolumeThreshold: (payments, invoices) => {
      state.paymentsHighVolume = payments;
      state.invoicesHighVolume = invoices;
    },
    setDayLimit: (clientId, perDay) => void (perDay === undefined ? state.dayLimits.delete(clientId) : state.dayLimits.set(clientId, perDay)),
    organisation: (tenantId) => structuredClone(requireOrg(state, tenantId)),
    refundPayments: (tenantId) => refundPaymentsOf(requireOrg(state, tenantId)).map((p) => ({ ...p })),
    bankTransfers: (tenantId) => bankTransfersOf(requireOrg(state, tenantId)).map((t) => ({ ...t })),
    deleteBankTransfer: (tenantId, bankTransferId) => {
      const t = bankTransfersOf(requireOrg(state, tenantId)).find((x) => x.bankTransferId === bankTransferId);
      if (!t) throw new Error(`no bank transfer ${bankTransferId}`);
      deleteBankTransfer(t, now());
    },
    addCurrency: (tenantId, code) => addCurrency(requireOrg(state, tenantId), code),
    currencies: (tenantId) => [...currenciesOf(requireOrg(state, tenantId))],
    receiveCredit: (tenantId, type, input) => receiveCredit(requireOrg(state, tenantId), type, input, now()),
    allocateOverpayment: (tenantId, overpaymentId, amount, invoiceId) =>
      allocated(tenantId, invoiceId, (o) => allocateOverpayment(o, overpaymentId, amount, invoiceId, now())),
    allocatePrepayment: (tenantId, prepaymentId, amount, invoiceId) =>
      allocated(tenantId, invoiceId, (o) => allocatePrepayment(o, prepaymentId, amount, invoiceId, now())),
    voidOverpayment: (tenantId, overpaymentId) => voidOverpayment(requireOrg(state, tenantId), overpaymentId, now()),
    voidManualJournal: (tenantId, manualJournalId) => voidManualJournal(requireOrg(state, tenantId), manualJournalId, now()),
    allocateCreditNote: (tenantId, creditNoteId, amount, invoiceId) =>
      allocated(tenantId, invoiceId, (o) => allocateCreditNote(o, creditNoteId, amount, invoiceId, now())),
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
      credit: (invoiceId, amount) =>
        change(invoiceId, (o, inv) => {
          const value = parseScaled(amount, 2);
          if (value === undefined) throw new Error(`bad amount ${amount}`);
          creditInvoice(o, inv, value, now());
        }),
      force: (invoiceId, to) =>
        change(invoiceId, (_, inv) => {
          if (to.status) inv.status = to.status;
          if (to.currency) inv.currencyCode = to.currency;
          inv.updatedAt = now();
        }),
      forget: (invoiceId) => void orgOfInvoice(state, invoiceId).o.invoices.delete(invoiceId),
    },
    webhooks: {
      subscribe: (url, key) => subscribe(state.webhooks, url, key),
      intentToReceive: () => intentToReceive(state.webhooks),
      deliveries: () => state.webhooks.deliveries.map((d) => ({ ...d })),
      deliverDue: () => deliver(state.webhooks, now()),
      status: () => state.webhooks.subscription && (state.webhooks.subscription.status ?? 'OK'),
      redeliverLast: () => redeliverLast(state.webhooks, now()),
    },
    oauth: {
      tokenCalls: (grant) => state.oauth.tokenCalls[grant],
      refuseRefresh: (on) => void (state.oauth.refuseRefresh = on),
      grants: () => [...state.oauth.grants].map(([id, g]) => grantView(id, g)),
      limitConnections: (clientId, max) => {
        const app = state.oauth.apps.get(clientId);
        if (!app) throw new Error(`no OAuth app ${clientId}`);
        if (max === undefined) delete app.maxConnections;
        else app.maxConnections = max;
      },
      revocations: () => state.oauth.revocations,
    },
  };
}
