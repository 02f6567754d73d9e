/**
 * XeroGateway over the official xero-node SDK, for Custom Connections (client_credentials) and
 * merchants connected with OAuth 2.0. The same code talks to real Xero, app/simulators/xero or
 * anyone's fake: only the URLs differ (routing.ts).
 */
import { paymentServiceCalls } from './payment-services.js';
import type { Logger } from 'pino';
import type { CallObserver } from '../types.js';
import { accountCalls } from './accounts.js';
import { bankTransactionCalls } from './bank-transactions.js';
import { bankTransferCalls } from './bank-transfers.js';
import { useBudget } from './budget.js';
import { createCaller, type XeroCalls } from './call.js';
import { contactCalls } from './contacts.js';
import { creditNoteCalls } from './credit-notes.js';
import { overpaymentCalls } from './overpayments.js';
import { refundPaymentCalls } from './refund-payments.js';
import { invoiceCalls } from './invoices.js';
import { journalCalls } from './journals.js';
import { organisationCalls } from './organisation.js';
import { paymentCalls } from './payments.js';
import { routeOf } from './routing.js';
import { createSessions } from './tokens.js';
import { DEFAULT_XERO_API_SCOPES } from '../../../config/constants.js';
import type { XeroBudget, XeroCallPurpose, XeroGateway, XeroTokenStore } from './types.js';

export interface XeroClientOptions {
  /** e.g. https://api.xero.com (no /api.xro/2.0) */
  apiUrl: string;
  /** e.g. https://identity.xero.com */
  identityUrl: string;
  timeoutMs?: number;
  now?: () => Date;
  logger?: Logger;
  /** Custom Connections: the scopes asked for in the client_credentials grant (default DEFAULT_XERO_API_SCOPES). */
  scopes?: string[];
  /** Xero's rate limits, shared by every process (app/store/xero-budget.ts); unlimitedXeroBudget (budget.ts) in tests that do not care. */
  budget: XeroBudget;
  /** How long a call may wait for one of the organisation's in-flight slots before giving up (rate_limited). */
  slotWaitMs?: number;
  /** The gateway's Xero app, for merchants connected with OAuth 2.0 (their credentials carry `oauth`). */
  oauth?: { clientId: string; clientSecret: string; tokens: XeroTokenStore };
  /** Latency and errors of each API call (not token fetches, not calls the budget held back), for /metrics. */
  observer?: CallObserver;
}

export function createXeroClient(opts: XeroClientOptions): XeroGateway {
  const route = routeOf(opts);
  const now = opts.now ?? (() => new Date());
  const logger = opts.logger;
  const sessions = createSessions({ route, now, scopes: opts.scopes ?? DEFAULT_XERO_API_SCOPES, logger, oauth: opts.oauth });
  const budget = useBudget({ budget: opts.budget, slotWaitMs: opts.slotWaitMs ?? 3000, now, logger });
  const callerFor = createCaller({ route, sessions, budget, now, logger, observer: opts.observer });

  function gateway(purpose: XeroCallPurpose): XeroGateway {
    const calls: XeroCalls = { call: callerFor(purpose), refund: budget.refund };
    return {
      forPurpose: (p) => gateway(p),
      keepAliveToken: (merchantId, idleBefore) => sessions.keepAlive(merchantId, idleBefore),
      ...organisationCalls(calls),
      ...invoiceCalls(calls),
      ...paymentCalls(calls),
      ...accountCalls(calls),
      ...contactCalls(calls),
      ...bankTransactionCalls(calls),
      ...journalCalls(calls),
      ...paymentServiceCalls(calls),
      ...creditNoteCalls(calls),
      ...overpaymentCalls(calls),
      ...refundPaymentCalls(calls),
      ...bankTransferCalls(calls),
    };
  }

  return gateway('read');
}
