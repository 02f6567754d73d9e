import type { Request, Response } from 'express';
import { chooseLang, type Lang } from '../../i18n/index.js';
import { paths } from '../../paths.js';

/** The admin remembers a chosen language in this cookie, so every page and form keeps it. */
export const ADMIN_LANG_COOKIE = 'admin_lang';

function cookieLang(req: Request): Lang | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, value] = part.split('=').map((s) => s.trim());
    if (name === ADMIN_LANG_COOKIE && (value === 'id' || value === 'en')) return value;
  }
  return undefined;
}

/**
 * ?lang= wins (and is remembered), then the cookie, then Accept-Language; English when none
 * says: the admin's users are operators first, while the pay pages default to Indonesian.
 */
export function adminLang(req: Request, res?: Response): Lang {
  const q = typeof req.query?.lang === 'string' ? req.query.lang.toLowerCase() : undefined;
  if (q === 'id' || q === 'en') {
    res?.cookie(ADMIN_LANG_COOKIE, q, { httpOnly: true, sameSite: 'lax', path: paths.admin, maxAge: 365 * 86_400_000 });
    return q;
  }
  return cookieLang(req) ?? chooseLang(undefined, req.get('accept-language'), 'en');
}
