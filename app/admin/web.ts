/**
 * What every /admin page and form shares: the deps, rendering with the common locals, form parsing
 * re-showing a refused form and keeping out whoever is not signed in. Imports nothing from the
 * admin's feature folders, so they can all import it.
 */
import type { Request, Response } from 'express';
import type { z } from 'zod';
import { FormInvalid, NotFound } from '../errors.js';
import type { I18n, Lang } from '../i18n/index.js';
import { adminMerchantPath, adminPaymentPath, adminPaymentRetryPath, paths, xeroInvoiceUrl } from '../paths.js';
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

/** The locals every admin page uses: the session (user, CSRF token), language, links and formatters. */
export function render(res: Response, status: number, view: string, locals: Record<string, unknown>): void {
  const session = currentSession(res);
  const lang = langOf(res);
  const i18n = res.locals.i18n as I18n; // set for every /admin request by adminRouter
  const formats = i18n.formats(lang);
  res.status(status).render(`admin/${view}`, {
    lang,
    t: i18n.fixed(lang, 'pay'),
    a: i18n.fixed(lang, 'admin'),
    g: i18n.fixed(lang, 'golive'),
    langSwitchUrl: res.locals.langSwitchUrl,
    xeroInvoiceUrl: (invoiceId: string) => xeroInvoiceUrl(String(res.locals.xeroAppUrl ?? ''), invoiceId),
    user: session?.user ?? null,
    csrfToken: session?.csrfToken ?? '',
    paths,
    adminPaymentPath,
    adminPaymentRetryPath,
    adminMerchantPath,
    money: formats.money,
    dateTime: formats.dateTime,
    errors: {},
    values: {},
    ...locals,
  });
}

/** Pages for signed-in users only: everyone else is sent to the sign-in page. */
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
