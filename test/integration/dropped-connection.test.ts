import { strict as assert } from 'node:assert';
import { requirePostgres } from '../helpers/db.js';
import { getSims, resetSims } from '../helpers/sims.js';
import { spawnTs, waitFor, type Spawned } from '../helpers/spawn.js';
import { processDatabase, seedPaidCheckout } from '../helpers/worker-process.js';

/**
 * The worker as its own process (PostgreSQL: the test reads the database while it runs). Xero
 * saves the payment and then drops the connection instead of answering: the worker never hears of
 * the payment, retries, finds it by its Reference, and stores it. Exactly one Xero payment.
 */
describe('record-payment in a worker process when Xero drops the connection after saving [postgres]', function () {
  this.timeout(240_000); // spawns a worker process (slow to start on a loaded 2-core machine); its retry waits the first back-off step (5 s) in real time
  before(async function () {
    await requirePostgres(this, 'dropped connection');
  });

  it('exactly one Xero payment and `recorded`, found by Reference on the retry', async () => {
    const sims = await getSims();
    resetSims();
    const pdb = await processDatabase('postgres', sims, { NODE_ENV: 'test' });
    let worker: Spawned | undefined;
    try {
      const seeded = await pdb.withStores((stores) => seedPaidCheckout(stores, sims, 'drop'));
      const xeroPayments = () => sims.xero.paymentsOf(seeded.xeroInvoiceId).filter((p) => p.status !== 'DELETED');
      sims.xero.faults.dropResponseAfterSave(1, { path: '/api.xro/2.0/Payments' });

      worker = spawnTs('app/worker.ts', [], pdb.env);
      const afterDrop = await waitFor(
        'the worker to hear nothing back and re-queue the job',
        () =>
          pdb.withStores(async (stores) => {
            const job = await stores.jobs.byId(seeded.jobId);
            return job?.state === 'queued' && job.attempts === 1 ? job : undefined;
          }),
        90_000,
      ).catch(async (err: Error) => {
        const job = await pdb.withStores((stores) => stores.jobs.byId(seeded.jobId));
        throw new Error(
          `${err.message}; job ${JSON.stringify(job)}; Xero requests ${JSON.stringify(sims.xero.test.requests().map((r) => `${r.method} ${r.path}`))}\n${worker?.output()}`,
        );
      });
      assert.equal(sims.xero.faults.armed, 0, 'the fault fired');
      assert.equal(xeroPayments().length, 1, 'Xero did save the payment');
      assert.ok(afterDrop.lastError, 'the lost answer is noted');
      assert.equal((await pdb.withStores((s) => s.payments.byXenditInvoice(seeded.merchantId, seeded.xenditInvoiceId)))?.syncState, 'pending');

      const settled = await waitFor(
        'the retry to finish the job',
        () =>
          pdb.withStores(async (stores) => {
            const job = await stores.jobs.byId(seeded.jobId);
            return job && ['done', 'needs_review'].includes(job.state) ? job : undefined;
          }),
        90_000,
      );
      assert.equal(settled.state, 'done', `${settled.lastError}\n${worker.output()}`);
      assert.equal(settled.attempts, 2);
      worker.child.kill('SIGTERM');
      assert.equal(await worker.exited, 0, worker.output());

      assert.equal(xeroPayments().length, 1, 'exactly one Xero payment');
      const payment = await pdb.withStores((s) => s.payments.byXenditInvoice(seeded.merchantId, seeded.xenditInvoiceId));
      assert.equal(payment?.syncState, 'recorded');
      assert.equal(payment?.xeroPaymentId, xeroPayments()[0].paymentId);
      const creates = sims.xero.test.requests().filter((r) => r.method !== 'GET' && r.path.startsWith('/api.xro/2.0/Payments'));
      assert.equal(creates.length, 1, 'the retry looked the payment up instead of sending it again');
    } finally {
      if (worker && worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
      await pdb.cleanup();
    }
  });
});
