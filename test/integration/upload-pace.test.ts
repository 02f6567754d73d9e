import { strict as assert } from 'node:assert';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { BILLING_REPORT_HEAD, monthlyBilledHarness } from '../helpers/fee-bills.js';
import type { Harness } from '../helpers/harness.js';
import { PASSWORD, csrfOf } from '../helpers/admin.js';
import { adminMerchantPath, paths } from '../../app/paths.js';
import { createApp } from '../../app/server.js';
import { createHttpServer } from '../../app/http.js';
import { createUploadSlots } from '../../app/admin/uploads.js';

/** A report of 300 transactions: larger than the admin's other forms, so it needs an upload slot. */
const REPORT = [
  BILLING_REPORT_HEAD,
  ...Array.from({ length: 300 }, (_, i) => `txn_${i},reference of transaction ${i},VA_PAYMENT,BCA,DEFAULT,biz_1,2026-10-05 10:00:00,IDR,150000,4500,495`),
].join('\r\n');

/** The server's whole-request timeout in these tests (HTTP_REQUEST_TIMEOUT_MS), short so that they take a second or two. */
const REQUEST_TIMEOUT_MS = 1500;

/**
 * A Xendit report upload that arrives too slowly: the person who sent it gets the admin's page
 * saying so, in their language, instead of the server's bare 408; a body trickled in gives its
 * upload slot back instead of keeping every other upload out until the request timeout.
 */
describeEachDatabase('Xendit report uploads that arrive too slowly', ({ db }) => {
  let h: Harness;
  let server: Server | undefined;
  beforeEach(async () => {
    h = await monthlyBilledHarness(db());
  });
  afterEach(async () => {
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
    }
    await h.close();
  });

  const preview = () => adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsPreview');

  /** The app behind the server the gateway runs in (app/http.ts), with its timeouts. */
  async function serve(uploads = createUploadSlots()) {
    const http = { requestTimeoutMs: REQUEST_TIMEOUT_MS, headersTimeoutMs: 500 };
    const app = createApp({ ...h.deps, config: { ...h.deps.config, http }, uploads });
    server = createHttpServer(app, http);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const login = await request(app).get(paths.adminLogin).expect(200);
    const first = String(login.headers['set-cookie']?.[0] ?? '').split(';')[0];
    const signed = await request(app)
      .post(paths.adminLogin)
      .set('Cookie', first)
      .type('form')
      .send({ _csrf: csrfOf(login.text), email: 'a@toko.test', password: PASSWORD })
      .expect(303);
    const cookie = String(signed.headers['set-cookie']?.[0] ?? '').split(';')[0];
    const csrf = csrfOf((await request(app).get(adminMerchantPath(h.merchant.id, 'adminMerchantFeeBills')).set('Cookie', cookie).expect(200)).text);
    return { app, cookie, csrf, port: (server!.address() as AddressInfo).port };
  }

  /**
   * Sends the upload's headers and its body's first `first` bytes, then `every` ms `step` bytes more
   * (none: it stalls); resolves with the raw answer once the server closes the connection.
   */
  function upload(o: { port: number; cookie: string; body: string; lang?: string; first: number; step?: number; every?: number }) {
    const socket = connect(o.port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (d) => (answer += d));
    socket.on('error', () => {});
    const started = Date.now();
    const closed = new Promise<{ answer: string; ms: number }>((resolve) => socket.on('close', () => resolve({ answer, ms: Date.now() - started })));
    socket.write(
      `POST ${preview()} HTTP/1.1\r\nHost: x\r\nCookie: ${o.cookie}\r\nAccept: text/html\r\nAccept-Language: ${o.lang ?? 'en'}\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(o.body)}\r\n\r\n${o.body.slice(0, o.first)}`,
    );
    let sent = o.first;
    const trickle = o.step
      ? setInterval(() => {
          if (sent >= o.body.length || answer) return clearInterval(trickle);
          socket.write(o.body.slice(sent, sent + o.step!));
          sent += o.step!;
        }, o.every)
      : undefined;
    const timer = setTimeout(() => socket.destroy(new Error('the server kept the upload open')), 5000);
    return closed.finally(() => {
      clearTimeout(timer);
      if (trickle) clearInterval(trickle);
    });
  }

  const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
  const pageOf = (answer: string) => cheerio.load(answer.slice(answer.indexOf('\r\n\r\n') + 4));

  it("a stalled upload is answered with the admin's page in the user's language saying it took too long and what to do: not a bare 408, nothing read", async () => {
    const s = await serve();
    const body = new URLSearchParams({ _csrf: s.csrf, report: REPORT }).toString();
    for (const [lang, title] of [
      ['en', 'The upload took too long'],
      ['id', 'Unggahan terlalu lama'],
    ]) {
      const { answer } = await upload({ port: s.port, cookie: s.cookie, body, lang, first: 1000 });
      assert.equal(statusOf(answer), 408, answer.slice(0, 200));
      const $ = pageOf(answer);
      assert.equal($('h1').text().trim(), title, `the page (${lang}): ${answer.slice(0, 300)}`);
      assert.equal($('html').attr('lang'), lang);
      assert.match($('h1 + p').text(), lang === 'en' ? /Nothing was read, checked or booked/ : /Tidak ada yang dibaca, diperiksa, atau dicatat/);
      assert.doesNotMatch(answer, /at .*\.ts:\d+|Error:/, 'no stack trace');
    }
    assert.equal((await h.stores.feeBills.forMerchant(h.merchant.id)).length, 0);
  });

  it('a body trickled in gives its upload slot back long before the request timeout: the next upload is read', async () => {
    const slots = createUploadSlots(1);
    const s = await serve(slots);
    const body = new URLSearchParams({ _csrf: s.csrf, report: REPORT.repeat(20) }).toString();
    // 40 bytes every 100 ms: never idle for long, but the 600 kB would take hours.
    const trickled = upload({ port: s.port, cookie: s.cookie, body, first: 100, step: 40, every: 100 });
    const { answer, ms } = await trickled;
    assert.equal(statusOf(answer), 408);
    assert.equal(pageOf(answer)('h1').text().trim(), 'The upload took too long');
    assert.ok(ms < REQUEST_TIMEOUT_MS - 400, `the trickle held its slot for ${ms} ms, until the request timeout`);
    assert.equal(slots.inUse(), 0, 'its slot was given back');
    const agent = request.agent(s.app).set('Cookie', s.cookie);
    await agent.post(preview()).type('form').send({ _csrf: s.csrf, report: REPORT }).expect(200);
  });
});
