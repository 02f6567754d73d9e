/** The page a click for another amount gets while a part payment of the invoice is in progress (part-hold.ts). */
import type { Response } from 'express';
import type { I18n, PayLang } from '../i18n/index.js';
import { daysAhead, shownMinute, timeShown } from '../i18n/wait.js';
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

/** In the business's zone, with the date when it is not today's (rounded up, as the 429 page rounds). */
function shownTime(p: InProgress, lang: PayLang): string {
  const at = shownMinute(p.until);
  return timeShown(lang, p.timeZone, at, daysAhead(p.now, at, p.timeZone) !== 0);
}
