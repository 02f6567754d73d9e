/** The "how much would you like to pay?" page of merchants that allow part payments. */
import type { Response } from 'express';
import type { I18n, PayLang } from '../i18n/index.js';
import type { LangLink } from '../lang-switch.js';
import { toDecimal } from '../money.js';
import { paths } from '../paths.js';
import type { AskAmount } from './service.js';

export function renderAskAmount(
  res: Response,
  ask: AskAmount,
  ctx: {
    i18n: I18n;
    lang: PayLang;
    query: { invoiceNo: string; shortCode: string; currency?: string; amount?: string; retry?: string };
    langLinks: LangLink[];
  },
): void {
  const t = ctx.i18n.fixed(ctx.lang, 'pay');
  const f = ctx.i18n.formats(ctx.lang);
  const money = (minor: number) => f.money(minor, ask.currency);
  // The form sends the link's own fields again (a GET form replaces the query), and the amount.
  const hidden = Object.entries({
    invoiceNo: ctx.query.invoiceNo,
    shortCode: ctx.query.shortCode,
    currency: ctx.query.currency,
    amount: ctx.query.amount,
    retry: ctx.query.retry,
    lang: ctx.lang,
  }).filter((e): e is [string, string] => typeof e[1] === 'string');
  res.status(ask.problem ? 422 : 200).render('pay/amount', {
    lang: ctx.lang,
    t,
    langLinks: ctx.langLinks,
    title: t('amountTitle'),
    testMode: ask.test,
    intro: t('amountIntro', { invoice: ask.invoiceNumber, business: ask.business, due: money(ask.due), minimum: money(ask.minimum) }),
    label: t('amountLabel', { currency: ask.currency }),
    action: paths.pay,
    hidden,
    value: ask.typed ?? toDecimal(ask.due, ask.currency),
    error: ask.problem
      ? t(`amountProblem_${ask.problem}`, { minimum: money(ask.minimum), due: money(ask.due), example: toDecimal(ask.due, ask.currency) })
      : undefined,
  });
}
