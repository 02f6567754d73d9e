/** `npm start` to the first 200 on the home page, with the embedded database (demo mode, as on a fresh clone). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnStart } from '../test/helpers/spawn.js';
import { embeddedServerMemory, peakRss } from './memory.js';
import { runLoad } from './load-runner.js';
import { createPostgresDatabase } from './databases.js';

export interface StartOnce {
  ms: number;
  rss?: number;
  /** The embedded PostgreSQL server's memory (PSS of all its processes) after the load. */
  serverMemory?: number;
}

export interface StartupResult {
  embeddedFirst: StartOnce; // new data directory: initdb + server start + migrations + demo seed
  embeddedAgain: StartOnce; // same directory again
  postgres?: StartOnce; // DATABASE_URL to a new database
}

async function startOnce(dataDir: string, databaseUrl = '', loadSeconds = 0): Promise<StartOnce> {
  const port = await freePort();
  const t0 = performance.now();
  // Exactly what `npm start` runs (prestart's transpile, then node with its flags), without npm's own start-up in front.
  // The click counters off: the load below is one client on one address.
  const app = spawnStart({
    PORT: String(port),
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    DEMO: '',
    XERO_CLIENT_ID: '',
    XERO_CLIENT_SECRET: '',
    PAY_RATE_LIMIT_PER_IP: '0',
    PAY_RATE_LIMIT_PER_SHORTCODE: '0',
    PAY_RATE_LIMIT_PER_INVOICE: '0',
    PAY_UNKNOWN_PER_WINDOW: '0',
  });
  try {
    const deadline = t0 + 60_000;
    for (;;) {
      if (performance.now() > deadline) throw new Error(`no 200 on / within 60 s:\n${app.output()}`);
      if (app.child.exitCode !== null) throw new Error(`npm start exited with ${app.child.exitCode}:\n${app.output()}`);
      const ok = await fetch(`http://127.0.0.1:${port}/`).then(
        (r) => (r.body?.cancel(), r.status === 200),
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const ms = performance.now() - t0;
    // A page, a pay click, then 50 clients clicking for a few seconds: the peak covers serving under load, not only start-up.
    const home = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
    const payLink = /href="([^"]*\/pay\?[^"]*)"/.exec(home)?.[1]?.replace(/&amp;/g, '&');
    if (payLink) {
      const url = new URL(payLink, `http://127.0.0.1:${port}/`).href;
      await fetch(url, { redirect: 'manual' }).then((r) => r.arrayBuffer());
      if (loadSeconds) await runLoad({ url, connections: 50, durationSeconds: loadSeconds });
    }
    return { ms, rss: peakRss(app.child.pid!), ...(databaseUrl ? {} : { serverMemory: embeddedServerMemory(dataDir) }) };
  } finally {
    app.child.kill('SIGTERM');
    await app.exited;
  }
}

export async function benchStartup(withPostgres: boolean, loadSeconds: number): Promise<StartupResult> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-start-'));
  try {
    const embeddedFirst = await startOnce(dir);
    const embeddedAgain = await startOnce(dir, '', loadSeconds);
    if (!withPostgres) return { embeddedFirst, embeddedAgain };
    const database = await createPostgresDatabase();
    try {
      return { embeddedFirst, embeddedAgain, postgres: await startOnce(join(dir, 'pg-run'), database.url, loadSeconds) };
    } finally {
      await database.drop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
