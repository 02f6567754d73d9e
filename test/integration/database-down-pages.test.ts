import { strict as assert } from 'node:assert';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { openTestDatabase } from '../helpers/db.js';
import { box, createHarness, type Harness } from '../helpers/harness.js';
import { createApp } from '../../app/server.js';
import { createStores } from '../../app/store/index.js';
import { connect, type Db } from '../../app/store/db.js';
import { callbackPathFor, paths } from '../../app/paths.js';
import { createI18n } from '../../app/i18n/index.js';
import { rawRequest } from '../helpers/raw-request.js';

/**
 * The database gone while the web process runs: a host that accepts connections and never answers
 * (black-holed, frozen), or one that refuses them. Every page and callback is answered, soon, with
 * "temporarily unavailable" (503, Retry-After): never held open for ever, never the 500 "something
 * went wrong" page, whose "the error was logged" tells an operator nothing they can act on.
 */
describe('pages and callbacks while the database is unreachable or silent', () => {
  const CONNECT_TIMEOUT_MS = 300;
  let silent: Server;
  const sockets = new Set<Socket>();
  let h: Harness;
  let embedded: Awaited<ReturnType<typeof openTestDatabase>>;
  const opened: Db[] = [];
  before(async () => {
    silent = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    embedded = await openTestDatabase();
    h = await createHarness(embedded.db);
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(opened.map((d) => d.destroy().catch(() => undefined)));
    await h.close();
    await embedded.close();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  const closedPort = () =>
    new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });
  const appAt = (port: number) => {
    const db = connect(`postgres://gw@127.0.0.1:${port}/gw`, { poolSize: 2, connectTimeoutMs: CONNECT_TIMEOUT_MS });
    opened.push(db);
    return createApp({ ...h.deps, stores: createStores(db, box) });
  };

  it('the "try again" link links to this site, also for a request target in absolute-form naming another host', async () => {
    h.serve(appAt(await closedPort()));
    const link = new URL(h.payUrl('INV-1'), h.baseUrl);
    const target = `http://evil.example${link.pathname}${link.search}`;
    const res = await rawRequest(h.baseUrl, 'GET', target, { accept: 'text/html' });
    assert.equal(res.status, 503);
    const links = cheerio
      .load(res.body)('a[href]')
      .map((_, a) => a.attribs.href)
      .get();
    assert.ok(links.length > 1, 'the page has its try-again and language links');
    for (const href of links) assert.equal(new URL(href, 'http://gateway.test').origin, 'http://gateway.test', href);
  });

  for (const [what, port] of [
    ['silent', () => Promise.resolve((silent.address() as AddressInfo).port)],
    ['refusing', closedPort],
  ] as const) {
    it(`${what}: the pay link, the return page and the admin answer 503 "unavailable" pages, a callback 503 JSON`, async () => {
      const app = appAt(await port());
      const answered = async (req: request.Test) => {
        const started = Date.now();
        const res = await req.timeout(CONNECT_TIMEOUT_MS + 5_000);
        assert.ok(Date.now() - started < CONNECT_TIMEOUT_MS + 4_000, 'answered soon after the connect bound');
        return res;
      };
      const pay = await answered(request(app).get(h.payUrl('INV-1')).set('accept', 'text/html'));
      assert.equal(pay.status, 503);
      assert.ok(Number(pay.get('retry-after')) > 0);
      // In the invoice's currency's language (IDR: Indonesian), as every pay page.
      assert.equal(cheerio.load(pay.text)('h1').text().trim(), createI18n().fixed('id', 'pay')('unavailableTitle'));

      const back = await answered(request(app).get(`${paths.payReturn}?ref=6f1c0a38-8a55-4f0c-9a8e-1f2d3c4b5a69`).set('accept', 'text/html'));
      assert.equal(back.status, 503);

      // A session cookie makes the admin read the database before anything else.
      const admin = await answered(
        request(app)
          .get(paths.admin)
          .set('cookie', `sid=${'a'.repeat(43)}`)
          .set('accept', 'text/html'),
      );
      assert.equal(admin.status, 503);
      assert.equal(cheerio.load(admin.text)('h1').text().trim(), 'Temporarily unavailable');

      const callback = await answered(
        request(app).post(callbackPathFor(h.merchant.id)).set('x-callback-token', 'any').send({ id: 'x', external_id: 'y', status: 'PAID' }),
      );
      assert.equal(callback.status, 503);
      assert.deepEqual(callback.body, { error: 'temporarily unavailable' });
    });
  }
});
