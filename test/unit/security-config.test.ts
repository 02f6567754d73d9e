import { strict as assert } from 'node:assert';
import { loadConfig } from '../../config/index.js';

describe('config: security settings', () => {
  it('TRUST_PROXY: off by default, a hop count, or proxy addresses/CIDRs; anything else refused', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: 'off' }).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 2001:db8::/32,loopback' }).trustProxy, ['10.0.0.0/8', '2001:db8::/32', 'loopback']);
    for (const bad of ['10.0.0.0/33', 'lb.internal', '1.2.3', 'yes please', '99']) assert.throws(() => loadConfig({ TRUST_PROXY: bad }), /TRUST_PROXY/, bad);
  });
});

describe('config: demo listens on this machine only', () => {
  it('HOST defaults to 127.0.0.1 in demo mode, every interface otherwise, and can be set', () => {
    assert.equal(loadConfig({}).host, '127.0.0.1');
    assert.equal(loadConfig({ HOST: '0.0.0.0' }).host, '0.0.0.0');
    assert.equal(loadConfig({ XERO_CLIENT_ID: 'a', XERO_CLIENT_SECRET: 'b' }).host, undefined);
    assert.equal(loadConfig({ XERO_CLIENT_ID: 'a', XERO_CLIENT_SECRET: 'b', HOST: '10.0.0.5' }).host, '10.0.0.5');
  });
});
