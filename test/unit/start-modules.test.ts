import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UNUSED_XERO_APIS, XeroClient, xeroApiDir } from '../../app/clients/xero/sdk.js';

/**
 * What `npm start` loads that it never runs costs memory and start-up time (docs/performance.md,
 * "Memory at start"). The graph of the gateway's entry modules is loaded in a fresh process (this
 * one's module cache holds whatever other test files loaded) and its require cache inspected.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function loadedByStart(): string[] {
  const script = `
    import { createRequire } from 'node:module';
    await import('./app/bin/bootstrap.ts');
    await import('./app/server.ts');
    await import('./app/bin/demo.ts');
    await import('./app/bin/worker.ts');
    const { createLogger } = await import('./app/bin/bootstrap.ts');
    createLogger({ logLevel: 'warn', logFormat: 'json', env: 'production' });
    console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, LOG_FORMAT: 'json' },
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as string[];
}

describe('modules loaded at start', () => {
  let loaded: string[];
  before(function () {
    this.timeout(60_000);
    loaded = loadedByStart();
  });

  it('loads xero-node but none of the APIs it ships that the gateway never calls, nor their models', () => {
    assert.ok(loaded.some((f) => f.includes('/xero-node/dist/gen/api/accountingApi.js')));
    const unused = loaded.filter((f) => /\/xero-node\/dist\/gen\/model\/(?!accounting\/)/.test(f));
    assert.deepEqual(unused.slice(0, 3), [], `${unused.length} model files of unused xero-node APIs loaded`);
  });

  it("loads only xendit-node's runtime, balance and transaction, invoice and refund APIs", () => {
    const parts = new Set(loaded.flatMap((f) => /\/xendit-node\/([^/]+)/.exec(f)?.[1] ?? []));
    assert.deepEqual([...parts].sort(), ['balance_and_transaction', 'invoice', 'refund', 'runtime.js']);
  });

  it('does not load pino-pretty for JSON logs', () => {
    assert.deepEqual(
      loaded.filter((f) => f.includes('/pino-pretty/')),
      [],
    );
  });
});

describe("xero-node's XeroClient without its unused APIs", () => {
  it('leaves out every API file its apis.js requires but accounting (a new xero-node API would fail here)', () => {
    const required = [...readFileSync(join(xeroApiDir, 'apis.js'), 'utf8').matchAll(/require\("\.\/(\w+)"\)/g)].map((m) => m[1]!);
    assert.deepEqual([...new Set(required)].sort(), ['accountingApi', ...Object.keys(UNUSED_XERO_APIS)].sort());
  });

  it('still has the accounting API and takes a token set, as the gateway uses it', () => {
    const sdk = new XeroClient({ clientId: 'id', clientSecret: 'secret', grantType: 'client_credentials' });
    assert.equal(typeof sdk.accountingApi.getInvoices, 'function');
    sdk.setTokenSet({ access_token: 'token', token_type: 'Bearer', expires_at: 2_000_000_000 });
    assert.equal((sdk.accountingApi as unknown as { authentications: { OAuth2: { accessToken: string } } }).authentications.OAuth2.accessToken, 'token');
  });
});
