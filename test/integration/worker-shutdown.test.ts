import { strict as assert } from 'node:assert';
import { ENGINES } from '../helpers/db.js';
import { getSims, resetSims } from '../helpers/sims.js';
import { spawnTs, waitFor } from '../helpers/spawn.js';
import { processDatabase, seedPaidCheckout, type ProcessDb } from '../helpers/worker-process.js';

for (const engine of ENGINES) {
  describe(`worker process: graceful shutdown [${engine}]`, function () {
    this.timeout(120_000); // spawns worker processes: slow on a loaded 2-core CI
    let pdb: ProcessDb | undefined;
    after(() => pdb?.cleanup());

    it('on SIGTERM during a job, lets the job finish (payment recorded, job done) and exits 0', async () => {
      const sims = await getSims();
      resetSims();
      pdb = await processDatabase(engine, sims);
      const seeded = await pdb.withStores((stores) => seedPaidCheckout(stores, sims, `sd${engine[0]}`));
      // Xero takes 1.5 s to create the payment: the SIGTERM lands while the job waits for it.
      sims.xero.faults.hang(1500, { method: 'PUT', path: '/api.xro/2.0/Payments' });
      sims.xero.faults.hang(1500, { method: 'POST', path: '/api.xro/2.0/Payments' });

      // At info level its log says in which order the stop and the job's end came.
      const worker = spawnTs('app/worker.ts', [], { ...pdb.env, LOG_LEVEL: 'info' });
      try {
        await waitFor('the worker to send createPayment to Xero', async () =>
          sims.xero.test.requests().some((r) => (r.method === 'PUT' || r.method === 'POST') && r.path.endsWith('/Payments')) ? true : undefined,
        );
        worker.child.kill('SIGTERM');
        const code = await Promise.race([worker.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
        assert.equal(code, 0, `exit ${code}; output:\n${worker.output()}`);
        const log = worker.output();
        const stopping = log.indexOf('worker stopping after the job in flight');
        assert.ok(stopping >= 0 && log.indexOf('"job done"', stopping) > stopping, `it waited for the job in flight; output:\n${log}`);
      } finally {
        if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
      }

      assert.equal(sims.xero.paymentsOf(seeded.xeroInvoiceId).filter((p) => p.status !== 'DELETED').length, 1);
      await pdb.withStores(async (stores) => {
        assert.equal((await stores.jobs.byId(seeded.jobId))?.state, 'done');
        assert.equal((await stores.payments.byXenditInvoice(seeded.merchantId, seeded.xenditInvoiceId))?.syncState, 'recorded');
      });
    });
  });
}
