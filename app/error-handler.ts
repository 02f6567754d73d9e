import { loggablePath } from './log-paths.js';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { DomainError, ServiceUnavailable, TooManyRequests, type MessageKey, type RetryWait } from './errors.js';
import { databaseUnreachable } from './store/unavailable.js';
import { choosePayLang, type I18n } from './i18n/index.js';
import { payLangLinks, samePage } from './lang-switch.js';
import { tooManyText } from './i18n/wait.js';

const TONE: Partial<Record<MessageKey, string>> = { alreadyPaid: 'ok', internal: 'bad' };

/** What an error page shows: the family's message key and the values its text may name. */
export interface ErrorPageInput {
  status: number;
  key: MessageKey;
  vars: Record<string, string>;
  /** The customer's money arrived and is being recorded (an "already paid" that is still in progress). */
  processing: boolean;
  /** A refusal's Retry-After in seconds and, when known, when and in which zone it ends. */
  retry?: { seconds: number; wait?: RetryWait };
}

/** Renders the page for people; a feature with its own look (the admin) passes its own. */
export type ErrorPage = (req: Request, res: Response, page: ErrorPageInput) => void;

export interface ErrorHandlerOptions {
  /** The page for people; without one, errors are answered in JSON. */
  page?: ErrorPage;
  /** Requests answered in JSON whatever they accept (machine routes such as callbacks). */
  json?: (req: Request) => boolean;
}

/** Body-parser and similar errors carry an HTTP status of their own (400, 413, 415). */
function clientStatusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown; statusCode?: unknown })?.status ?? (err as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

export function notFoundHandler(i18n: I18n): RequestHandler {
  const page = genericPage(i18n);
  return (req, res) => {
    if (!req.accepts('html')) {
      res.status(404).json({ error: 'not found' });
      return;
    }
    page(req, res, { status: 404, key: 'notFound', vars: {}, processing: false });
  };
}

/**
 * Where errors become responses: a page for people, JSON for machines, never a stack trace. The
 * DomainError family says the status and the message; which page shows it is the caller's choice
 * (server.ts for the app, each admin router for its own pages).
 */
export function errorHandler(logger: Logger, options: ErrorHandlerOptions = {}): ErrorRequestHandler {
  const page = options.page;
  return (caught, req, res, _next) => {
    // The database out of reach is no bug of the request's: "try again" (503, Retry-After), logged as the error it is.
    const unreachable = !(caught instanceof DomainError) && clientStatusOf(caught) === undefined && databaseUnreachable(caught);
    const err: unknown = unreachable ? new ServiceUnavailable('database unreachable') : caught;
    const domain = err instanceof DomainError ? err : undefined;
    const status = domain?.status ?? clientStatusOf(err) ?? 500;
    if (unreachable) logger.error({ err: caught, path: loggablePath(req.path) }, 'database unreachable');
    else if (status >= 500 && !domain) logger.error({ err, path: loggablePath(req.path) }, 'unhandled error');
    else logger.info({ status, reason: domain?.message ?? (err as Error)?.message, path: loggablePath(req.path) }, 'request refused');
    if (res.headersSent) return;
    if (domain?.retryAfterSeconds) res.set('Retry-After', String(domain.retryAfterSeconds));
    res.set('Cache-Control', 'no-store');

    if (!page || options.json?.(req) || !req.accepts('html')) {
      const reason = domain?.publicReason ?? (status < 500 ? ((err as Error)?.message ?? 'bad request') : 'internal error');
      res.status(status).json({ error: reason });
      return;
    }
    const key: MessageKey = domain?.messageKey ?? (status < 500 ? 'badRequest' : 'internal');
    // A page names only what its error carries; the others read as empty rather than as "{invoice}".
    const vars = { invoice: '', currency: '', seconds: '', ...domain?.params };
    const processing = Boolean((domain as { processing?: boolean } | undefined)?.processing);
    const retry = domain?.retryAfterSeconds
      ? { seconds: domain.retryAfterSeconds, ...(domain instanceof TooManyRequests && domain.wait ? { wait: domain.wait } : {}) }
      : undefined;
    page(req, res, { status, key, vars, processing, ...(retry ? { retry } : {}) });
  };
}

/** The page in the customer-facing style and language (pay/ catalogues), with a retry link when trying again may help. */
export function genericPage(i18n: I18n): ErrorPage {
  return (req, res, { status, key, vars, processing, retry }) => {
    const lang = choosePayLang(req.query?.lang, req.get('accept-language'), req.query?.currency);
    const t = i18n.fixed(lang, 'pay');
    // Each outcome's page is the pair <key>Title / <key>Body in locales/<lang>/pay.json.
    const page = processing
      ? { title: 'processingTitle', body: 'processingBody', tone: 'ok' }
      : { title: `${key}Title`, body: `${key}Body`, tone: TONE[key] ?? 'warn' };
    res.status(status).render('pay/message', {
      lang,
      t,
      tone: page.tone,
      title: t(page.title),
      // A long wait as the time it ends, never a count of seconds nobody can act on (i18n/wait.ts).
      body: key === 'tooMany' && retry && !processing ? t.msg(tooManyText(lang, retry.seconds, retry.wait)) : t(page.body, vars),
      // The page again, as a path on this site: a request target in absolute-form names a host of the client's choosing.
      retryUrl: key === 'unavailable' || key === 'internal' ? samePage(req.originalUrl, {}) : undefined,
      langLinks: payLangLinks(req.originalUrl, lang),
    });
  };
}
