import { strict as assert } from 'node:assert';
import { getSims } from '../helpers/sims.js';
import { spawnWorker, type Spawned } from '../helpers/spawn.js';
import { crashSuite, processDatabase, seedPaidCheckout } from '../helpers/worker-process.js';
import { PAYMENT_CRASH_POINTS as CRASH_POINTS } from '../../app/jobs/sync/crash-points.js';

/**
 * A worker process on PostgreSQL dies by SIGKILL at each named point of record-payment; a fresh
 * worker takes the job over once its lease expires. Exactly one Xero payment, recorded, every time.
 */
describe('record-payment survives SIGKILL at each crash point [postgres]', function () {
  const { exitOf, survivorFinishes } = crashSuite(this);

  // One after another (own database, own merchant each): four side by side started eight processes
  // at once, and on a loaded machine their start-up outran the guards.
  for (const point of CRASH_POINTS) {
    it(`killed at ${point}: the restarted worker records exactly one Xero payment`, () => scenario(point));
  }

  async function scenario(point: (typeof CRASH_POINTS)[number]): Promise<void> {
    const sims = await getSims();
    const pdb = await processDatabase('postgres', sims, { NODE_ENV: 'test', JOB_LEASE_SECONDS: '1' });
    const workers: Spawned[] = [];
    try {
      const seeded = await pdb.withStores((stores) => seedPaidCheckout(stores, sims, `c${CRASH_POINTS.indexOf(point)}`));
      const xeroPayments = () => sims.xero.paymentsOf(seeded.xeroInvoiceId).filter((p) => p.status !== 'DELETED');

      const doomed = spawnWorker({ ...pdb.env, CRASH_AT: point });
      workers.push(doomed);
      assert.equal(await exitOf(doomed), 'SIGKILL', `${point}: ${doomed.output()}`);
      const afterCrash = await pdb.withStores(async (stores) => ({
        job: (await stores.jobs.byId(seeded.jobId))?.state,
        payment: (await stores.payments.byXenditInvoice(seeded.merchantId, seeded.xenditInvoiceId))?.syncState,
      }));
      assert.equal(afterCrash.job, 'running', `${point}: died holding the job`);
      const expected = {
        'after-claim': [0, undefined],
        'after-xendit-refetch': [0, undefined],
        'after-xero-accepted': [1, 'pending'],
        'after-store': [1, 'recorded'],
      }[point];
      assert.deepEqual([xeroPayments().length, afterCrash.payment], expected, `${point}: state at the moment of death`);

      const survivor = spawnWorker(pdb.env);
      workers.push(survivor);
      await survivorFinishes(point, survivor, () => pdb.withStores((s) => s.jobs.byId(seeded.jobId)));

      assert.equal(xeroPayments().length, 1, `${point}: exactly one Xero payment`);
      await pdb.withStores(async (stores) => {
        const payment = await stores.payments.byXenditInvoice(seeded.merchantId, seeded.xenditInvoiceId);
        assert.equal(payment?.syncState, 'recorded');
        assert.equal(payment?.xeroPaymentId, xeroPayments()[0].paymentId);
      });
    } finally {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      await pdb.cleanup();
    }
  }
});
