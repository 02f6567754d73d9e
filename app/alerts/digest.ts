/**
 * One mail per recipient for the alerts waiting: operators (users, and the addresses in
 * ALERT_OPERATOR_EMAILS) hear about every merchant, a merchant's users about theirs; nobody hears
 * about their own change. Pure: the store runs it inside the transaction that marks the alerts mailed.
 */
import type { AlertPerson, NewMail, StoredAlert } from '../store/alerts.js';
import type { I18n } from '../i18n/index.js';
import { decodeMessage } from '../i18n/index.js';

export interface DigestContext {
  i18n: I18n;
  /** Every operator address from the configuration (ALERT_OPERATOR_EMAILS). */
  operatorEmails: string[];
  merchantNames: Map<string, string>;
  /** Links in the mail: the admin and the account page (where alerts are turned off). */
  adminUrl: string;
  accountUrl: string;
}

interface Reader {
  email: string;
  userId?: string;
  merchantId: string | null;
  operator: boolean;
}

export function planDigest(alerts: StoredAlert[], people: AlertPerson[], ctx: DigestContext): NewMail[] {
  const readers = new Map<string, Reader>();
  for (const email of ctx.operatorEmails) readers.set(email.toLowerCase(), { email, merchantId: null, operator: true });
  for (const p of people) {
    const key = p.email.toLowerCase();
    if (p.role === 'operator') readers.set(key, { email: p.email, userId: p.id, merchantId: null, operator: true });
    else if (!readers.get(key)?.operator) readers.set(key, { email: p.email, userId: p.id, merchantId: p.merchantId, operator: false });
  }
  const mails: NewMail[] = [];
  for (const r of readers.values()) {
    const mine = alerts.filter((a) => (r.operator || a.merchantId === r.merchantId) && (!r.userId || a.exceptUserId !== r.userId));
    if (mine.length) mails.push(render(r, mine, ctx));
  }
  return mails;
}

function render(r: Reader, alerts: StoredAlert[], ctx: DigestContext): NewMail {
  // English: the admin's users are operators first, as the admin's default language says.
  const t = (key: string, params?: Parameters<I18n['t']>[2]) => ctx.i18n.t('en', `alerts:${key}`, params);
  const lines = alerts.map((a) => {
    const m = decodeMessage(a.message);
    const text = ctx.i18n.t('en', m.key, m.params);
    const who = a.merchantId ? (ctx.merchantNames.get(a.merchantId) ?? a.merchantId) : t('allMerchants');
    return `- ${a.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC · ${who}: ${text}`;
  });
  const first = ctx.i18n.t('en', decodeMessage(alerts[0]!.message).key, decodeMessage(alerts[0]!.message).params);
  const subject = alerts.length === 1 ? t('subjectOne', { text: first.slice(0, 120) }) : t('subjectMany', { count: alerts.length });
  const body = [t('intro'), '', ...lines, '', t('adminLink', { url: ctx.adminUrl }), '', t('why', { url: ctx.accountUrl })].join('\n');
  return { recipient: r.email, subject, body };
}
