/**
 * The simulator's routes: pages, identity, then the accounting API behind authentication, rate limits
 * and idempotency.
 */
import { sendInvoiceEvent, voidInvoice, withApiEvents } from './webhooks.js';
import { paymentServiceRoutes } from './payment-services.js';
import express, { type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { escapeHtml, renderPage, sendPage, SIM_CSS } from '../html.js';
import { taxRateJson } from './tax-rates.js';
import { grantConnections, isOAuthClient, oauthRoutes, oauthTokenEndpoint } from './oauth.js';
import { isPaged, isSummaryOnly, summaryInvoiceJson, summaryOnlyInvoiceJson } from './invoice-summary.js';
import { idempotencyMiddleware } from './idempotency.js';
import { refundPaymentsOf } from './refund-payments.js';
import { findOverpayment, overpaymentJson } from './overpayments.js';
import { accountJson, createAccountRoute } from './accounts.js';
import { authenticate, tokenEndpoint } from './auth.js';
import { scopeCheck } from './scopes.js';
import { bankTransactionJson, createBankTransactionsRoute } from './bank-transactions.js';
import {
  bankTransferJson,
  bankTransfersOf,
  createBankTransfersRoute,
  deleteBankTransfersRoute,
  listedBankTransfers,
  transferSidesJson,
} from './bank-transfers.js';
import { currenciesOf, currencyJson } from './currencies.js';
import { bankSummaryRoute } from './bank-summary.js';
import { contactJson, createContactsRoute, searchedContacts } from './contacts.js';
import { notFound, validationBody, xeroErrorBody } from './errors.js';
import { filtered } from './filters.js';
import { INVOICES_HIGH_VOLUME, INVOICES_RULE, PAYMENTS_HIGH_VOLUME, PAYMENTS_RULE, refusedForVolume } from './high-volume.js';
import { API_PREFIX, envelope, isApi, org } from './http.js';
import { unitDpOf } from './decimals.js';
import { createInvoicesRoute, findInvoice, invoiceJson, listInvoices } from './invoices.js';
import { createManualJournalsRoute, manualJournalJson } from './journals.js';
import { connectionJson, organisationJson } from './organisations.js';
import { renderInvoicePage, renderOverview } from './pages.js';
import { createCreditNotesRoute, creditNoteJson, creditNotesOf } from './credit-notes.js';
import { createPaymentRoute, paymentJson, refundJson } from './payments.js';
import type { XeroSimulator } from './simulator.js';
import { type SimOrganisation, orgsOfClient } from './state.js';

const MAX_LOG = 1000;
/**
 * The longest query string (after the `?`, as sent, percent-escapes counted as three) Xero answers.
 * Longer: 404 "The resource you're looking for cannot be found", whatever the parameters: IIS's
 * request filtering (its default maxQueryString is 2048), which XeroAPI/Xero-Net#280 shows answering
 * "404.15 The request filtering module is configured to deny a request where the query string is too
 * long". Every report fits 2048: 52 InvoiceIDs with %2C pass and 53 fail (2 029 and 2 068
 * characters: XeroAPI/xero-node#404, XeroAPI/Xero-Java#328, XeroAPI/Xero-OpenAPI#534), 55 with bare
 * commas pass and 56 fail (2 038 and 2 075: XeroAPI/Xero-NetStandard#413), and a URL over 2 091
 * characters fails on /Contacts (XeroAPI/Xero-NetStandard#471). A `where` is counted like the rest.
 */
export const MAX_QUERY_STRING = 2048;

export function buildRoutes(sim: XeroSimulator, now: () => Date, log: Logger | undefined, latencyMs: () => number): void {
  const { router, state } = sim;
  router.use((req, _res, next) => {
    state.requests.push({ method: req.method, path: req.path, query: req.url.split('?')[1] ?? '', at: now() });
    if (state.requests.length > MAX_LOG) state.requests.shift();
    next();
  });
  router.get('/', (req, res) => sendPage(res, 200, renderOverview(state, `${req.baseUrl}/sim.css`)));
  // Xero's web app page for one invoice (go.xero.com/AccountsReceivable/View.aspx?InvoiceID=…): the admin links here.
  router.get('/AccountsReceivable/View.aspx', (req, res) => {
    const id = String(req.query.InvoiceID ?? '');
    const found = [...state.orgs.values()].map((o) => ({ o, inv: o.invoices.get(id) })).find((x) => x.inv);
    if (!found?.inv)
      return sendPage(
        res,
        404,
        renderPage(
          'Invoice not found',
          `${req.baseUrl}/sim.css`,
          '<main><h1>Invoice not found</h1><p class="muted">No invoice with this InvoiceID in the simulated Xero.</p></main>',
        ),
      );
    sendPage(res, 200, renderInvoicePage(found.o, found.inv, `${req.baseUrl}/sim.css`));
  });
  // Xero's "Invoice options → Void", as a person does it in the web app; the app's webhook follows.
  router.post('/AccountsReceivable/Void', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const id = String((req.body as Record<string, unknown>)?.InvoiceID ?? '');
    const found = [...state.orgs.values()].map((o) => ({ o, inv: o.invoices.get(id) })).find((x) => x.inv);
    if (!found?.inv) return notFound(res);
    try {
      voidInvoice(found.inv, now());
    } catch (err) {
      return sendPage(
        res,
        409,
        renderPage('Cannot void', `${req.baseUrl}/sim.css`, `<main><h1>Cannot void</h1><p>${escapeHtml((err as Error).message)}</p></main>`),
      );
    }
    await sendInvoiceEvent(state.webhooks, found.o, found.inv, now());
    res.redirect(303, `${req.baseUrl}/AccountsReceivable/View.aspx?InvoiceID=${encodeURIComponent(id)}`);
  });
  router.get('/sim.css', (_req, res) => {
    res.type('css').set('Cache-Control', 'public, max-age=300').send(SIM_CSS);
  });
  oauthRoutes(router, state, now);
  router.use(sim.faults.middleware());
  // Refused before the app sees the call (no token check, no rate limit): see MAX_QUERY_STRING.
  router.use((req, res, next) => (isApi(req) && queryStringOf(req).length > MAX_QUERY_STRING ? notFound(res) : next()));
  router.post('/connect/token', express.urlencoded({ extended: false }), (req, res) =>
    isOAuthClient(req, state) ? oauthTokenEndpoint(req, res, state, now()) : tokenEndpoint(state, req, res, now()),
  );
  router.use(express.json({ limit: '1mb' }));
  router.use((req, res, next) => (isApi(req) ? authenticate(sim, req, res, next, now(), latencyMs) : next()));
  router.use((req, res, next) => (isApi(req) ? scopeCheck(req, res, next) : next()));
  router.use(sim.faults.lateWrites());
  router.use((_req, res, next) => ((res.locals.pageBy = state.pageBy), next()));
  router.use(idempotencyMiddleware((res) => (res.locals.org as SimOrganisation | undefined)?.idempotency, now));

  router.get('/connections', (_req, res) => {
    if (res.locals.grantId) return void res.json(grantConnections(state, res.locals.grantId));
    res.json(orgsOfClient(state, res.locals.clientId).map(connectionJson));
  });
  const api = (path: string) => `${API_PREFIX}${path}`;
  router.get(api('/Organisation'), (_req, res) => {
    res.json(envelope(now(), { Organisations: [organisationJson(org(res))] }));
  });
  router.get(api('/Accounts'), (req, res) => {
    filtered(
      res,
      req,
      org(res).accounts.map((a) => accountJson(a, org(res))),
      (rows) => envelope(now(), { Accounts: rows }),
    );
  });
  router.put(api('/Accounts'), (req, res) => createAccountRoute(req, res, now()));
  router.get(api('/Currencies'), (req, res) => {
    filtered(res, req, currenciesOf(org(res)).map(currencyJson), (rows) => envelope(now(), { Currencies: rows }));
  });
  router.get(api('/Accounts/:id'), (req, res) => {
    const a = org(res).accounts.find((x) => x.accountId === String(req.params.id));
    if (!a) return notFound(res);
    res.json(envelope(now(), { Accounts: [accountJson(a, org(res))] }));
  });
  paymentServiceRoutes(router, api, now);
  router.get(api('/TaxRates'), (req, res) => {
    filtered(res, req, org(res).taxRates.map(taxRateJson), (rows) => envelope(now(), { TaxRates: rows }));
  });
  router.get(api('/Invoices'), (req, res) => {
    // Without `page` Xero answers the summary shape, with summaryOnly=true a lighter one, paged or not
    // (see invoice-summary.ts for the sources).
    const paged = isPaged(req.query);
    const light = isSummaryOnly(req.query);
    const dp = unitDpOf(req.query);
    const listed = listInvoices(org(res), req.query);
    const threshold = state.invoicesHighVolume ?? INVOICES_HIGH_VOLUME;
    // Counted only past the threshold: below it the rule never applies, and the JSON costs a list's worth.
    if (org(res).invoices.size > threshold) {
      const json = listed.map((i) => invoiceJson(org(res), i, dp));
      if (refusedForVolume(req, res, INVOICES_RULE, org(res).invoices.size, threshold, json)) return;
    }
    const rows = listed.map((i) => {
      const full = invoiceJson(org(res), i, dp);
      return light ? summaryOnlyInvoiceJson(full) : paged ? full : summaryInvoiceJson(full);
    });
    filtered(res, req, rows, (r) => envelope(now(), { Invoices: r }), { id: 'InvoiceID' });
  });
  router.get(api('/Invoices/:id'), (req, res) => {
    const inv = findInvoice(org(res), String(req.params.id));
    if (!inv) return notFound(res);
    res.json(envelope(now(), { Invoices: [invoiceJson(org(res), inv, unitDpOf(req.query))] }));
  });
  for (const method of ['put', 'post'] as const) {
    // Changes made through the API send webhook events too (webhooks.ts).
    router[method](api('/Invoices'), (req, res) => withApiEvents(state.webhooks, org(res), now(), () => createInvoicesRoute(sim, req, res, now())));
    router[method](api('/Payments'), (req, res) => withApiEvents(state.webhooks, org(res), now(), () => createPaymentRoute(sim, req, res, now(), log)));
  }
  router.get(api('/Contacts'), (req, res) => {
    filtered(res, req, searchedContacts([...org(res).contacts.values()], req.query.searchTerm).map(contactJson), (r) => envelope(now(), { Contacts: r }), {
      id: 'ContactID',
    });
  });
  router.get(api('/Contacts/:id'), (req, res) => {
    const c = [...org(res).contacts.values()].find((x) => x.contactId === String(req.params.id));
    if (!c) return notFound(res);
    res.json(envelope(now(), { Contacts: [contactJson(c)] }));
  });
  for (const method of ['put', 'post'] as const) {
    router[method](api('/Contacts'), (req, res) => createContactsRoute(sim, req, res, now()));
    router[method](api('/BankTransactions'), (req, res) => createBankTransactionsRoute(sim, req, res, now()));
  }
  // PUT creates; POST deletes (xero_accounting.yaml createBankTransfer ~2639, deleteBankTransfers ~2817, deleteBankTransfer ~2965).
  router.put(api('/BankTransfers'), (req, res) => createBankTransfersRoute(sim, req, res, now()));
  router.post(api('/BankTransfers'), (req, res) => deleteBankTransfersRoute(sim, req, res, now()));
  router.post(api('/BankTransfers/:id'), (req, res) => deleteBankTransfersRoute(sim, req, res, now()));
  router.get(api('/BankTransfers'), (req, res) => {
    const o = org(res);
    filtered(
      res,
      req,
      listedBankTransfers(o, req.query).map((t) => bankTransferJson(o, t)),
      (r) => envelope(now(), { BankTransfers: r }),
    );
  });
  router.get(api('/Reports/BankSummary'), (req, res) => bankSummaryRoute(req, res, now()));
  router.get(api('/BankTransactions'), (req, res) => {
    const o = org(res);
    const rows = [...o.bankTransactions.values()]
      .map((t) => bankTransactionJson(o, t, unitDpOf(req.query)))
      .concat(bankTransfersOf(o).flatMap((t) => transferSidesJson(o, t)));
    // Line items only with `page` (xero_accounting.yaml getBankTransactions `page`: "Up to 100 bank
    // transactions will be returned in a single API call with line items details"), as for invoices.
    const paged = isPaged(req.query);
    filtered(res, req, paged ? rows : rows.map(({ LineItems: _, ...summary }) => summary), (r) => envelope(now(), { BankTransactions: r }), {
      id: 'BankTransactionID',
    });
  });
  router.get(api('/BankTransactions/:id'), (req, res) => {
    const t = org(res).bankTransactions.get(String(req.params.id));
    if (!t) return notFound(res);
    res.json(envelope(now(), { BankTransactions: [bankTransactionJson(org(res), t, unitDpOf(req.query))] }));
  });
  for (const method of ['put', 'post'] as const) router[method](api('/ManualJournals'), (req, res) => createManualJournalsRoute(sim, req, res, now()));
  for (const method of ['put', 'post'] as const) router[method](api('/CreditNotes'), (req, res) => createCreditNotesRoute(sim, req, res, now()));
  router.get(api('/CreditNotes'), (req, res) => {
    filtered(res, req, [...creditNotesOf(org(res)).values()].map(creditNoteJson), (r) => envelope(now(), { CreditNotes: r }), {
      id: 'CreditNoteID',
    });
  });
  router.get(api('/ManualJournals'), (req, res) => {
    const o = org(res);
    // Journal lines only with `page` (xero_accounting.yaml getManualJournals `page`: "Up to 100 manual
    // journals will be returned in a single API call with line items shown for each"; developer.xero.com
    // /documentation/api/accounting/manualjournals: "with journal lines shown for each, when the page
    // parameter is used"), as for bank transactions; one read by its id has them.
    const paged = isPaged(req.query);
    filtered(
      res,
      req,
      [...o.manualJournals.values()].map((j) => manualJournalJson(o, j)).map((j) => (paged ? j : withoutLines(j))),
      (r) => envelope(now(), { ManualJournals: r }),
      { id: 'ManualJournalID' },
    );
  });
  router.get(api('/ManualJournals/:id'), (req, res) => {
    const j = org(res).manualJournals.get(String(req.params.id));
    if (!j) return notFound(res);
    res.json(envelope(now(), { ManualJournals: [manualJournalJson(org(res), j)] }));
  });
  router.get(api('/Payments'), (req, res) => {
    const o = org(res);
    const rows = [...o.payments.values()].map((p) => paymentJson(o, p)).concat(refundPaymentsOf(o).map((p) => refundJson(o, p, true)));
    if (refusedForVolume(req, res, PAYMENTS_RULE, rows.length, state.paymentsHighVolume ?? PAYMENTS_HIGH_VOLUME, rows)) return;
    filtered(res, req, rows, (r) => envelope(now(), { Payments: r }), { id: 'PaymentID' });
  });
  router.get(api('/Overpayments/:id'), (req, res) => {
    const t = findOverpayment(org(res), String(req.params.id));
    if (!t) return notFound(res);
    res.json(envelope(now(), { Overpayments: [overpaymentJson(org(res), t)] }));
  });
  router.get(api('/Payments/:id'), (req, res) => {
    const p = org(res).payments.get(String(req.params.id));
    if (!p) return notFound(res);
    res.json(envelope(now(), { Payments: [paymentJson(org(res), p)] }));
  });
  router.use((req, res) => {
    if (isApi(req)) return notFound(res);
    res.status(404).type('text').send('Not found');
  });
  router.use((err: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
    const status = (err as { status?: number }).status ?? 500;
    if (status >= 500) log?.error({ err }, 'xero sim: request failed');
    res.status(status).json(status === 400 ? validationBody(['The request body could not be read']) : xeroErrorBody(status));
  });
}

/** The query string exactly as the client sent it, percent-escapes and all. */
function queryStringOf(req: Request): string {
  const at = req.originalUrl.indexOf('?');
  return at < 0 ? '' : req.originalUrl.slice(at + 1);
}

function withoutLines({ JournalLines: _, ...summary }: Record<string, unknown>): Record<string, unknown> {
  return summary;
}
