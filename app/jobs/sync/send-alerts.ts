import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Mailer } from '../../clients/mail/index.js';
import type { I18n } from '../../i18n/index.js';
import { planDigest } from '../../alerts/digest.js';
import { RetryLater } from '../runner.js';

/** How long one sender holds a mail before another may try it (a sender that died mid-send). */
const MAIL_LEASE_MS = 2 * 60_000;
/** Mails sent per run; a longer outbox is the next run's. */
const SEND_MAX = 200;

export interface SendAlertsDeps {
  stores: Stores;
  clock: Clock;
  logger: Logger;
  i18n: I18n;
  /** Unset (no SMTP_URL): digests are kept in the outbox, unsent. */
  mailer?: Mailer;
  operatorEmails: string[];
  adminUrl: string;
  accountUrl: string;
}

/**
 * The periodic digest: the alerts waiting become one mail per recipient (stored first), then each
 * stored mail is sent and marked sent once the SMTP server accepted it. A crash between the two
 * sends that one mail again on the next run (at most one duplicate); a refused or unreachable
 * server leaves the mails for the next run.
 */
export function sendAlertsJob(deps: SendAlertsDeps) {
  return async (): Promise<void> => {
    const merchantNames = new Map((await deps.stores.merchants.list()).map((m) => [m.id, m.name]));
    const ctx = { i18n: deps.i18n, operatorEmails: deps.operatorEmails, merchantNames, adminUrl: deps.adminUrl, accountUrl: deps.accountUrl };
    const planned = await deps.stores.alerts.digest(deps.clock(), (alerts, people) => planDigest(alerts, people, ctx));
    if (planned) deps.logger.info({ mails: planned }, 'alert digests stored');
    if (!deps.mailer) return;
    let failed = 0;
    for (let i = 0; i < SEND_MAX; i++) {
      const mail = await deps.stores.alerts.claimMail(deps.clock(), MAIL_LEASE_MS);
      if (!mail) break;
      try {
        await deps.mailer.send({ to: mail.recipient, subject: mail.subject, text: mail.body });
        await deps.stores.alerts.markSent(mail.id, deps.clock());
      } catch (err) {
        failed++;
        await deps.stores.alerts.noteFailure(mail.id, err instanceof Error ? err.message : String(err));
        // The server is down or refusing: the rest would fail the same way.
        break;
      }
    }
    if (failed) throw new RetryLater('the SMTP server did not accept an alert mail', 60);
  };
}
