/** `npm start` to the first 200 on the home page, with the embedded database (demo mode, as on a fresh clone). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnTs } from '../test/helpers/spawn.js';
import { peakRss } from './memory.js';

export interface StartupResult {
  firstStartMs: number; // new data directory: PGlite initdb + migrations + demo seed
  restartMs: number; // same directory again
  peakRssBytes?: number;
}

async function startOnce(dataDir: string): Promise<{ ms: number; rss?: number }> {
  const port = await freePort();
  const t0 = performance.now();
  // Exactly what `npm start` runs (tsx app/start.ts), without npm's own start-up in front.
  const app = spawnTs('app/start.ts', [], { PORT: String(port), DATA_DIR: dataDir, DATABASE_URL: '', DEMO: '', XERO_CLIENT_ID: '', XERO_CLIENT_SECRET: '' });
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
    // A few pages and a pay click, so the peak covers a served request, not only start-up.
    const home = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
    const payLink = /href="([^"]*\/pay\?[^"]*)"/.exec(home)?.[1]?.replace(/&amp;/g, '&');
    if (payLink) await fetch(new URL(payLink, `http://127.0.0.1:${port}/`), { redirect: 'manual' }).then((r) => r.arrayBuffer());
    return { ms, rss: peakRss(app.child.pid!) };
  } finally {
    app.child.kill('SIGTERM');
    await app.exited;
  }
}

export async function benchStartup(): Promise<StartupResult> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-start-'));
  try {
    const first = await startOnce(dir);
    const again = await startOnce(dir);
    return { firstStartMs: first.ms, restartMs: again.ms, peakRssBytes: Math.max(first.rss ?? 0, again.rss ?? 0) || undefined };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
