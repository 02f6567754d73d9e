import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import request from 'supertest';
import { createLogger, logFormatFor } from '../../app/bin/bootstrap.js';
import { createApp } from '../../app/server.js';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { rawRequest } from '../helpers/raw-request.js';
import { addUser, clearAdminTables } from '../helpers/admin.js';

/** Logs an operator can read: readable at a terminal, JSON for collectors, no noise, no secrets. */
describeEachDatabase('logs', ({ db }) => {
  let h: Harness;
  afterEach(() => h?.close());

  const sink = () => {
    const lines: string[] = [];
    return { lines, stream: new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) }) };
  };

  it('is readable lines at a terminal in development, JSON in production, in a pipe, or when LOG_FORMAT says so', () => {
    assert.equal(logFormatFor({ env: 'development' }, true), 'pretty');
    assert.equal(logFormatFor({ env: 'development' }, false), 'json');
    assert.equal(logFormatFor({ env: 'production' }, true), 'json');
    assert.equal(logFormatFor({ env: 'production', logFormat: 'pretty' }, false), 'pretty');
    assert.equal(logFormatFor({ env: 'development', logFormat: 'json' }, true), 'json');
    const pretty = sink();
    createLogger({ logLevel: 'info', logFormat: 'pretty' }, pretty.stream).info({ merchantId: 'm-1' }, 'merchant added');
    assert.match(pretty.lines.join(''), /INFO.*merchant added/);
    assert.throws(() => JSON.parse(pretty.lines.join('')));
    const json = sink();
    createLogger({ logLevel: 'info' }, json.stream).info('x');
    assert.equal(JSON.parse(json.lines[0]).msg, 'x');
  });

  it('keeps health checks and static files out of the info log, and one-time links out of every log', async () => {
    h = await createHarness(db());
    const out = sink();
    const app = createApp({ ...h.deps, logger: createLogger({ logLevel: 'info' }, out.stream) });
    await request(app).get('/healthz').expect(200);
    await request(app).get('/public/style.css').expect(200);
    await request(app).get('/admin/connect/SECRET-connect-token-123').expect(404);
    await request(app).get('/admin/welcome/SECRET-invite-token-456').expect(410);
    await request(app).get('/admin/setup/SECRET-setup-token-789');
    const text = out.lines.join('');
    assert.doesNotMatch(text, /healthz|style\.css/);
    assert.doesNotMatch(text, /SECRET-/);
    assert.match(text, /\/admin\/welcome\/\[redacted\]/);
  });

  it("takes a client's X-Request-Id as the request's id only through a trusted proxy, and only a plain one; else logs it apart", async () => {
    const run = async (env: Record<string, string>, id: string) => {
      h?.close();
      h = await createHarness(db(), { env });
      const out = sink();
      const app = createApp({ ...h.deps, logger: createLogger({ logLevel: 'info' }, out.stream) });
      const res = await request(app).get('/pay/return?ref=nothing').set('X-Request-Id', id).expect(200);
      const line = out.lines.map((l) => JSON.parse(l)).find((l) => l.req?.url?.startsWith('/pay/return'));
      return { echoed: res.headers['x-request-id'], reqId: line.req.id, clientRequestId: line.clientRequestId };
    };
    const spoof = 'forged-id-0001';
    const direct = await run({}, spoof);
    assert.notEqual(direct.reqId, spoof);
    assert.notEqual(direct.echoed, spoof);
    assert.equal(direct.echoed, direct.reqId);
    assert.equal(direct.clientRequestId, spoof);
    const proxied = await run({ TRUST_PROXY: '1' }, 'lb-7f3a9c01-e2');
    assert.equal(proxied.reqId, 'lb-7f3a9c01-e2');
    assert.equal(proxied.echoed, 'lb-7f3a9c01-e2');
    const odd = await run({ TRUST_PROXY: '1' }, 'bad id\t<b>' + 'x'.repeat(200));
    assert.doesNotMatch(odd.reqId, /bad/);
    assert.ok(odd.clientRequestId.length <= 64 && /^[\x21-\x7e]+$/.test(odd.clientRequestId), odd.clientRequestId);
  });

  it('keeps one-time links and the OAuth answer out of the log however the path is spelled', async () => {
    h = await createHarness(db());
    const out = sink();
    const app = createApp({ ...h.deps, logger: createLogger({ logLevel: 'info' }, out.stream) });
    await request(app).get('/ADMIN/WELCOME/SECRET-invite-token-456');
    await request(app).get('/Admin/connect/SECRET-connect-token-123');
    await request(app).get('/admin/SETUP/SECRET-setup-token-789');
    await request(app).get('/ADMIN/xero/callback?code=SECRET-code&state=SECRET-state');
    await request(app).get('/admin/Xero/Callback/?code=SECRET-code2&state=SECRET-state2');
    const text = out.lines.join('');
    assert.match(text, /welcome/i);
    assert.doesNotMatch(text, /SECRET-/);
  });

  it('keeps one-time links and the OAuth answer out of the log when the request line names the URL whole (absolute-form)', async () => {
    h = await createHarness(db());
    const out = sink();
    h.serve(createApp({ ...h.deps, logger: createLogger({ logLevel: 'info' }, out.stream) }));
    await clearAdminTables(db());
    const user = await addUser(h.stores, 'invited@example.com', null);
    const token = 'SECRET-invite-token-'.padEnd(43, 'x');
    await h.stores.users.addLink(
      user.id,
      'invite',
      createHash('sha256').update(token).digest('base64url'),
      h.clock(),
      new Date(h.clock().getTime() + 86_400_000),
    );
    // Express routes these by their path (RFC 9112 §3.2.2: servers must accept absolute-form); supertest would send origin-form.
    // A usable link's page is answered from its route, with the token in req.params too.
    const welcome = await rawRequest(h.baseUrl, 'GET', `http://gw/admin/welcome/${token}`, { accept: 'text/html' });
    assert.equal(welcome.status, 200, 'routed to the welcome link');
    await rawRequest(h.baseUrl, 'GET', 'http://gw/admin/xero/callback?code=SECRET-code&state=SECRET-state', { accept: 'text/html' });
    // A port no URL has: the WHATWG parser refuses it, express routes it all the same.
    await rawRequest(h.baseUrl, 'GET', 'http://gw:99999/ADMIN/Welcome/SECRET-invite-token-789', { accept: 'text/html' });
    const text = out.lines.join('');
    assert.doesNotMatch(text, /SECRET-/);
    assert.match(text, /"url":"\/admin\/welcome\/\[redacted\]"/);
    assert.match(text, /"url":"\/admin\/xero\/callback","query":\{\}/);
  });
});
