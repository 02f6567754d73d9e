import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pruneDist } from '../../scripts/prune-dist.mjs';

/** Every file under `dir`, relative to it, sorted. */
function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) (e.isDirectory() ? walk : (p: string) => out.push(relative(dir, p)))(join(d, e.name));
  };
  walk(dir);
  return out.sort();
}

describe('npm start prunes dist/ of sources gone (scripts/prune-dist.mjs)', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'prune-dist-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const put = (path: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), '');
  };

  it('a migration renamed since the last transpile leaves only its new name for the migrator; every file with a source stays', () => {
    for (const f of ['app/store/migrations/20261207T2230_x.ts', 'app/server.ts', 'config/index.ts']) put(f);
    for (const f of [
      'dist/app/store/migrations/20261207T2202_x.js',
      'dist/app/store/migrations/20261207T2202_x.js.map',
      'dist/app/store/migrations/20261207T2230_x.js',
      'dist/app/server.js',
      'dist/app/server.js.map',
      'dist/app/server.d.ts',
      'dist/app/gone.js',
      'dist/config/index.js',
      'dist/app/store/callbacks.sql',
    ])
      put(f);
    const removed = pruneDist(root).map((p) => relative(root, p));
    assert.deepEqual(removed.sort(), ['dist/app/gone.js', 'dist/app/store/migrations/20261207T2202_x.js', 'dist/app/store/migrations/20261207T2202_x.js.map']);
    assert.deepEqual(files(join(root, 'dist')), [
      'app/server.d.ts',
      'app/server.js',
      'app/server.js.map',
      'app/store/callbacks.sql',
      'app/store/migrations/20261207T2230_x.js',
      'config/index.js',
    ]);
  });

  it('no dist/ yet (a fresh clone): nothing to do', () => {
    assert.deepEqual(pruneDist(root), []);
  });

  it("runs before every transpile and build (npm start's and npm run worker's pre-scripts)", () => {
    const scripts = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).scripts as Record<string, string>;
    for (const name of ['transpile', 'build']) assert.match(scripts[name], /^node scripts\/prune-dist\.mjs && /, name);
  });
});
