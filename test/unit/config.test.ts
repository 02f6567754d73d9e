import { strict as assert } from 'node:assert';
import { ConfigError, loadConfig } from '../../config/index.js';
import { alertMailWarning } from '../../app/bin/bootstrap.js';

describe('config', () => {
  it('serves /metrics only with a METRICS_TOKEN of 16 characters or more', () => {
    assert.equal(loadConfig({}).metricsToken, undefined);
    assert.equal(loadConfig({ METRICS_TOKEN: 'a'.repeat(16) }).metricsToken, 'a'.repeat(16));
    assert.throws(() => loadConfig({ METRICS_TOKEN: 'short' }), ConfigError);
  });

  it('bounds the wait for a database connection: 10 s unless DATABASE_CONNECT_TIMEOUT_MS says otherwise, never unbounded', () => {
    assert.equal(loadConfig({}).databaseConnectTimeoutMs, 10_000);
    assert.equal(loadConfig({ DATABASE_CONNECT_TIMEOUT_MS: '2500' }).databaseConnectTimeoutMs, 2500);
    assert.throws(() => loadConfig({ DATABASE_CONNECT_TIMEOUT_MS: '0' }), ConfigError);
  });

  it('takes XERO_WEBHOOK_KEY without the spaces or newline it was pasted with (Xero signs with the key itself)', () => {
    const key = 'k'.repeat(40);
    assert.equal(loadConfig({ XERO_WEBHOOK_KEY: ` ${key}\n` }).xeroWebhookKey, key);
    assert.throws(() => loadConfig({ XERO_WEBHOOK_KEY: '   short   ' }), ConfigError);
  });

  it('runs the demo with no configuration at all', () => {
    const c = loadConfig({});
    assert.equal(c.demo, true);
    assert.equal(c.port, 3000);
    assert.equal(c.publicUrl, 'http://localhost:3000');
    assert.equal(c.xero.apiUrl, 'http://127.0.0.1:3000/_sim/xero');
    assert.deepEqual(c.xendit.checkoutHosts, ['localhost:3000']);
    assert.ok(Object.isFrozen(c));
  });

  it('talks to the real services by default once Xero credentials are set', () => {
    const c = loadConfig({ XERO_CLIENT_ID: 'id', XERO_CLIENT_SECRET: 's' });
    assert.equal(c.demo, false);
    assert.equal(c.xero.apiUrl, 'https://api.xero.com');
    assert.equal(c.xero.identityUrl, 'https://identity.xero.com');
    assert.equal(c.xero.loginUrl, 'https://login.xero.com');
    assert.equal(c.xendit.apiUrl, 'https://api.xendit.co');
    // A test key's invoices are on checkout-staging.xendit.co, a live key's on checkout.xendit.co.
    assert.deepEqual(c.xendit.checkoutHosts, ['checkout.xendit.co', 'checkout-staging.xendit.co']);
    // Staging only for a test key's checkouts: a live key's go to checkout.xendit.co alone.
    assert.deepEqual(c.xendit.testCheckoutHosts, ['checkout-staging.xendit.co']);
  });

  it('configures Connect to Xero from the Xero app: redirect URI from PUBLIC_URL, granular scopes by default', () => {
    const c = loadConfig({ XERO_CLIENT_ID: 'id', XERO_CLIENT_SECRET: 's', PUBLIC_URL: 'https://pay.example.id/' });
    assert.deepEqual(c.xero.oauth, {
      clientId: 'id',
      clientSecret: 's',
      redirectUri: 'https://pay.example.id/admin/xero/callback',
      scopes: [
        'accounting.invoices',
        'accounting.payments',
        'accounting.banktransactions',
        'accounting.manualjournals',
        'accounting.contacts',
        'accounting.settings',
        'accounting.reports.banksummary.read',
        'offline_access',
        'openid',
        'profile',
        'email',
      ],
    });
    assert.deepEqual(
      loadConfig({ XERO_CLIENT_ID: 'id', XERO_CLIENT_SECRET: 's', XERO_SCOPES: 'accounting.transactions, accounting.settings offline_access' }).xero.oauth
        ?.scopes,
      ['accounting.transactions', 'accounting.settings', 'offline_access'],
    );
    assert.throws(
      () => loadConfig({ XERO_CLIENT_ID: 'id', XERO_CLIENT_SECRET: 's', XERO_SCOPES: 'accounting.settings' }),
      /XERO_SCOPES: must include offline_access/,
    );
    assert.equal(loadConfig({ DEMO: 'false' }).xero.oauth, undefined, 'no app, no demo: Custom Connections only');
    const demo = loadConfig({});
    assert.equal(demo.xero.oauth?.redirectUri, 'http://localhost:3000/admin/xero/callback');
    assert.equal(demo.xero.loginUrl, 'http://localhost:3000/_sim/xero');
  });

  it('lets every upstream URL be overridden, trailing slashes removed', () => {
    const c = loadConfig({ DEMO: 'false', XERO_API_URL: 'http://fake:1/', XENDIT_API_URL: 'http://fake:2', XENDIT_CHECKOUT_HOSTS: 'a.example, B.example' });
    assert.equal(c.xero.apiUrl, 'http://fake:1');
    assert.equal(c.xendit.apiUrl, 'http://fake:2');
    assert.deepEqual(c.xendit.checkoutHosts, ['a.example', 'b.example']);
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({ PORT: 'x', SECRETS_KEY: 'short', DATABASE_URL: 'mysql://x', XERO_CLIENT_ID: 'only-id' });
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const text = err.message;
      for (const name of ['PORT', 'SECRETS_KEY', 'DATABASE_URL']) assert.match(text, new RegExp(name));
      // The rules between variables are in the same message, not in a second round after the fix.
      assert.match(text, /XERO_CLIENT_ID and XERO_CLIENT_SECRET: set both or neither/);
    }
    // A rule whose variable did not parse is left out: its own problem says enough.
    assert.throws(
      () => loadConfig({ NODE_ENV: 'prod', HTTP_HEADERS_TIMEOUT_MS: '2000', HTTP_REQUEST_TIMEOUT_MS: '1000' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.problems.length === 2 &&
        /^NODE_ENV: /.test(err.problems[0]) &&
        /HTTP_HEADERS_TIMEOUT_MS: must not exceed/.test(err.problems[1]),
    );
  });

  it('requires SECRETS_KEY and PUBLIC_URL in production and refuses demo there', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production', XERO_CLIENT_ID: 'a', XERO_CLIENT_SECRET: 'b' }), /SECRETS_KEY.*\n.*PUBLIC_URL/s);
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production', DEMO: 'true', SECRETS_KEY: Buffer.alloc(32).toString('base64'), PUBLIC_URL: 'https://x' }),
      /DEMO/,
    );
  });
});

