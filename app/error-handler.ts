import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { DomainError, type MessageKey } from './errors.js';
import { chooseLang, translator, type MessageId } from './i18n.js';
import { switchLangUrl } from './lang-switch.js';

const PAGE: Record<MessageKey, { title: MessageId; body: MessageId; tone: string }> = {
  badRequest: { title: 'badRequestTitle', body: 'badRequestBody', tone: 'warn' },
  notFound: { title: 'notFoundTitle', body: 'notFoundBody', tone: 'warn' },
  alreadyPaid: { title: 'alreadyPaidTitle', body: 'alreadyPaidBody', tone: 'ok' },
  notPayable: { title: 'notPayableTitle', body: 'notPayableBody', tone: 'warn' },
  unsupportedCurrency: { title: 'unsupportedCurrencyTitle', body: 'unsupportedCurrencyBody', tone: 'warn' },
  unavailable: { title: 'unavailableTitle', body: 'unavailableBody', tone: 'warn' },
  tooMany: { title: 'tooManyTitle', body: 'tooManyBody', tone: 'warn' },
  internal: { title: 'internalTitle', body: 'internalBody', tone: 'bad' },
  forbidden: { title: 'forbiddenTitle', body: 'forbiddenBody', tone: 'warn' },
  tooManyRequests: { title: 'tooManyRequestsTitle', body: 'tooManyRequestsBody', tone: 'warn' },
  linkExpired: { title: 'linkExpiredTitle', body: 'linkExpiredBody', tone: 'warn' },
  linkOutdated: { title: 'linkOutdatedTitle', body: 'linkOutdatedBody', tone: 'warn' },
  conflict: { title: 'conflictTitle', body: 'conflictBody', tone: 'warn' },
};

/** What an error page shows: the family's message key and the values its text may name. */
export interface ErrorPageInput {
  status: number;
  key: MessageKey;
  vars: Record<string, string>;
  /** The customer's money arrived and is being recorded (an "already paid" that is still in progress). */
  processing: boolean;
}

/** Renders the page for people; a feature with its own look (the admin) passes its own. */
export type ErrorPage = (req: Request, res: Response, page: ErrorPageInput) => void;

export interface ErrorHandlerOptions {
  page?: ErrorPage;
  /** Requests answered in JSON whatever they accept (machine routes such as callbacks). */
  json?: (req: Request) => boolean;
}

/** Body-parser and similar errors carry an HTTP status of their own (400, 413, 415). */
function clientStatusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown; statusCode?: unknown })?.status ?? (err as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

export const notFoundHandler: RequestHandler = (req, res) => {
  if (!req.accepts('html')) {
    res.status(404).json({ error: 'not found' });
    return;
  }
  genericPage(req, res, { status: 404, key: 'notFound', vars: {}, processing: false });
};

/**
 * Where errors become responses: a page for people, JSON for machines, never a stack trace. The
 * DomainError family says the status and the message; which page shows it is the caller's choice
 * (server.ts for the app, each admin router for its own pages).
 */
export function errorHandler(logger: Logger, options: ErrorHandlerOptions = {}): ErrorRequestHandler {
  const page = options.page ?? genericPage;
  return (err, req, res, _next) => {
    const domain = err instanceof DomainError ? err : undefined;
    const status = domain?.status ?? clientStatusOf(err) ?? 500;
    if (status >= 500 && !domain) logger.error({ err, path: req.path }, 'unhandled error');
    else logger.info({ status, reason: domain?.message ?? (err as Error)?.message, path: req.path }, 'request refused');
    if (res.headersSent) return;
    if (domain?.retryAfterSeconds) res.set('Retry-After', String(domain.retryAfterSeconds));
    res.set('Cache-Control', 'no-store');

    if (options.json?.(req) || !req.accepts('html')) {
      const reason = domain?.publicReason ?? (status < 500 ? ((err as Error)?.message ?? 'bad request') : 'internal error');
      res.status(status).json({ error: reason });
      return;
    }
    const key: MessageKey = domain?.messageKey ?? (status < 500 ? 'badRequest' : 'internal');
    const vars = {
      invoice: String((domain as { invoiceNumber?: string } | undefined)?.invoiceNumber ?? ''),
      currency: String((domain as { currency?: string } | undefined)?.currency ?? ''),
      seconds: String(domain?.retryAfterSeconds ?? ''),
    };
    const processing = Boolean((domain as { processing?: boolean } | undefined)?.processing);
    page(req, res, { status, key, vars, processing });
  };
}

/** The page in the customer-facing style and language (id/en), with a retry link when trying again may help. */
const genericPage: ErrorPage = (req, res, { status, key, vars, processing }) => {
  const lang = chooseLang(req.query?.lang, req.get('accept-language'));
  const t = translator(lang);
  const page = processing ? { title: 'processingTitle' as const, body: 'processingBody' as const, tone: 'ok' } : PAGE[key];
  res.status(status).render('pay/message', {
    lang,
    t,
    tone: page.tone,
    title: t(page.title),
    body: t(page.body, vars),
    retryUrl: key === 'unavailable' || key === 'internal' ? req.originalUrl : undefined,
    langSwitchUrl: switchLangUrl(req.originalUrl, lang),
  });
};
