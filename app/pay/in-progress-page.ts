/** The page a click for another amount gets while a part payment of the invoice is in progress (part-hold.ts). */
import type { Response } from 'express';
import { INTL_LOCALE, type I18n, type PayLang } from '../i18n/index.js';
import type { LangLink } from '../lang-switch.js';
import type { InProgress } from './part-hold.js';

export function renderInProgress(res: Response, p: InProgress, ctx: { i18n: I18n; lang: PayLang; langLinks: LangLink[] }): void {
  const t = ctx.i18n.fixed(ctx.lang, 'pay');
  const amount = ctx.i18n.formats(ctx.lang).money(p.amount, p.currency);
  // 409: the request conflicts with the payment in progress; nothing was changed.
  res.status(409).render('pay/message', {
    lang: ctx.lang,
    t,
    langLinks: ctx.langLinks,
    testMode: p.test,
    tone: 'warn',
    title: t('inProgressTitle'),
    body: t('inProgressBody', { amount, invoice: p.invoiceNumber }),
    note: { id: 'hold-note', text: t('inProgressLater', { time: shownTime(p, ctx.lang) }) },
    action: { id: 'continue', url: p.checkoutUrl, label: t('inProgressContinue', { amount }) },
  });
}

/** The minute rounded up, so a payer who comes back at the time shown is let through. */
const shownAt = (p: InProgress) => new Date(Math.ceil(p.until.getTime() / 60_000) * 60_000);

const dayOf = (at: Date, zone: string) => new Intl.DateTimeFormat('en-CA', { timeZone: zone, dateStyle: 'short' }).format(at);

const sameDay = (p: InProgress) => dayOf(shownAt(p), p.timeZone) === dayOf(p.now, p.timeZone);

/** In the business's zone, named (WIB, GMT+7): the payer may not be where the business is. */
function shownTime(p: InProgress, lang: PayLang): string {
  const time = { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' } as const;
  const date = sameDay(p) ? {} : ({ year: 'numeric', month: 'long', day: 'numeric' } as const);
  return new Intl.DateTimeFormat(INTL_LOCALE[lang], { timeZone: p.timeZone, ...date, ...time }).format(shownAt(p));
}
