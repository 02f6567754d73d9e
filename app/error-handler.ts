import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { DomainError, type MessageKey } from './errors.js';
import { chooseLang, translator, type MessageId } from './i18n.js';
import { switchLangUrl } from './pay/controller.js';
import { paths } from './paths.js';
import { adminPage } from './admin/i18n/messages.js';
import { adminLang } from './admin/i18n/lang.js';
import { adminText } from './admin/i18n/admin-text.js';

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
  renderPage(req, res, 404, 'notFound', {});
};

/** The one place errors become responses: a page for people, JSON for machines, never a stack trace. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const domain = err instanceof DomainError ? err : undefined;
    const status = domain?.status ?? clientStatusOf(err) ?? 500;
    if (status >= 500 && !domain) logger.error({ err, path: req.path }, 'unhandled error');
    else logger.info({ status, reason: domain?.message ?? (err as Error)?.message, path: req.path }, 'request refused');
    if (res.headersSent) return;
    if (domain?.retryAfterSeconds) res.set('Retry-After', String(domain.retryAfterSeconds));
    res.set('Cache-Control', 'no-store');

    const wantsJson = req.path.startsWith('/callbacks/') || !req.accepts('html');
    if (wantsJson) {
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
    const processing = (domain as { processing?: boolean } | undefined)?.processing;
    renderPage(req, res, status, key, vars, processing);
  };
}

function renderPage(
  req: Parameters<RequestHandler>[0],
  res: Parameters<RequestHandler>[1],
  status: number,
  key: MessageKey,
  vars: Record<string, string>,
  processing = false,
): void {
  if (req.path === paths.admin || req.path.startsWith(`${paths.admin}/`)) {
    renderAdminPage(req, res, status, key);
    return;
  }
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
}

/** The admin's own error pages (id/en), inside its navigation when someone is signed in. */
function renderAdminPage(req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1], status: number, key: MessageKey): void {
  const session = res.locals.session as { user?: unknown; csrfToken?: string } | undefined;
  const lang = adminLang(req);
  const page = adminPage(lang, key);
  res.status(status).render('admin/message', {
    lang,
    t: translator(lang),
    a: adminText(lang),
    langSwitchUrl: req.method === 'GET' ? switchLangUrl(req.originalUrl, lang) : undefined,
    tone: status >= 500 ? 'bad' : 'warn',
    title: page.title,
    body: page.body,
    user: session?.user ?? null,
    csrfToken: session?.csrfToken ?? '',
    paths,
  });
}
