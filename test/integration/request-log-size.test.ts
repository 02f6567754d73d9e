import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import request from 'supertest';
import { createLogger } from '../../app/bin/bootstrap.js';
import { createApp } from '../../app/server.js';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';

/**
 * Every callback writes one request log line, synchronously, on the event loop the next callbacks
 * wait on (docs/performance.md: the request log was the largest share of the callback path's CPU
 * after the handler and the database). helmet's headers are the same on every answer and say nothing
 * about the request, so they are not serialised and written again each time.
 */
describeEachDatabase('the request log line', ({ db }) => {
  let h: Harness;
  afterEach(() => h?.close());

  it("holds the answer's status and the headers that vary, not helmet's constant ones, and no secret", async () => {
    h = await createHarness(db());
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) });
    const app = createApp({ ...h.deps, logger: createLogger({ logLevel: 'info' }, sink) });
    const answer = await request(app)
      .post(h.callbackPath)
      .set('x-callback-token', h.merchant.callbackToken)
      .type('json')
      .send({ id: 'inv-1', external_id: 'nobody', status: 'PENDING' })
      .expect(200);
    assert.ok(answer.headers['content-security-policy'], 'helmet still sets its headers on the answer');
    const line = lines
      .map((l) => JSON.parse(l) as { msg: string; res?: { statusCode: number; headers?: Record<string, unknown> } })
      .find((l) => l.msg === 'request completed');
    assert.ok(line?.res, 'the request is logged');
    assert.equal(line.res.statusCode, 200);
    assert.deepEqual(Object.keys(line.res.headers ?? {}).sort(), ['content-length', 'content-type']);
    const raw = lines.find((l) => l.includes('"request completed"'))!;
    assert.ok(raw.length < 700, `a log line of ${raw.length} characters`);
    assert.ok(!raw.includes(h.merchant.callbackToken), 'the callback token is not logged');
  });

  it('keeps where a redirect went and when to come back', async () => {
    h = await createHarness(db());
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) });
    const app = createApp({ ...h.deps, logger: createLogger({ logLevel: 'info' }, sink) });
    await request(app).get('/admin').expect(303);
    const line = lines.map((l) => JSON.parse(l) as { msg: string; res?: { headers?: Record<string, unknown> } }).find((l) => l.msg === 'request completed');
    assert.ok(typeof line?.res?.headers?.location === 'string', 'a redirect is logged with its location');
  });
});
