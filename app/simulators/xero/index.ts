/**
 * A Xero simulator good enough for xero-node: the identity token endpoint, /connections and the
 * accounting endpoints the gateway uses, in Xero's own JSON shapes (PascalCase, /Date(ms+0000)/,
 * the {Id, Status, ProviderName, DateTimeUTC, ...} envelope). Mount the router anywhere and point
 * both the identity URL and the API URL at the mount.
 *
 * Money is kept exact: bigint hundredths for amounts, ten-thousandths for quantities and unit
 * prices (Xero's unitdp=4), and only turned into JSON numbers when serialised.
 *
 * One file per resource: state.ts (the data), simulator.ts (the simulator's and the test API's
 * interfaces), auth.ts and oauth.ts (identity), limits.ts, routes.ts (the wiring), organisations.ts,
 * accounts.ts, contacts.ts, invoices.ts, payments.ts, bank-transactions.ts, journals.ts; test-api.ts
 * is what tests may look at and change.
 */
import express from 'express';
import { Faults } from '../faults.js';
import { grantDirectly } from './oauth.js';
import { addRefundPayment } from './refund-payments.js';
import { accountFor, addAccount, balanceOf } from './accounts.js';
import { issueRefreshToken } from './auth.js';
import { parseScaled } from './decimals.js';
import { xeroErrorBody } from './errors.js';
import { isApi } from './http.js';
import { addInvoice, findInvoiceAnywhere, toGatewayInvoice } from './invoices.js';
import { DEFAULT_LIMITS } from './limits.js';
import { addOrganisation } from './organisations.js';
import { recordPayment } from './payments.js';
import { buildRoutes } from './routes.js';
import { xeroTestApi } from './test-api.js';
import type { XeroSimulator, XeroSimulatorOptions } from './simulator.js';
import { type XeroSimLimits, allPayments, emptyState, requireOrg } from './state.js';

export type {
  NewSimInvoice,
  NewSimOrganisation,
  SimAccount,
  SimAccountType,
  SimBankTransaction,
  SimContact,
  SimInvoice,
  SimManualJournal,
  SimOrganisation,
  SimPayment,
  XeroSimLimits,
  XeroSimState,
} from './state.js';
export type { XeroSimulator, XeroSimulatorOptions } from './simulator.js';

export function createXeroSimulator(options: XeroSimulatorOptions = {}): XeroSimulator {
  const own = options.now ?? (() => new Date());
  let clock = own;
  const now = () => clock();
  const log = options.logger;
  const state = emptyState();
  const limits: XeroSimLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const faults = new Faults({ isApi, errorBody: xeroErrorBody, now });

  const sim: XeroSimulator = {
    router: express.Router(),
    state,
    faults,
    limits,
    test: xeroTestApi(state, (c) => void (clock = c ?? own), now),
    addOrganisation: (o) => addOrganisation(state, o, now()),
    addAccount: (tenantId, a) => addAccount(requireOrg(state, tenantId), a),
    bankAccountFor: (tenantId, nameOrCode) => accountFor(requireOrg(state, tenantId), nameOrCode),
    addInvoice: (i) => addInvoice(state, i, now()),
    findInvoice: (idOrNumber, tenantId) => findInvoiceAnywhere(state, idOrNumber, tenantId),
    listInvoices: (tenantId) => [...requireOrg(state, tenantId).invoices.values()].map(toGatewayInvoice),
    recordPayment: (tenantId, invoiceId, amount, accountId, reference = 'Manual payment', currencyRate) =>
      recordPayment(requireOrg(state, tenantId), { invoiceId, amount, accountId, reference, currencyRate }, now()),
    addRefundPayment: (tenantId, p) => addRefundPayment(requireOrg(state, tenantId), { ...p, amount: parseScaled(p.amount, 2)! }, now()),
    paymentsOf: (invoiceId) => allPayments(state).filter((p) => p.invoiceId === invoiceId),
    contactsOf: (tenantId) => [...requireOrg(state, tenantId).contacts.values()],
    invoicesOf: (tenantId) => [...requireOrg(state, tenantId).invoices.values()],
    bankTransactionsOf: (tenantId) => [...requireOrg(state, tenantId).bankTransactions.values()],
    manualJournalsOf: (tenantId) => [...requireOrg(state, tenantId).manualJournals.values()],
    balanceOf: (tenantId, accountId) => balanceOf(requireOrg(state, tenantId), accountId),
    issueRefreshToken: (clientId) => issueRefreshToken(state, clientId, now()),
    addOAuthApp: (clientId, clientSecret) => void state.oauth.apps.set(clientId, { clientSecret }),
    grantOAuth: (clientId, tenantIds, scope) => grantDirectly(state, clientId, tenantIds, now(), scope),
    revokeTokens: () => state.accessTokens.clear(),
    reset: () => {
      Object.assign(state, emptyState());
      Object.assign(limits, DEFAULT_LIMITS, options.limits);
      faults.reset();
      clock = own; // a test's clock (test API useClock) ends with its test
    },
  };
  buildRoutes(sim, now, log, options.latencyMs ?? (() => 0));
  return sim;
}
