/**
 * The demo's outbox: a real SMTP server on this machine (the smtp-server package) that keeps what
 * the gateway mails, shown at /_sim/outbox. The gateway sends to it as to any SMTP server
 * (SMTP_URL), so the demo runs the same mail path as production.
 */
import type { AddressInfo } from 'node:net';
import express, { type Router } from 'express';
import { SMTPServer } from 'smtp-server';
import { escapeHtml, renderPage, sendPage, SIM_CSS } from '../html.js';

export interface SimMail {
  at: Date;
  to: string;
  subject: string;
  text: string;
}

export interface Outbox {
  router: Router;
  /** Starts the SMTP server (once; later calls get the same) and gives its smtp:// URL. */
  start(): Promise<string>;
  /** Copies of the mails received, oldest first. */
  mails(): SimMail[];
  close(): Promise<void>;
}

/** Kept in memory; the newest this many. */
const KEEP = 200;

/**
 * The page exists at once; the SMTP server starts on the first mail, so its port (any free one) is
 * taken after the gateway's own and never races it.
 */
export function createOutbox(now: () => Date = () => new Date()): Outbox {
  const mails: SimMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    size: 1_000_000,
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ at: now(), ...readMail(Buffer.concat(chunks).toString('utf8')) });
        if (mails.length > KEEP) mails.splice(0, mails.length - KEEP);
        callback();
      });
    },
  });
  let started: Promise<string> | undefined;
  const router = express.Router();
  router.get('/sim.css', (_req, res) => void res.type('text/css').send(SIM_CSS));
  router.get('/', (req, res) => sendPage(res, 200, renderOutbox(mails, `${req.baseUrl}/sim.css`)));
  return {
    router,
    start: () =>
      (started ??= new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve(`smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`)),
      )),
    mails: () => mails.map((m) => ({ ...m })),
    close: () => (started ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve()),
  };
}

/** Enough of RFC 5322 for the demo's plain-text mails: To, Subject, and the quoted-printable body. */
export function readMail(raw: string): Omit<SimMail, 'at'> {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim() ?? '';
  const qp = /quoted-printable/i.test(header('Content-Transfer-Encoding'));
  const text = qp
    ? Buffer.from(
        body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
        'latin1',
      ).toString('utf8')
    : body;
  return { to: header('To'), subject: decodeWords(header('Subject')), text: text.replace(/\r\n/g, '\n').trimEnd() };
}

/** RFC 2047 encoded words (=?UTF-8?Q?...?= / ?B?), as nodemailer writes non-ASCII subjects. */
function decodeWords(s: string): string {
  return s.replace(/=\?utf-8\?([qb])\?([^?]*)\?=\s*/gi, (_m, enc: string, data: string) =>
    enc.toLowerCase() === 'b'
      ? Buffer.from(data, 'base64').toString('utf8')
      : Buffer.from(
          data.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
          'latin1',
        ).toString('utf8'),
  );
}

function renderOutbox(mails: SimMail[], cssHref: string): string {
  const items = [...mails]
    .reverse()
    .map(
      (m) =>
        `<article class="mail"><h2>${escapeHtml(m.subject)}</h2><p class="muted">To ${escapeHtml(m.to)} · ${escapeHtml(m.at.toISOString())}</p><pre>${escapeHtml(m.text)}</pre></article>`,
    )
    .join('\n');
  return renderPage(
    'Outbox',
    cssHref,
    `<main>
<h1>Outbox</h1>
<p class="banner">This is a simulator: the e-mails the gateway sent (alerts), received by an SMTP server on this machine. Nothing left it.</p>
${items || '<p class="muted" id="outbox-empty">No e-mails yet.</p>'}
</main>`,
  );
}
