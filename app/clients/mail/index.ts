/** E-mail out, over SMTP with nodemailer: the one place that imports it. */
import nodemailer from 'nodemailer';

export interface Mailer {
  /** Resolves once the SMTP server accepted the message; rejects otherwise. */
  send(mail: { to: string; subject: string; text: string }): Promise<void>;
  close(): void;
}

/**
 * `smtpUrl`: smtp://user:pass@host:587 (STARTTLS when the server offers it) or smtps://…:465.
 * Timeouts are short: a digest run must not hang on a dead server (the mail waits for the next run).
 */
export function createMailer(opts: { smtpUrl: string; from: string }): Mailer {
  const url = new URL(opts.smtpUrl);
  const transport = nodemailer.createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587,
    secure: url.protocol === 'smtps:',
    ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
    // Plain SMTP only to a server on this machine (tests, a local relay); anywhere else TLS is required.
    requireTLS: url.protocol === 'smtp:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    async send(mail) {
      await transport.sendMail({ from: opts.from, to: mail.to, subject: mail.subject, text: mail.text });
    },
    close: () => transport.close(),
  };
}
