import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { DomainError, type MessageKey } from './errors.js';
import { chooseLang, type I18n } from './i18n/index.js';
import { switchLangUrl } from './pay/controller.js';
import { paths } from './paths.js';
import { adminLang } from './admin/i18n/lang.js';

const TONE: Partial<Record<MessageKey, string>> = { alreadyPaid: 'ok', internal: 'bad' };

/** Body-parser and similar errors carry an HTTP status of their own (400, 413, 415). */
function clientStatusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown; statusCode?: unknown })?.status ?? (err as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

export function notFoundHandler(i18n: I18n): RequestHandler {
  return (req, res) => {
    if (!req.accepts('html')) {
      res.status(404).json({ error: 'not found' });
      return;
    }
    renderPage(i18n, req, res, 404, 'notFound', {});
  };
}

/** The one place errors become responses: a page for people, JSON for machines, never a stack trace. */
export function errorHandler(logger: Logger, i18n: I18n): ErrorRequestHandler {
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
    // A page names only what its error carries; the others read as empty rather than as "{invoice}".
    const params = { invoice: '', currency: '', seconds: '', ...domain?.params };
    const processing = (domain as { processing?: boolean } | undefined)?.processing;
    renderPage(i18n, req, res, status, key, params, processing);
  };
}

function renderPage(
  i18n: I18n,
  req: Parameters<RequestHandler>[0],
  res: Parameters<RequestHandler>[1],
  status: number,
  key: MessageKey,
  params: Record<string, string>,
  processing = false,
): void {
  if (req.path === paths.admin || req.path.startsWith(`${paths.admin}/`)) {
    renderAdminPage(i18n, req, res, status, key);
    return;
  }
  const lang = chooseLang(req.query?.lang, req.get('accept-language'));
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
    body: t(page.body, params),
    retryUrl: key === 'unavailable' || key === 'internal' ? req.originalUrl : undefined,
    langSwitchUrl: switchLangUrl(req.originalUrl, lang),
  });
}

/** The admin's own error pages (id/en), inside its navigation when someone is signed in. */
function renderAdminPage(i18n: I18n, req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1], status: number, key: MessageKey): void {
  const session = res.locals.session as { user?: unknown; csrfToken?: string } | undefined;
  const lang = adminLang(req);
  const a = i18n.fixed(lang, 'admin');
  res.status(status).render('admin/message', {
    lang,
    t: i18n.fixed(lang, 'pay'),
    a,
    langSwitchUrl: req.method === 'GET' ? switchLangUrl(req.originalUrl, lang) : undefined,
    tone: status >= 500 ? 'bad' : 'warn',
    // locales/<lang>/adminPages.json: { <key>: { title, body } }
    title: a(`adminPages:${key}.title`),
    body: a(`adminPages:${key}.body`),
    user: session?.user ?? null,
    csrfToken: session?.csrfToken ?? '',
    paths,
  });
}
