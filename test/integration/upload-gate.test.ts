import { strict as assert } from 'node:assert';
import { request as httpRequest } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { BILLING_REPORT_HEAD, monthlyBilledHarness } from '../helpers/fee-bills.js';
import type { Harness } from '../helpers/harness.js';
import { PASSWORD, csrfOf, page, signedIn } from '../helpers/admin.js';
import { hashPassword } from '../../app/admin/auth/passwords.js';
import { adminMerchantPath, paths } from '../../app/paths.js';
import { createApp } from '../../app/server.js';
import { FEE_REPORT_MB } from '../../app/admin/fee-bills/controller.js';
import { createUploadSlots, type UploadSlots } from '../../app/admin/uploads.js';

/** A report of 300 transactions: larger than the admin's other forms, so it needs an upload slot. */
const REPORT = [
  BILLING_REPORT_HEAD,
  ...Array.from({ length: 300 }, (_, i) => `txn_${i},reference of transaction ${i},VA_PAYMENT,BCA,DEFAULT,biz_1,2026-10-05 10:00:00,IDR,150000,4500,495`),
].join('\r\n');

/**
 * The Xendit report uploads take bodies of up to 24 MB (fee bills) and 2 MB (disputes). Buffering
 * and decoding one costs the process tens of MB and holds the event loop /pay and the callbacks
 * share: only a user who may change the merchant gets a body read, and one at a time per process.
 */