describe('config: reliability settings', () => {
  it('has sensible defaults and refuses a headers timeout longer than the request timeout', () => {
    const c = loadConfig({});
    assert.deepEqual(c.payRateLimit, {
      perIp: 30,
      perShortCode: 40,
      perInvoice: 10,
      perClient: 20,
      windowSeconds: 60,
      unknownPerWindow: 20,
      unknownPerClient: 5,
      unknownPerNetwork: 10,
      unknownPerClientDay: 50,
      unknownPerNetworkDay: 100,
      unknownXeroShare: 0.2,
      knownXeroShare: 0.5,
      invoiceXeroShare: 0.01,
      readReuseSeconds: 30,
      missRememberSeconds: 600,
      partHoldMinutes: 60,
    });
    // A client's own limits stay under the merchant's shared ones they are counted before.
    const low = loadConfig({ PAY_RATE_LIMIT_PER_SHORTCODE: '8', PAY_UNKNOWN_PER_WINDOW: '4', PAY_UNKNOWN_PER_CLIENT: '0' });
    assert.deepEqual([low.payRateLimit.perClient, low.payRateLimit.unknownPerClient], [7, 0]);
    assert.equal(loadConfig({ PAY_UNKNOWN_PER_WINDOW: '4' }).payRateLimit.unknownPerClient, 3);
    assert.deepEqual([loadConfig({ PAY_UNKNOWN_PER_WINDOW: '4' }).payRateLimit.unknownPerNetwork, low.payRateLimit.unknownPerNetwork], [3, 3]);
    // A shared limit of 1: a client's own (and its network's) is 1 too, never above it.
    const one = loadConfig({ PAY_RATE_LIMIT_PER_SHORTCODE: '1', PAY_UNKNOWN_PER_WINDOW: '1' });
    assert.deepEqual([one.payRateLimit.perClient, one.payRateLimit.unknownPerClient, one.payRateLimit.unknownPerNetwork], [1, 1, 1]);
    // Off stays off; a shared limit off leaves the client's own as set.
    const off = loadConfig({ PAY_UNKNOWN_PER_WINDOW: '1', PAY_UNKNOWN_PER_CLIENT: '0', PAY_UNKNOWN_PER_NETWORK: '0' });
    assert.deepEqual([off.payRateLimit.unknownPerClient, off.payRateLimit.unknownPerNetwork], [0, 0]);
    assert.equal(loadConfig({ PAY_UNKNOWN_PER_WINDOW: '0' }).payRateLimit.unknownPerNetwork, 10);
    assert.deepEqual(c.xeroLimits, {
      perMinute: 60,
      perDay: 5000,
      appPerMinute: 10000,
      maxInFlight: 5,
      reserveShare: 0.1,
      adminShare: 0.25,
      adminMinuteShare: 0.5,
    });
    // Kept short: an invoice changed in Xero may be sent to its old checkout for this long.
    assert.throws(() => loadConfig({ PAY_READ_REUSE_SECONDS: '600' }), /PAY_READ_REUSE_SECONDS/);
    assert.deepEqual(c.http, { requestTimeoutMs: 15000, headersTimeoutMs: 10000 });
    assert.throws(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_HEADERS_TIMEOUT_MS: '2000' }), /HTTP_HEADERS_TIMEOUT_MS/);
  });
});

