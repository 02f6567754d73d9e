import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { getSims } from '../helpers/sims.js';
import { spawnWorker, type Spawned } from '../helpers/spawn.js';
import { crashSuite, processDatabase, seedOpenCheckout } from '../helpers/worker-process.js';
import { CHECKOUT_CLOSE_CRASH_POINTS } from '../../app/jobs/sync/crash-points.js';
import { enqueue } from '../../app/jobs/enqueue.js';
import { verifyCheckoutJob } from '../../app/jobs/sync/verify-checkout.js';
import type { Job } from '../../app/store/jobs.js';

/**
 * Issue 16: a checkout whose Xero invoice was voided is expired at Xendit, then closed here with
 * why. A worker killed (SIGKILL, no cleanup) between the two leaves the checkout closed exactly
 * once, with its reason, after a fresh worker takes the job over: also when Xendit's EXPIRED
 * callback (the expiry's own notification) was handled first and closed the checkout itself.
 */
describe('closing a checkout whose Xero invoice changed survives SIGKILL [postgres]', function () {
  const { exitOf, survivorFinishes } = crashSuite(this);

  for (const point of CHECKOUT_CLOSE_CRASH_POINTS) {
    it(`killed at ${point}: the restarted worker closes the checkout once, with why`, () => scenario(point, false));
    it(`killed at ${point}, Xendit's EXPIRED callback handled before the restart: closed once, with why`, () => scenario(point, true));
  }

  async function scenario(point: (typeof CHECKOUT_CLOSE_CRASH_POINTS)[number], callbackFirst: boolean): Promise<void> {
    const sims = await getSims();
    const pdb = await processDatabase('postgres', sims, { NODE_ENV: 'test', JOB_LEASE_SECONDS: '1' });
    const workers: Spawned[] = [];
    try {
      const seeded = await pdb.withStores((s) => seedOpenCheckout(s, sims, `k${callbackFirst ? 1 : 0}`));
      const checkout = () => pdb.withStores(async (s) => (await s.checkouts.byId(seeded.checkoutId))!);
      const closed = () => pdb.withStores((s) => s.invoiceWatch.recentlyClosed([seeded.merchantId], 10));
      const xenditStatus = () => sims.xendit.listInvoices().find((i) => i.id === seeded.xenditInvoiceId)!.status;
      // What the webhook (or the comparison) queues once the invoice is voided in Xero.
      await sims.xero.test.invoices.void(seeded.xeroInvoiceId);
      await pdb.withStores((s) =>
        enqueue(s.jobs, 'check-invoice', { merchantId: seeded.merchantId, xeroInvoiceId: seeded.xeroInvoiceId, event: 'voided in Xero' }, new Date()),
      );
      const jobId = (await pdb.withStores((s) => s.jobs.list())).find((j) => j.kind === 'check-invoice')!.id;
      const before = await checkout();
      sims.xendit.test.clearRequests();
      sims.xero.test.clearRequests();

      const doomed = spawnWorker({ ...pdb.env, CRASH_AT: point });
      workers.push(doomed);
      assert.equal(await exitOf(doomed), 'SIGKILL', `${point}: ${doomed.output()}`);
      assert.equal(xenditStatus(), 'EXPIRED', 'Xendit expired it');
      assert.equal((await checkout()).status, 'open', 'died before closing it');
      assert.equal((await pdb.withStores((s) => s.jobs.byId(jobId)))?.state, 'running', 'died holding the job');

      if (callbackFirst) {
        // Xendit notifies the expiry; its job confirms it at Xendit and closes the checkout, knowing nothing of why.
        const payload = { merchantId: seeded.merchantId, xenditInvoiceId: seeded.xenditInvoiceId, status: 'EXPIRED' };
        await pdb.withStores((s) =>
          verifyCheckoutJob({ stores: s, xendit: sims.xenditClient, clock: () => new Date(), logger: pino({ level: 'silent' }) })({
            payload,
          } as unknown as Job),
        );
        assert.equal((await checkout()).status, 'expired');
      }

      const survivor = spawnWorker(pdb.env);
      workers.push(survivor);
      await survivorFinishes(point, survivor, () => pdb.withStores((s) => s.jobs.byId(jobId)));

      assert.deepEqual(
        (await closed()).map((c) => [c.id, c.status, JSON.parse(c.closedReason).key]),
        [[seeded.checkoutId, 'expired', 'admin:closedReason_voided']],
        'closed once, with why',
      );
      // Nothing else changed: the same checkout otherwise, one Xendit invoice (expired), no payment
      // job, and nothing written to Xero.
      const after = await checkout();
      assert.deepEqual({ ...after, status: before.status, closedReason: undefined, updatedAt: before.updatedAt }, { ...before, closedReason: undefined });
      assert.deepEqual(
        sims.xendit
          .listInvoices()
          .filter((i) => i.external_id.includes(`INV-k${callbackFirst ? 1 : 0}`))
          .map((i) => [i.id, i.status]),
        [[seeded.xenditInvoiceId, 'EXPIRED']],
      );
      // The scheduled comparison may have queued a check of its own meanwhile: it only asks Xendit to
      // expire the same invoice again (refused, settled by reading it).
      assert.deepEqual([...new Set(sims.xendit.test.requests({ method: 'POST' }).map((r) => r.path))], [`/invoices/${seeded.xenditInvoiceId}/expire!`]);
      assert.deepEqual(
        sims.xero.test.requests({ pathPrefix: '/api.xro' }).filter((r) => r.method !== 'GET'),
        [],
        'nothing written to Xero',
      );
      assert.deepEqual(
        (await pdb.withStores((s) => s.jobs.list()))
          .filter((j) => j.kind !== 'check-invoice' && j.kind !== 'verify-checkout' && j.payload.merchantId === seeded.merchantId)
          .map((j) => j.kind),
        [],
      );
    } finally {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      await pdb.cleanup();
    }
  }
});
