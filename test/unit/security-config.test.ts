import { strict as assert } from 'node:assert';
import { loadConfig } from '../../config/index.js';

describe('config: security settings', () => {
  it('TRUST_PROXY: off by default, a hop count, or proxy addresses/CIDRs; anything else refused', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: 'off' }).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 2001:db8::/32,loopback' }).trustProxy, ['10.0.0.0/8', '2001:db8::/32', 'loopback']);
    for (const bad of ['10.0.0.0/33', 'lb.internal', '1.2.3', 'yes please', '99'])
      assert.throws(() => loadConfig({ TRUST_PROXY: bad }), /TRUST_PROXY/, bad);
  });
});
