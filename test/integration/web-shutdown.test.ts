import { strict as assert } from 'node:assert';
import { requirePostgres } from '../helpers/db.js';
import { getSims, resetSims } from '../helpers/sims.js';
import { freePort, spawnStart, waitFor } from '../helpers/spawn.js';
import { processDatabase, type ProcessDb } from '../helpers/worker-process.js';

describe('web process: graceful shutdown [postgres]', function () {
  this.timeout(120_000); // spawns worker processes (~2-3 s each to start): slow on a loaded 2-core CI
  let pdb: ProcessDb | undefined;
  before(async function () {
    await requirePostgres(this, 'web shutdown');
  });
  after(() => pdb?.cleanup());

  it('on SIGTERM, finishes the /pay request in flight (303), refuses new connections, exits 0', async () => {
    const sims = await getSims();
    resetSims();
    const port = await freePort();
    pdb = await processDatabase('postgres', sims, {
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      XENDIT_CHECKOUT_HOSTS: new URL(sims.xenditUrl).host,
    });
    const org = sims.xero.addOrganisation({ clientId: 'web-sd', clientSecret: 'web-sd-secret', name: 'Toko Web', shortCode: '!WEBSD', baseCurrency: 'IDR' });
    sims.xero.addInvoice({
      tenantId: org.tenantId,
      type: 'ACCREC',
      status: 'AUTHORISED',
      currency: 'IDR',
      invoiceNumber: 'INV-SD',
      contact: { name: 'Budi' },
      lineItems: [{ description: 'Kopi', quantity: '1', unitAmount: '50000' }],
    });
    sims.xendit.registerAccount({ secretKey: 'xnd_development_websd', callbackToken: 'tok', businessName: 'Toko Web' });
    await pdb.withStores((stores) =>
      stores.merchants.add({
        name: 'Toko Web',
        shortCode: '!WEBSD',
        xero: { clientId: 'web-sd', clientSecret: 'web-sd-secret', tenantId: '' },
        xenditSecretKey: 'xnd_development_websd',
        callbackToken: 'tok',
        clearingAccountId: sims.xero.bankAccountFor(org.tenantId, 'Xendit').accountId,
      }),
    );

    const web = spawnStart(pdb.env);
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor('the gateway to listen', async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined));
      // Xero answers the invoice look-up only after 1.5 s: SIGTERM arrives while the request waits.
      sims.xero.faults.hang(1500, { method: 'GET', path: '/api.xro/2.0/Invoices' });
      const inFlight = fetch(`${base}/pay?invoiceNo=INV-SD&currency=IDR&amount=50000.00&shortCode=${encodeURIComponent('!WEBSD')}`, { redirect: 'manual' });
      await waitFor('the request to reach Xero', async () => (sims.xero.test.requests().some((r) => r.path.endsWith('/Invoices')) ? true : undefined));
      web.child.kill('SIGTERM');
      const res = await inFlight;
      assert.equal(res.status, 303, 'the request in flight was answered');
      assert.equal(new URL(res.headers.get('location')!).host, new URL(sims.xenditUrl).host);
      const code = await Promise.race([web.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
      assert.equal(code, 0, web.output());
      await assert.rejects(fetch(`${base}/healthz`), 'no longer listening');
    } finally {
      if (web.child.exitCode === null) web.child.kill('SIGKILL');
    }
  });
});
