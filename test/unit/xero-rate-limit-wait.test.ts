import { strict as assert } from 'node:assert';
import { rateLimitWaitSeconds, toUpstreamError } from '../../app/clients/xero/errors.js';

const now = () => new Date('2026-12-07T10:00:00Z');
/** A 429 as xero-node rejects with it (errors.ts readFailure). */
const rejection = (headers: Record<string, string>) => JSON.stringify({ response: { statusCode: 429, body: { Title: 'Too many requests' }, headers } });

describe('Xero 429: how long it says to wait (developer.xero.com/documentation/guides/oauth2/limits)', () => {
  it('Retry-After when sent (minute and daily limits), whatever the problem header says', () => {
    assert.equal(rateLimitWaitSeconds({ 'retry-after': '37', 'x-rate-limit-problem': 'minute' }, now), 37);
    assert.equal(rateLimitWaitSeconds({ 'Retry-After': '5', 'X-Rate-Limit-Problem': 'concurrent' }, now), 5);
  });

  it('a second for the concurrent limit, which sends no Retry-After', () => {
    assert.equal(rateLimitWaitSeconds({ 'X-Rate-Limit-Problem': 'concurrent' }, now), 1);
    assert.equal(toUpstreamError(rejection({ 'x-rate-limit-problem': 'concurrent' }), 'api', now)?.retryAfterSeconds, 1);
  });

  it('nothing when the 429 says neither: the callers keep their conservative defaults', () => {
    assert.equal(rateLimitWaitSeconds({}, now), undefined);
    assert.equal(rateLimitWaitSeconds({ 'x-rate-limit-problem': 'day' }, now), undefined);
    assert.equal(toUpstreamError(rejection({}), 'api', now)?.retryAfterSeconds, undefined);
  });
});
