import { strict as assert } from 'node:assert';
import { tooSlow, uploadPaceFor } from '../../app/admin/uploads.js';

describe('Xendit report uploads: how fast a body must arrive', () => {
  const pace = uploadPaceFor(15_000);

  it("answers before the server's own 408: 13 s of its 15, stalled after a third of that without a byte", () => {
    // The page's connection is then read for at most 2 s (half the time left before Node's 408) or 1 MB more.
    assert.deepEqual(pace, { deadlineMs: 13_000, idleMs: 4333, minBytesPerSecond: 16 * 1024, linger: { ms: 1000, bytes: 2 ** 20 } });
    assert.deepEqual(uploadPaceFor(1500), { deadlineMs: 1200, idleMs: 400, minBytesPerSecond: 16 * 1024, linger: { ms: 150, bytes: 2 ** 20 } });
    assert.equal(uploadPaceFor(60_000).linger.ms, 1000);
  });

  it('the shortest timeout the settings take (100 ms) still leaves a body half of it: the deadline is never at or below zero', () => {
    for (const t of [100, 249, 250, 300, 499]) {
      const { deadlineMs, idleMs } = uploadPaceFor(t);
      assert.ok(deadlineMs >= t / 2 && deadlineMs < t && idleMs > 0, `${t} ms: deadline ${deadlineMs}, idle ${idleMs}`);
    }
  });

  it('a body arriving steadily enough to be in by the deadline goes on; a trickle is answered once past the idle time, not at the deadline', () => {
    const mb = 2 ** 20;
    // 24 MB at 2 MB/s: in by 12 s.
    assert.equal(tooSlow(pace, { elapsedMs: 6000, idleForMs: 10, received: 12 * mb, expected: 24 * mb }), false);
    // 24 MB at 1 MB/s cannot be in by 13 s: answered now, its slot given back.
    assert.equal(tooSlow(pace, { elapsedMs: 6000, idleForMs: 10, received: 6 * mb, expected: 24 * mb }), true);
    // Too early to judge a pace (a slow start), but not a stall.
    assert.equal(tooSlow(pace, { elapsedMs: 4000, idleForMs: 10, received: 1000, expected: 24 * mb }), false);
    assert.equal(tooSlow(pace, { elapsedMs: 5000, idleForMs: 5000, received: 0, expected: 20_000 }), true, 'stalled');
    assert.equal(tooSlow(pace, { elapsedMs: 13_000, idleForMs: 0, received: 20_000, expected: 20_001 }), true, 'the deadline');
    // No stated length: held to the least pace.
    assert.equal(tooSlow(pace, { elapsedMs: 6000, idleForMs: 10, received: 6000 * 16, expected: undefined }), true);
    assert.equal(tooSlow(pace, { elapsedMs: 6000, idleForMs: 10, received: 6000 * 20, expected: undefined }), false);
  });
});
