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
