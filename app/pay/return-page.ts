/** Renders what pay/receipt.ts decided, in the customer's language and the merchant's time zone. */
import type { Response } from 'express';
import type { I18n, PayLang } from '../i18n/index.js';
import { samePage, type LangLink } from '../lang-switch.js';
import { paths } from '../paths.js';
import type { Receipt, ReturnState } from './receipt.js';

/** How often the page looks again while the payment is being confirmed, and for how long. */
const REFRESH_SECONDS = 3;
const MAX_TRIES = 40;

/** Xendit's payment_method values (Invoice object) that have words in the catalogues; others are shown as Xendit wrote them. */
const METHODS = new Set(['BANK_TRANSFER', 'EWALLET', 'CREDIT_CARD', 'RETAIL_OUTLET', 'QR_CODE', 'DIRECT_DEBIT', 'PAYLATER']);

interface PageContext {
  lang: PayLang;
  i18n: I18n;
  originalUrl: string;
  tries: unknown;
  langLinks: LangLink[];
}

export function renderReturn(res: Response, state: ReturnState, ctx: PageContext): void {
  const t = ctx.i18n.fixed(ctx.lang, 'pay');
  const common = { lang: ctx.lang, t, langLinks: ctx.langLinks };
  if (state.kind === 'receipt') {
    res.render('pay/receipt', {
      ...common,
      title: t('returnPaidTitle'),
      rows: receiptRows(state.receipt, ctx),
      test: state.receipt.test,
      testMode: state.receipt.test,
    });
    return;
  }
  if (state.kind === 'notPaid') {
    const which = state.expired ? 'returnExpired' : 'returnNotPaid';
    res.render('pay/message', {
      ...common,
      testMode: state.test,
      tone: 'warn',
      title: t(`${which}Title`),
      body: t(`${which}Body`, { invoice: state.invoiceNumber }),
      // In the language of this page, which the customer may have switched.
      retryUrl: `${state.retryUrl}&${new URLSearchParams({ lang: ctx.lang })}`,
    });
    return;
  }
  if (state.kind === 'processing') {
    const tries = Number.parseInt(String(ctx.tries ?? '0'), 10);
    const done = Number.isSafeInteger(tries) && tries >= 0 ? tries : 0;
    const slow = done >= MAX_TRIES;
    res.render('pay/message', {
      ...common,
      testMode: state.test,
      tone: 'ok',
      title: t('returnProcessingTitle'),
      body: t(slow ? 'returnSlowBody' : 'returnProcessingBody', { invoice: state.invoiceNumber }),
      // Without JavaScript: the page reloads itself, counting, and stops after a while.
      refreshSeconds: slow ? 0 : REFRESH_SECONDS,
      refreshUrl: slow ? undefined : withTries(ctx, state.checkoutId, done + 1),
      checkAgainUrl: slow ? withTries(ctx, state.checkoutId, 0) : undefined,
    });
    return;
  }
  res.render('pay/message', { ...common, tone: 'warn', title: t('returnPendingTitle'), body: t('returnPendingBody') });
}

function receiptRows(r: Receipt, ctx: PageContext): { label: string; value: string; code?: boolean }[] {
  const t = ctx.i18n.fixed(ctx.lang, 'pay');
  const f = ctx.i18n.formats(ctx.lang, r.timeZone);
  const method = r.method ? (METHODS.has(r.method) ? t('method_' + r.method) : r.method) : undefined;
  const paidOn = f.date(r.paidAt, { dateStyle: 'long', timeStyle: 'short' });
  return [
    { label: t('receiptBusiness'), value: r.business },
    { label: t('receiptInvoice'), value: r.invoiceNumber },
    { label: t('receiptAmount'), value: f.money(r.amount, r.currency) },
    { label: t('receiptPaidAt'), value: `${paidOn} (${r.timeZone})` },
    ...(method ? [{ label: t('receiptMethod'), value: r.channel ? `${method} · ${r.channel}` : method }] : []),
    { label: t('receiptReference'), value: r.xenditReference, code: true },
    { label: t('receiptStatus'), value: t(r.test ? 'receiptStatusTest' : 'receiptStatusPaid') },
  ];
}

/** This page again, counting; for a request target that names no path of ours, the page rebuilt from the checkout. */
function withTries(ctx: PageContext, checkoutId: string, tries: number): string {
  return (
    samePage(ctx.originalUrl, { tries: String(tries) }) ??
    `${paths.payReturn}?${new URLSearchParams({ ref: checkoutId, lang: ctx.lang, tries: String(tries) })}`
  );
}
