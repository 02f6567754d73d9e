/**
 * xero-node's XeroClient, without the APIs the gateway never calls.
 *
 * xero-node 20's index (and XeroClient itself, through gen/api/apis) require()s every API it ships:
 * accounting, and also assets, projects, files, payroll AU/UK/NZ, bank feeds, app store and finance,
 * each with its models: 562 files, about 10 MB of resident memory and a third of its load time, for
 * APIs no file here calls. XeroClient's constructor makes one instance of each and
 * setAccessToken() writes `accessToken` on each; nothing else of XeroClient touches them.
 *
 * So before the SDK is first required, the unused API files are put in require's cache (the
 * documented way to supply a module: nodejs.org/api/modules.html#requirecache) as inert classes:
 * they take the token and have no methods. Everything the gateway calls (XeroClient, accountingApi,
 * the accounting models, openid-client, axios) is the SDK's own code. xero-node is pinned (20.0.0):
 * a new version that adds an API or renames a file fails `xero-sdk-modules.test.ts`, not a call.
 */
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** xero-node's API files (dist/gen/api) the gateway never calls, and the class each exports. */
export const UNUSED_XERO_APIS: Record<string, string> = {
  assetApi: 'AssetApi',
  projectApi: 'ProjectApi',
  filesApi: 'FilesApi',
  payrollAUApi: 'PayrollAuApi',
  bankfeedsApi: 'BankFeedsApi',
  payrollUKApi: 'PayrollUkApi',
  payrollNZApi: 'PayrollNzApi',
  appStoreApi: 'AppStoreApi',
  financeApi: 'FinanceApi',
};

/** Where xero-node's API files are. */
export const xeroApiDir = join(dirname(require.resolve('xero-node')), 'gen', 'api');

/** An API the gateway does not call: holds the token XeroClient gives every API, nothing more. */
class UnusedXeroApi {
  accessToken?: string;
}

function leaveUnusedApisOut(): void {
  for (const [file, exported] of Object.entries(UNUSED_XERO_APIS)) {
    const filename = join(xeroApiDir, `${file}.js`);
    if (require.cache[filename]) continue; // already loaded in full (a test that required the SDK first): keep it
    const stub = new Module(filename);
    stub.filename = filename;
    stub.loaded = true;
    stub.exports = { [exported]: class extends UnusedXeroApi {} };
    require.cache[filename] = stub;
  }
}

leaveUnusedApisOut();

const sdk = require('xero-node') as typeof import('xero-node');

export const XeroClient = sdk.XeroClient;
export type XeroClient = import('xero-node').XeroClient;