describe('config: the scheduled comparison of open checkouts', () => {
  it("is off at 0, and never more often than every 15 minutes (5 Xero reads per merchant and run stay under 10% of Xero's 5 000 a day)", () => {
    assert.equal(loadConfig({}).openCheckoutCheckMinutes, 30);
    assert.equal(loadConfig({ OPEN_CHECKOUT_CHECK_MINUTES: '0' }).openCheckoutCheckMinutes, 0);
    assert.equal(loadConfig({ OPEN_CHECKOUT_CHECK_MINUTES: '15' }).openCheckoutCheckMinutes, 15);
    for (const v of ['1', '5', '14'])
      assert.throws(() => loadConfig({ OPEN_CHECKOUT_CHECK_MINUTES: v }), /OPEN_CHECKOUT_CHECK_MINUTES must be 0 \(off\) or at least 15/);
  });
});

describe('config: crash points', () => {
  it('honours CRASH_AT only in test or demo mode', () => {
    assert.equal(loadConfig({ NODE_ENV: 'test', DEMO: 'false', CRASH_AT: 'after-store' }).crashAt, 'after-store');
    assert.equal(loadConfig({ CRASH_AT: 'after-claim' }).crashAt, 'after-claim'); // demo
    assert.throws(() => loadConfig({ DEMO: 'false', CRASH_AT: 'after-store' }), /CRASH_AT: only honoured/);
    assert.throws(() => loadConfig({ NODE_ENV: 'test', CRASH_AT: 'somewhere' }), /CRASH_AT/);
  });
});

describe('config: alert e-mails', () => {
  it('warns at start when alerts would never be sent (no SMTP_URL outside the demo), naming what to set', () => {
    const real = { XERO_CLIENT_ID: 'id', XERO_CLIENT_SECRET: 's' };
    const warning = alertMailWarning(loadConfig(real));
    assert.match(warning ?? '', /SMTP_URL is not set: alerts .* are stored but never e-mailed/);
    assert.match(warning ?? '', /ALERT_OPERATOR_EMAILS/);
    assert.equal(alertMailWarning(loadConfig({ ...real, SMTP_URL: 'smtps://u:p@smtp.example.com:465' })), undefined);
    assert.equal(alertMailWarning(loadConfig({})), undefined, 'the demo mails to its own outbox');
  });
});
