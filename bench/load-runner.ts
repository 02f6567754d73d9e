import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadJob } from './load.js';
import type { LoadResult } from './stats.js';

const script = fileURLToPath(new URL('./load.ts', import.meta.url));

/** Runs bench/load.ts in a child process and returns its result. */
export function runLoad(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as LoadResult);
      } catch (err) {
        reject(new Error(`load generator printed no result: ${String(err)}\n${out}`));
      }
    });
    child.stdin.end(JSON.stringify(job));
  });
}
