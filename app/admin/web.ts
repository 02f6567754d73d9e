/**
 * What every /admin page and form shares: the deps, rendering with the common locals, form parsing,
 * re-showing a refused form, keeping out whoever is not signed in, and the error pages. Imports
 * nothing from the admin's feature folders, so they can all import it.
 */
import { isSupportedCurrency, toMinor } from '../money.js';
import type { ErrorRequestHandler, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { errorHandler, type ErrorPage } from '../error-handler.js';
import { FormInvalid, NotFound } from '../errors.js';
import type { I18n, Lang } from '../i18n/index.js';
import { adminMerchantPath, adminPaymentPath, adminPaymentRefundPath, adminPaymentRetryPath, paths, xeroEntryUrl, xeroInvoiceUrl } from '../paths.js';
import { switchLangUrl } from '../lang-switch.js';
import { adminLang } from './i18n/lang.js';
import { currentSession, type AdminSession } from './session.js';

export type { AdminDeps } from './deps.js';

/**
 * zod issues → one message per form field, for showing next to the field. The schemas' own errors
 * are catalogue keys ('errors:…'); zod's built-in English ones become errors:invalidValue.
 */
export function parseForm<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {}, { error: () => 'errors:invalidValue' });
  if (parsed.success) return parsed.data;
  const fields: Record<string, string> = {};
  for (const issue of parsed.error.issues) fields[String(issue.path[0] ?? 'form')] ??= issue.message;
  throw new FormInvalid(fields);
}

/** The page's language (set for every /admin request by adminRouter). */
export function langOf(res: Response): Lang {
  return (res.locals.lang as Lang | undefined) ?? 'en';
}

const XERO_FLASHES = ['connected', 'reconnected', 'disconnected'] as const;

/** The locals every admin page uses: the session (user, CSRF token), language, links and formatters. */
export function render(res: Response, status: number, view: string, locals: Record<string, unknown>): void {
  const session = currentSession(res);
  const lang = langOf(res);
  const i18n = res.locals.i18n as I18n; // set for every /admin request by adminRouter
  // The page's time zone: the merchant's Xero organisation's when the page is about one merchant
  // (set by the router for merchant users and merchant pages, or by the page), else UTC.
  const timeZone = String(locals.timeZone ?? res.locals.timeZone ?? 'UTC');
  const formats = i18n.formats(lang, timeZone);
  res.status(status).render(`admin/${view}`, {
    lang,
    t: i18n.fixed(lang, 'pay'),
    a: i18n.fixed(lang, 'admin'),
    g: i18n.fixed(lang, 'golive'),
    langSwitchUrl: res.locals.langSwitchUrl,
    xeroInvoiceUrl: (invoiceId: string) => xeroInvoiceUrl(String(res.locals.xeroAppUrl ?? ''), invoiceId),
    xeroEntryUrl: (kind: 'spend' | 'journal', id: string) => xeroEntryUrl(String(res.locals.xeroAppUrl ?? ''), kind, id),
    user: session?.user ?? null,
    csrfToken: session?.csrfToken ?? '',
    paths,
    adminPaymentPath,
    adminPaymentRetryPath,
    adminPaymentRefundPath,
    adminMerchantPath,
    money: formats.money,
    // The report's decimal strings ("1500000.00") as money in the page's language ("Rp 1.500.000").
    decimalMoney: (decimal: string | null, currency: string) => {
      if (decimal === null) return '–';
      if (!isSupportedCurrency(currency)) return decimal;
      try {
        return formats.money(toMinor(decimal.replace(/^-/, ''), currency) * (decimal.startsWith('-') ? -1 : 1), currency);
      } catch {
        return decimal;
      }
    },
    dateTime: formats.dateTime,
    timeZone,
    // The outcome of the Xero round trip the user just came back from (a redirect's ?xero=…).
    xeroFlash: XERO_FLASHES.find((f) => f === res.req?.query?.xero) ?? null,
    errors: {},
    values: {},
    ...locals,
  });
}

/** Pages for signed-in users only: everyone else is sent to the sign-in page. */
/** How long a typed password counts for a change of where money goes (keys, accounts, Xero, users). */
export const STEP_UP_MS = 5 * 60_000;

/**
 * The step-up: a change of where money goes needs the password typed in this session within
 * STEP_UP_MS (a stolen session cookie alone cannot redirect the money). Otherwise a page asks for
 * it and returns to the page the form is on; the change is then submitted again. That page is the
 * form's own URL, or `page` for a form posted elsewhere (browsers send no Referer: helmet's
 * Referrer-Policy is no-referrer).
 */
export function stepUp(deps: { clock: () => Date; publicUrl: string }, page?: (req: Request) => string) {
  return (req: Request, res: Response, next: () => void): void => {
    const at = currentSession(res)?.reauthAt?.getTime() ?? 0;
    if (deps.clock().getTime() - at <= STEP_UP_MS) return next();
    render(res, 401, 'reauth', { back: sameSiteAdminPath(page ? page(req) : req.originalUrl, deps.publicUrl) });
  };
}

/** An /admin path of this gateway taken from a URL a browser sent, or the admin's home. */
export function sameSiteAdminPath(url: unknown, publicUrl: string): string {
  try {
    const u = new URL(String(url), publicUrl);
    if (u.origin === new URL(publicUrl).origin && /^\/admin(\/|$)/.test(u.pathname)) return u.pathname + u.search;
  } catch {
    // not a URL: home
  }
  return paths.admin;
}

export function requireUser(_req: Request, res: Response, next: () => void): void {
  if (currentSession(res)?.user) return next();
  res.redirect(303, paths.adminLogin);
}

export function signedIn(res: Response): NonNullable<AdminSession['user']> {
  const user = currentSession(res)?.user;
  if (!user) throw new NotFound('not signed in'); // routes below requireUser never get here
  return user;
}

/** Re-shows a form with its errors (422, or the error's 400) instead of sending the user to an error page. */
export async function withForm(
  res: Response,
  view: string,
  values: Record<string, unknown>,
  locals: Record<string, unknown>,
  action: () => Promise<void>,
): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (!(err instanceof FormInvalid)) throw err;
    render(res, err.status, view, { ...locals, values, errors: err.fields });
  }
}

/** The admin's own error pages (id/en), inside its navigation when someone is signed in. */
export const adminErrorPage: ErrorPage = (req, res, { status, key, vars }) => {
  const session = currentSession(res);
  const lang = adminLang(req);
  const i18n = res.locals.i18n as I18n; // set for every /admin request by adminRouter
  const a = i18n.fixed(lang, 'admin');
  res.status(status).render('admin/message', {
    lang,
    t: i18n.fixed(lang, 'pay'),
    a,
    langSwitchUrl: req.method === 'GET' ? switchLangUrl(req.originalUrl, lang) : undefined,
    tone: status >= 500 ? 'bad' : 'warn',
    // locales/<lang>/adminPages.json: { <key>: { title, body } }
    title: a(`adminPages:${key}.title`),
    body: a(`adminPages:${key}.body`, vars),
    user: session?.user ?? null,
    csrfToken: session?.csrfToken ?? '',
    paths,
  });
};

/** Last in every admin router: its errors answered with the admin's pages (JSON for non-browsers). */
export function adminErrors(logger: Logger): ErrorRequestHandler {
  return errorHandler(logger, { page: adminErrorPage });
}