describeEachDatabase('Xendit report uploads: who gets a body read, and how many at once', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await monthlyBilledHarness(db());
    await h.stores.users.add(
      { email: 'staff@toko.test', passwordHash: await hashPassword(PASSWORD), role: 'merchant', merchantId: h.merchant.id, merchantRole: 'staff' },
      h.clock(),
    );
  });
  afterEach(() => h.close());

  const feeBills = () => adminMerchantPath(h.merchant.id, 'adminMerchantFeeBills');
  const preview = () => adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsPreview');
  const book = () => adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsBook');
  const disputes = () => adminMerchantPath(h.merchant.id, 'adminMerchantDisputesReport');

  it('a staff user, or a user of another merchant, is refused before the body is read: a body past the limit is 403/404, not 413', async () => {
    const overFees = 'x'.repeat(3 * FEE_REPORT_MB * 2 ** 20 + 1);
    const overDisputes = 'x'.repeat(2 * 2 ** 20 + 1);
    const staff = await signedIn(h.app, 'staff@toko.test');
    const { csrf } = await page(staff, feeBills());
    for (const path of [preview(), book()]) {
      const res = await staff.post(path).type('form').send({ _csrf: csrf(), report: overFees }).expect(403);
      assert.equal(cheerio.load(res.text)('h1').text().trim(), 'Only owners can change this');
    }
    await staff.post(disputes()).type('form').send({ _csrf: csrf(), report: overDisputes }).expect(403);
    // The connection stays usable: the unread body was drained, not left for the next request to trip on.
    await staff.get(feeBills()).expect(200);

    const other = await signedIn(h.app, 'b@lain.test');
    const otherCsrf = csrfOf((await other.get(paths.admin).expect(200)).text);
    await other.post(preview()).type('form').send({ _csrf: otherCsrf, report: overFees }).expect(404);
    await other.post(disputes()).type('form').send({ _csrf: otherCsrf, report: overDisputes }).expect(404);
    assert.equal((await h.stores.feeBills.forMerchant(h.merchant.id)).length, 0);

    // The owner's body is read (and refused for its size, with the page saying why).
    const owner = await signedIn(h.app, 'a@toko.test');
    const ownerCsrf = (await page(owner, feeBills())).csrf;
    await owner.post(preview()).type('form').send({ _csrf: ownerCsrf(), report: overFees }).expect(413);
  });

  it('one upload read at a time per merchant: another of it sent meanwhile is 429 with a page saying to send it again; afterwards uploads go through', async () => {
    const inner = createUploadSlots(1);
    let tookOne!: () => void;
    const taken = new Promise<void>((resolve) => (tookOne = resolve));
    const slots: UploadSlots = {
      take: (merchantId) => {
        const free = inner.take(merchantId);
        if (free) tookOne();
        return free;
      },
      inUse: inner.inUse,
    };
    const app = createApp({ ...h.deps, uploads: slots });
    h.serve(app);

    const owner = await signedIn(app, 'a@toko.test');
    const { csrf } = await page(owner, feeBills());
    // The session's cookie, for a request sent by hand whose body arrives slowly.
    const cookie = await (async () => {
      const login = await request(app).get(paths.adminLogin).expect(200);
      const first = String(login.headers['set-cookie']?.[0] ?? '').split(';')[0];
      const signed = await request(app)
        .post(paths.adminLogin)
        .set('Cookie', first)
        .type('form')
        .send({ _csrf: csrfOf(login.text), email: 'a@toko.test', password: PASSWORD })
        .expect(303);
      return String(signed.headers['set-cookie']?.[0] ?? '').split(';')[0];
    })();
    const slowCsrf = csrfOf((await request(app).get(feeBills()).set('Cookie', cookie).expect(200)).text);
    const body = new URLSearchParams({ _csrf: slowCsrf, report: REPORT }).toString();
    const url = new URL(h.baseUrl);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: preview(),
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 100));
      // The rest once the slot is held, and the second upload refused.
      void held.then(() => req.end(body.slice(100)));
    });
    await taken;
    assert.equal(slots.inUse(), 1);

    const refused = await owner.post(preview()).type('form').send({ _csrf: csrf(), report: REPORT }).expect(429);
    assert.ok(Number(refused.headers['retry-after']) > 0);
    const $ = cheerio.load(refused.text);
    assert.equal($('h1').text().trim(), 'Another report is being read');
    assert.match($('h1 + p').text(), /Nothing was read, checked or booked: go back and send the report again in 5 seconds\./);
    // A staff user is still told they may not, whatever is being read.
    const staff = await signedIn(app, 'staff@toko.test');
    await staff.post(disputes()).type('form').send({ _csrf: csrf(), report: 'x' }).expect(403);

    release();
    const first = await answered;
    assert.equal(first.status, 200);
    assert.equal(cheerio.load(first.text)('#fee-preview tr[data-period="2026-10"][data-currency=IDR] td').eq(2).text(), '300');
    assert.equal(slots.inUse(), 0, 'the slot is freed once the answer is sent');
    await owner.post(preview()).type('form').send({ _csrf: csrf(), report: REPORT }).expect(200);
    assert.equal(slots.inUse(), 0);
    await held;
  });

  it('a body no larger than the other forms (totals typed in) needs no slot: read while another upload holds it', async () => {
    const slots = createUploadSlots(1);
    const free = slots.take(h.merchant.id)!;
    const app = createApp({ ...h.deps, uploads: slots });
    const owner = await signedIn(app, 'a@toko.test');
    const { csrf } = await page(owner, feeBills());
    const short = `${BILLING_REPORT_HEAD}\r\ntxn_1,ref,VA_PAYMENT,BCA,DEFAULT,biz_1,2026-10-05 10:00:00,IDR,150000,4500,495`;
    await owner.post(preview()).type('form').send({ _csrf: csrf(), report: short }).expect(200);
    await owner.post(preview()).type('form').send({ _csrf: csrf(), report: REPORT }).expect(429);
    free();
  });

  it('an upload whose connection ended while who may send it was read holds no slot: the next upload is read', async () => {
    const slots = createUploadSlots();
    let took!: () => void;
    const taken = new Promise<void>((resolve) => (took = resolve));
    const watched: UploadSlots = {
      take: (merchantId) => {
        const free = slots.take(merchantId);
        took();
        return free;
      },
      inUse: slots.inUse,
    };
    // The merchant read that the gate waits on ends only once the server has seen the connection close.
    let closed!: () => void;
    const gone = new Promise<void>((resolve) => (closed = resolve));
    let holdRead = false;
    const merchants = h.stores.merchants;
    const stores = {
      ...h.stores,
      merchants: {
        ...merchants,
        byId: async (id: string) => {
          const m = await merchants.byId(id);
          if (holdRead) await gone;
          return m;
        },
      },
    };
    const app = createApp({ ...h.deps, stores, uploads: watched });
    h.serve((req, res) => {
      if (req.method === 'POST') req.socket.once('close', closed);
      app(req, res);
    });
    const owner = await signedIn(app, 'a@toko.test');
    const { csrf } = await page(owner, feeBills());
    const url = new URL(h.baseUrl);
    const login = await request(app).get(paths.adminLogin).expect(200);
    const first = String(login.headers['set-cookie']?.[0] ?? '').split(';')[0];
    const signed = await request(app)
      .post(paths.adminLogin)
      .set('Cookie', first)
      .type('form')
      .send({ _csrf: csrfOf(login.text), email: 'a@toko.test', password: PASSWORD })
      .expect(303);
    const session = String(signed.headers['set-cookie']?.[0] ?? '').split(';')[0];
    holdRead = true;
    const aborted = httpRequest({
      host: url.hostname,
      port: url.port,
      method: 'POST',
      path: preview(),
      headers: { cookie: session, 'content-type': 'application/x-www-form-urlencoded', 'content-length': '20000' },
    });
    aborted.on('error', () => {});
    // Headers and a first byte on the wire, then the connection ends: a tab closed mid-upload.
    aborted.write('_', () => aborted.destroy());
    await taken;
    holdRead = false;
    assert.equal(slots.inUse(), 0, 'the slot of an upload gone before its gate is given back');
    await owner.post(preview()).type('form').send({ _csrf: csrf(), report: REPORT }).expect(200);
  });

  it('a compressed body is refused unread (415, a page saying to send it as the browser does), whatever length it says: it would take no slot and grow past it', async () => {
    const slots = createUploadSlots();
    const held = [slots.take('merchant-x')!, slots.take('merchant-y')!];
    const app = createApp({ ...h.deps, uploads: slots });
    h.serve(app);
    const owner = await signedIn(app, 'a@toko.test');
    const { csrf } = await page(owner, feeBills());
    // The session's cookie, for bodies sent by hand (superagent would re-encode a Buffer as a form).
    const login = await request(app).get(paths.adminLogin).expect(200);
    const first = String(login.headers['set-cookie']?.[0] ?? '').split(';')[0];
    const signed = await request(app)
      .post(paths.adminLogin)
      .set('Cookie', first)
      .type('form')
      .send({ _csrf: csrfOf(login.text), email: 'a@toko.test', password: PASSWORD })
      .expect(303);
    const cookie = String(signed.headers['set-cookie']?.[0] ?? '').split(';')[0];
    const token = csrfOf((await request(app).get(feeBills()).set('Cookie', cookie).expect(200)).text);
    const url = new URL(h.baseUrl);
    const post = (path: string, encoding: string, body: Buffer) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            method: 'POST',
            path,
            headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': encoding, 'content-length': String(body.length) },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve({ status: res.statusCode!, text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });

    const form = new URLSearchParams({ _csrf: token, report: REPORT }).toString();
    assert.ok(form.length > 16 * 1024);
    const encodings = { gzip: gzipSync(form), br: brotliCompressSync(form), deflate: deflateSync(form), GZip: gzipSync(form) };
    for (const [encoding, sent] of Object.entries(encodings)) {
      // Under the 16 kB that takes no slot, so the gate let it in while every slot was held.
      assert.ok(sent.length < 16 * 1024, `${encoding}: ${sent.length} bytes`);
      for (const path of [preview(), book(), disputes()]) {
        const res = await post(path, encoding, sent);
        assert.equal(res.status, 415, `${encoding} ${path}: ${res.status}`);
        assert.equal(cheerio.load(res.text)('h1').text().trim(), 'Compressed forms are not accepted');
      }
    }
    // The admin's other forms too: their 16 kB bound is on the bytes that arrive.
    assert.equal((await post(paths.adminLogout, 'gzip', gzipSync(`_csrf=${token}`))).status, 415);
    await request(app).get(feeBills()).set('Cookie', cookie).expect(200);
    assert.equal(slots.inUse(), 2);
    assert.equal((await h.stores.feeBills.forMerchant(h.merchant.id)).length, 0);
    // Sent as browsers send forms (identity, said or not), the same report is read once a slot is free.
    held.forEach((free) => free());
    assert.equal((await post(preview(), 'identity', Buffer.from(form))).status, 200);
    await owner.post(preview()).type('form').send({ _csrf: csrf(), report: REPORT }).expect(200);
  });

  it("one upload at a time per merchant, two per process: a merchant's upload in progress does not hold another's", () => {
    const slots = createUploadSlots();
    const a = slots.take('merchant-a');
    assert.ok(a);
    assert.equal(slots.take('merchant-a'), null, 'a second of the same merchant waits');
    const b = slots.take('merchant-b');
    assert.ok(b, "another merchant's is read");
    assert.equal(slots.take('merchant-c'), null, 'no more than two per process');
    a();
    a();
    assert.ok(slots.take('merchant-c'), 'a slot given back once is taken again');
    assert.equal(slots.inUse(), 2);
  });
});
