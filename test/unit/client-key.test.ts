import { strict as assert } from 'node:assert';
import { clientKey, clientNetworkKey } from '../../app/security/client-address.js';

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

  it('an IPv4 client is one client however an IPv4-mapped address is written (a proxy may forward any of these forms)', () => {
    for (const ip of [
      '198.51.100.9',
      '::ffff:198.51.100.9',
      '::FFFF:198.51.100.9',
      '::ffff:c633:6409',
      '0:0:0:0:0:ffff:198.51.100.9',
      '0:0:0:0:0:FFFF:C633:6409',
    ]) {
      assert.equal(clientKey(ip), '198.51.100.9', ip);
      assert.equal(clientNetworkKey(ip), '198.51.100.0/24', ip);
    }
  });

  it('every address of one /64 is one client, written in any form (zeros, case, a dotted tail, a zone)', () => {
    for (const ip of [
      '2001:db8:1:2::',
      '2001:0db8:0001:0002:0000:0000:0000:0001',
      '2001:db8:1:2:1:2:3:4',
      '2001:db8:1:2:ffff::1.2.3.4',
      '2001:DB8:1:2::A',
      '2001:db8:1:2::1%eth0',
    ]) {
      assert.equal(clientKey(ip), '2001:db8:1:2::/64', ip);
    }
    assert.notEqual(clientKey('2001:db8:1:3::1'), clientKey('2001:db8:1:2::1'), 'the next /64 is another client');
  });
});
