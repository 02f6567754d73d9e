import { strict as assert } from 'node:assert';
import { requirePostgres } from '../helpers/db.js';
import { getSims } from '../helpers/sims.js';
import { freePort, spawnStart, waitFor } from '../helpers/spawn.js';
import { processDatabase, type ProcessDb } from '../helpers/worker-process.js';
import { runCli } from '../../app/bin/cli/index.js';

/**
 * Outside demo mode the first operator's setup link is never in the gateway's log (log collectors
 * keep it); the log says how to get one from the CLI. The demo's link on its home page and in its
 * log is tested in demo-journey.test.ts.
 */
describe('first run outside demo mode [postgres]', function () {
  this.timeout(120_000);
  let pdb: ProcessDb | undefined;
  before(async function () {
    await requirePostgres(this, 'first run');
  });
  after(() => pdb?.cleanup());

  it('logs how to get the setup link instead of the link, and warns that alerts are not mailed without SMTP_URL', async () => {
    const port = await freePort();
    pdb = await processDatabase('postgres', await getSims(), { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` });
    const web = spawnStart(pdb.env);
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor('the gateway to listen', async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined));
      await waitFor('the first-run line', async () => (web.output().includes('No operator yet') ? true : undefined));
      assert.doesNotMatch(web.output(), /\/admin\/setup\//, 'no setup link in the log');
      assert.match(web.output(), /npm run cli -- users setup-link/);
      assert.match(web.output(), /SMTP_URL is not set/);

      const out: string[] = [];
      assert.equal(await runCli(['users', 'setup-link'], pdb.env, { out: (l) => out.push(l), err: (l) => out.push(l) }), 0, out.join('\n'));
      const link = out.find((l) => l.startsWith(`${base}/admin/setup/`));
      assert.ok(link, out.join('\n'));
      assert.equal((await fetch(link)).status, 200, 'the printed link opens the setup page');
    } finally {
      web.child.kill('SIGKILL');
    }
  });
});
