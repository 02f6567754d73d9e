import { strict as assert } from 'node:assert';
import { startSims, startStack, type Sims, type Stack } from '../../bench/stack.js';
import { callbackBodies, prepareCallbacks } from '../../bench/callbacks.js';
import { checkPostgres } from '../../bench/databases.js';

/**
 * With DATABASE_URL, npm start runs no worker in the web process (app/bin/start.ts): the Procfile
 * runs `npm run worker` beside it. The bench's callback phase on PostgreSQL ran the worker on the
 * gateway's event loop all the same (docs/performance.md "The worker's place").
 */
describe('bench worker on PostgreSQL (bench/stack.ts)', function () {
  this.timeout(120_000);
  let sims: Sims;
  let stack: Stack | undefined;
  before(async function () {
    if (!(await checkPostgres())) return this.skip();
    sims = await startSims({ xeroMs: 0, xenditMs: 0 });
    stack = await startStack('postgres', sims);
  });
  after(async () => {
    await stack?.close();
    await sims?.close();
  });

  it("runs the callbacks' jobs in a process of its own, as npm run worker does", async () => {
    const s = stack!;
    assert.ok(s.separateWorker, 'the postgres stack offers the worker as its own process');
    const [event] = await prepareCallbacks(s, { xeroMs: 0, xenditMs: 0 }, 1);
    const worker = await s.separateWorker();
    try {
      worker.start(50, 1);
      const answer = await fetch(s.gatewayUrl + s.callbackPath, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-callback-token': s.callbackToken },
        body: callbackBodies([event])[0],
      });
      assert.equal(answer.status, 200);
      // This process's worker was never started: only the other process can take the job.
      for (;;) {
        const job = await s.stores.db.selectFrom('jobs').select('attempts').where('kind', '=', 'record-payment').executeTakeFirst();
        if (job && job.attempts > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50)); // the other process's progress, polled
      }
    } finally {
      await worker.stop();
    }
  });
});
