import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { rawRequest as raw } from '../helpers/raw-request.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

/** Percent-encodes as UTF-8 bytes; unlike encodeURIComponent it also takes lone surrogates. */
const pct = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');
const encodeAll = (s: string) => s.replace(/[^A-Za-z0-9_.~-]/gu, pct);
/** Characters Node's client refuses in a path are escaped; everything else (even '%', '&' or '#') goes out raw. */
const pathSafe = (s: string) => s.replace(/[^\u0021-\u00ff]/gu, pct);
const headerSafe = (s: string) => s.replace(/[^\u0020-\u007e]/g, '');

const hugeNumber = fc.oneof(
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.double().map(String),
  fc.constantFrom('1e308', '-1', '-0', 'NaN', 'Infinity', '9007199254740993', '0x10', '1_000'),
);
const hostileChar = fc.constantFrom(
  '\u0000',
  '\u0001',
  '\u007f',
  '\ud800',
  '\udfff',
  '\u202e',
  '\ufeff',
  '"',
  '\\',
  '%',
  '&',
  '#',
  '=',
  '[',
  ']',
  'a',
  '1',
  '€',
  '𐀀',
);
const nastyString = fc.oneof(
  fc.string({ unit: hostileChar, maxLength: 12 }),
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', ' ', '%', '%ZZ', '%E0%A4', '%00', '\u0000', '%FF%FE', '../../etc/passwd', '<script>', "' or 1=1 --", '[INVOICENUMBER]'),
);

