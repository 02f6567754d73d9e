/**
 * Removes from dist/ the JavaScript of sources that no longer exist (a file deleted or renamed since the
 * last transpile). esbuild writes what exists and never deletes, and the migrator runs every file in
 * dist/app/store/migrations: a migration renamed between two versions would otherwise run under both
 * names. Only files without a source go, so `npm start` and `npm run worker` started together (the
 * Procfile) never remove a file the other is importing.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { argv, cwd } from 'node:process';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What the transpile (and tsc) write for `x.ts`: x.js, x.js.map, x.d.ts, x.d.ts.map. */
const OUTPUT = /\.(js\.map|js|d\.ts\.map|d\.ts)$/;

/** The files under `root`/dist whose source `root`/<same path>.ts is gone, removed; their paths. */
export function pruneDist(root) {
  const dist = join(root, 'dist');
  const removed = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (OUTPUT.test(entry.name) && !existsSync(join(root, relative(dist, path).replace(OUTPUT, '.ts')))) {
        rmSync(path, { force: true });
        removed.push(path);
      }
    }
  };
  if (existsSync(dist)) walk(dist);
  return removed;
}

if (argv[1] && import.meta.url === pathToFileURL(argv[1]).href) pruneDist(cwd());
