import { strict as assert } from 'node:assert';
import { createCallbackTokenCache } from '../../app/callbacks/token-cache.js';
import { manualClock } from '../helpers/harness.js';

describe('callback token memory', () => {
  it('a read the save overtook (it holds the token from before) is not remembered: the new token is accepted at once', async () => {
    const clock = manualClock();
    let stored = 'old-token';
    let release: () => void = () => {};
    let held: Promise<void> | undefined;
    const tokens = createCallbackTokenCache({
      clock,
      load: async () => {
        const token = stored;
        await held;
        return token;
      },
    });
    held = new Promise((resolve) => (release = resolve));
    // Xendit's callback with the regenerated token arrives while the old one is still stored...
    const inFlight = tokens.check('m-1', 'new-token');
    // ...and the merchant's save lands before that read is answered.
    stored = 'new-token';
    tokens.forget('m-1');
    release();
    held = undefined;
    assert.equal(await inFlight, false, 'refused on what it read');
    assert.equal(await tokens.check('m-1', 'new-token'), true, 'not refused again from memory');
    assert.equal(await tokens.check('m-1', 'old-token'), false);
  });
});

describe('callback token memory under a burst', () => {
  /** A load whose answers the test releases, counting the reads. */
  function heldLoad(token: string) {
    const reads: Array<() => void> = [];
    return {
      reads,
      load: () => new Promise<string>((resolve) => reads.push(() => resolve(token))),
      releaseAll: () => reads.splice(0).forEach((r) => r()),
    };
  }

  it('callbacks that arrive while the merchant is read share that read: one query, not one per callback', async () => {
    const clock = manualClock();
    const db = heldLoad('tok');
    let loads = 0;
    const tokens = createCallbackTokenCache({ clock, load: () => (loads++, db.load()) });
    const burst = Array.from({ length: 20 }, () => tokens.check('m-1', 'tok'));
    await new Promise((r) => setImmediate(r));
    db.releaseAll();
    assert.deepEqual(await Promise.all(burst), Array(20).fill(true));
    assert.equal(loads, 1);
    // Each still compares its own token: a wrong one in the same burst is refused.
    const mixed = [tokens.check('m-2', 'tok'), tokens.check('m-2', 'nope')];
    await new Promise((r) => setImmediate(r));
    db.releaseAll();
    assert.deepEqual(await Promise.all(mixed), [true, false]);
  });

  it('a remembered token is read again shortly before it lapses, in the background: steady callbacks never wait on the database', async () => {
    const clock = manualClock();
    const db = heldLoad('tok');
    let loads = 0;
    const tokens = createCallbackTokenCache({ clock, ttlMs: 5_000, load: () => (loads++, db.load()) });
    const first = tokens.check('m-1', 'tok');
    await new Promise((r) => setImmediate(r));
    db.releaseAll();
    assert.equal(await first, true);
    clock.advance(4_500);
    assert.equal(await tokens.check('m-1', 'tok'), true, 'answered from memory while the read runs');
    assert.equal(loads, 2, 'the read ahead started');
    db.releaseAll();
    await new Promise((r) => setImmediate(r));
    clock.advance(1_000); // past the first read's 5 s, within the second's
    assert.equal(await tokens.check('m-1', 'tok'), true);
    assert.equal(loads, 2, 'no read of its own');
  });

  it('a check that starts after a save does not share the read from before it', async () => {
    const clock = manualClock();
    let stored = 'old-token';
    const pending: Array<() => void> = [];
    let loads = 0;
    const tokens = createCallbackTokenCache({
      clock,
      load: () => {
        loads++;
        const token = stored;
        return new Promise<string>((resolve) => pending.push(() => resolve(token)));
      },
    });
    const before = tokens.check('m-1', 'old-token');
    stored = 'new-token';
    tokens.forget('m-1');
    const after = tokens.check('m-1', 'new-token');
    await new Promise((r) => setImmediate(r));
    pending.splice(0).forEach((r) => r());
    assert.equal(await before, true, 'read before the save');
    assert.equal(await after, true, 'its own read, after the save');
    assert.equal(loads, 2);
  });
});