describeEachDatabase('fuzzing the public routes', ({ db }) => {
  let h: Harness;
  let invoiceNumber: string;
  before(async () => {
    // Rate limits off: the fuzzer must reach every code path, not the 429.
    h = await createHarness(db(), {
      env: {
        PAY_RATE_LIMIT_PER_IP: '0',
        PAY_RATE_LIMIT_PER_SHORTCODE: '0',
        PAY_RATE_LIMIT_PER_INVOICE: '0',
        PAY_UNKNOWN_PER_WINDOW: '0',
        PAY_RATE_LIMIT_PER_CLIENT: '0',
        PAY_UNKNOWN_PER_CLIENT: '0',
        PAY_UNKNOWN_PER_NETWORK: '0',
        PAY_UNKNOWN_XERO_PERCENT: '100',
        BURST_LIMIT_PER_MINUTE: '0',
        CALLBACK_REFUSALS_PER_MINUTE: '0',
      },
    });
    invoiceNumber = h.addInvoice({}).invoiceNumber;
    h.sims.xero.limits.perMinute = 1_000_000; // nor Xero's own limit (reset by the next harness)
  });
  after(() => h.close());

  it('GET /pay: arbitrary query strings, unicode, huge numbers and arrays for scalars never give a 500', async () => {
    const allowedHost = new URL(h.sims.xenditUrl).host;
    const key = fc.oneof(fc.constantFrom('invoiceNo', 'invoiceNumber', 'INVOICENO', 'shortCode', 'SHORTCODE', 'currency', 'amount', 'lang'), nastyString);
    const value = fc.oneof(nastyString, hugeNumber, fc.constantFrom(invoiceNumber, h.merchant.shortCode, 'IDR', 'en'));
    const param = fc.record({
      key,
      values: fc.array(value, { minLength: 1, maxLength: 3 }),
      shape: fc.constantFrom('plain', 'repeat', 'brackets', 'nested', 'bare'),
      encode: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(param, { maxLength: 6 }), fc.boolean(), async (params, includeValid) => {
        const enc = (s: string, e: boolean) => (e ? encodeAll(s) : pathSafe(s));
        const parts = params.flatMap(({ key: k, values, shape, encode }) => {
          const name = enc(k, encode);
          if (shape === 'bare') return [name];
          if (shape === 'repeat') return values.map((v) => `${name}=${enc(v, encode)}`);
          if (shape === 'brackets') return values.map((v) => `${name}[]=${enc(v, encode)}`);
          if (shape === 'nested') return [`${name}[a][b]=${enc(values[0], encode)}`];
          return [`${name}=${enc(values[0], encode)}`];
        });
        if (includeValid) parts.unshift(`invoiceNo=${encodeURIComponent(invoiceNumber)}`, `shortCode=${encodeURIComponent(h.merchant.shortCode)}`);
        const res = await raw(h.baseUrl, 'GET', `/pay?${parts.join('&')}`, { accept: 'text/html' });
        assert.ok(res.status < 500, `GET /pay?${parts.join('&')} → ${res.status}`);
        assert.ok([200, 303, 400, 404, 409, 422].includes(res.status), `unexpected ${res.status}`);
        if (res.status === 303) assert.equal(new URL(res.location!).host, allowedHost);
        assert.doesNotMatch(res.body, /\bat .*\.(ts|js):\d+/, 'no stack trace');
      }),
      { numRuns: RUNS },
    );
  });

  it('POST callback: arbitrary JSON bodies and headers never give a 500, and nothing is written without the valid token', async () => {
    assert.equal((await raw(h.baseUrl, 'GET', h.payUrl(invoiceNumber), {})).status, 303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    const scalarOrWorse = (real: string) =>
      fc.oneof(fc.constant(real), nastyString, hugeNumber.map(Number), fc.array(fc.constant(real), { maxLength: 2 }), fc.constant(null), fc.jsonValue());
    const invoiceLike = fc.record(
      {
        id: scalarOrWorse(x.id),
        external_id: scalarOrWorse(x.external_id),
        status: fc.oneof(fc.constantFrom('PAID', 'SETTLED', 'EXPIRED', 'paid', 'PENDING'), nastyString, fc.jsonValue()),
        amount: fc.oneof(hugeNumber, hugeNumber.map(Number), fc.jsonValue()),
        extra: fc.oneof(fc.jsonValue(), fc.dictionary(nastyString, nastyString, { maxKeys: 3 })),
      },
      { requiredKeys: ['id', 'external_id', 'status'] },
    );
    const partial = fc.record({ id: fc.constant(x.id), status: fc.constant('PAID'), amount: hugeNumber }, { requiredKeys: [] });
    // Weighted towards requests that get past the token check, where the interesting code is.
    const body = fc.oneof(
      { arbitrary: invoiceLike.map((b) => JSON.stringify(b)), weight: 6 },
      partial.map((b) => JSON.stringify(b)),
      fc.json(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      nastyString,
      fc.constant(''),
    );
    const token = fc.oneof(
      { arbitrary: fc.constant({ valid: true, value: h.merchant.callbackToken as string | undefined }), weight: 6 },
      fc.constant({ valid: false, value: undefined as string | undefined }),
      fc.string({ maxLength: 80 }).map((s) => ({ valid: false, value: headerSafe(s) as string | undefined })),
      fc.constant({ valid: false, value: h.merchant.callbackToken.slice(0, -1) as string | undefined }),
      fc.constant({ valid: false, value: `${h.merchant.callbackToken}x` as string | undefined }),
    );
    const contentType = fc.oneof(
      { arbitrary: fc.constant('application/json'), weight: 4 },
      fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/json; charset=latin1',
        '',
      ),
      fc.string({ maxLength: 40 }).map(headerSafe),
    );
    const target = fc.oneof(
      { arbitrary: fc.constant(h.callbackPath), weight: 4 },
      fc.uuid().map((u) => `/callbacks/xendit/${u}`),
      nastyString.map((s) => `/callbacks/xendit/${encodeAll(s)}`),
    );
    const writes = async () => ({
      events: await h.count('callback_events'),
      jobs: await h.count('jobs'),
      checkout: (await h.stores.checkouts.forXenditInvoice(h.merchant.id, x.id, x.external_id))?.status,
    });

    await fc.assert(
      fc.asyncProperty(target, token, contentType, body, async (path, tok, ct, payload) => {
        const before = await writes();
        const headers: Record<string, string> = {};
        if (ct) headers['content-type'] = ct;
        if (tok.value !== undefined) headers['x-callback-token'] = tok.value;
        const res = await raw(h.baseUrl, 'POST', path, headers, payload);
        assert.ok(res.status < 500, `POST ${path} (${ct}) ${payload.slice(0, 200)} → ${res.status} ${res.body.slice(0, 200)}`);
        const authorised = tok.valid && path === h.callbackPath;
        if (!authorised) {
          assert.ok([401, 404].includes(res.status), `unauthorised call answered ${res.status}`);
          assert.deepEqual(await writes(), before, 'no write without a valid token');
        }
        if (res.status !== 200) assert.deepEqual(await writes(), before, 'a refused callback writes nothing');
      }),
      { numRuns: RUNS * 2 },
    );
  });
});
