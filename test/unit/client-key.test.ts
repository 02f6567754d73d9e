import { strict as assert } from 'node:assert';
import { clientKey, clientNetworkKey } from '../../app/security/rate-limit.js';

describe('the units sign-in and /pay count clients by', () => {
  it('counts a client by its IPv4 address or IPv6 /64, and its network by the IPv4 /24 or IPv6 /48', () => {
    const cases: [string, string, string][] = [
      ['203.0.113.7', '203.0.113.7', '203.0.113.0/24'],
      ['::ffff:203.0.113.7', '203.0.113.7', '203.0.113.0/24'],
      ['2001:db8:1:2::1', '2001:db8:1:2::/64', '2001:db8:1::/48'],
      ['2001:0db8:0001:0002:aaaa:0:0:9', '2001:db8:1:2::/64', '2001:db8:1::/48'],
      ['2001:DB8:1:FFFF::', '2001:db8:1:ffff::/64', '2001:db8:1::/48'],
      ['2001:db8::1', '2001:db8:0:0::/64', '2001:db8:0::/48'],
    ];
    for (const [ip, client, network] of cases) {
      assert.equal(clientKey(ip), client, ip);
      assert.equal(clientNetworkKey(ip), network, ip);
    }
    assert.equal(clientNetworkKey(undefined), 'unknown');
  });
});
