import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { routedTo, xeroSdkAxiosForTests } from '../../app/clients/xero/routing.js';

/**
 * The Xero client patches the axios instance inside xero-node, so the SDK's version is pinned
 * exactly and every call it makes must go to the configured URLs or nowhere.
 */
describe('xero-node routing', () => {
  it('is pinned to an exact version in package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    assert.match(pkg.dependencies['xero-node']!, /^\d+\.\d+\.\d+$/);
  });

  it('refuses a call to a host other than the configured Xero URLs, before it is sent', async () => {
    const sdkAxios = xeroSdkAxiosForTests();
    const urls = { apiUrl: 'http://127.0.0.1:9/sim-xero', identityUrl: 'http://127.0.0.1:9/sim-identity' };
    for (const url of [
      'https://login.xero.com/identity/connect/authorize',
      'https://evil.example/api.xro/2.0/Invoices',
      'http://127.0.0.1:9/sim-xero-other/x',
    ]) {
      await assert.rejects(
        routedTo(urls, () => sdkAxios.get(url)),
        /refused: xero-node called/,
      );
    }
  });

  it('maps the real Xero hosts onto the configured ones', async () => {
    const sdkAxios = xeroSdkAxiosForTests();
    // Port 9 (discard) refuses the connection: what matters is where the request went.
    const err = (await routedTo({ apiUrl: 'http://127.0.0.1:9/x', identityUrl: 'http://127.0.0.1:9/i' }, () =>
      sdkAxios.get('https://api.xero.com/api.xro/2.0/Invoices'),
    ).catch((e: unknown) => e)) as { config?: { url?: string } };
    assert.equal(err.config?.url, 'http://127.0.0.1:9/x/api.xro/2.0/Invoices');
  });
});
