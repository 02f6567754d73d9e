import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
export { freePort } from '../../app/net.js';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs a project script with tsx, as `npm run cli` does. */
export function spawnTs(script: string, args: string[], env: Record<string, string>): Spawned {
  return spawnNode(['--import', 'tsx', script, ...args], env);
}

let transpiled = false;

/**
 * What `npm start` runs, without npm in front: its prestart (the transpile to dist/, once per test
 * process), then the start command's node flags and script as package.json has them.
 */
export function spawnStart(env: Record<string, string>): Spawned {
  return spawnNpmScript('start', env);
}

/**
 * What `npm run worker` runs, as spawnStart does for `npm start`. The transpiled worker starts on
 * about half the CPU time of tsx, which is what a test spawning several workers waits on under load.
 */
export function spawnWorker(env: Record<string, string>): Spawned {
  return spawnNpmScript('worker', env);
}

function spawnNpmScript(name: 'start' | 'worker', env: Record<string, string>): Spawned {
  if (!transpiled) execFileSync('npm', ['run', '--silent', 'transpile'], { cwd: projectRoot, stdio: 'pipe' });
  transpiled = true;
  const scripts = (JSON.parse(readFileSync(`${projectRoot}/package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
  const [command, ...args] = scripts[name].split(/\s+/);
  if (command !== 'node') throw new Error(`npm run ${name} runs ${command}, not node: update spawnNpmScript`);
  return spawnNode(args, env);
}

function spawnNode(args: string[], env: Record<string, string>): Spawned {
  let out = '';
  const child = spawn(process.execPath, args, {
    cwd: projectRoot,
    // The run's own database settings are not the child's: it uses what the test gives it (the
    // embedded default unless the test sets DATABASE_URL).
    env: { ...withoutDatabase(process.env), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

function withoutDatabase(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { DATABASE_URL: _a, TEST_DATABASE_URL: _b, ...rest } = env;
  return rest;
}

/** How a spawned process ended: its signal, or `code N`; 'still running' after `guardMs` (a hang, not a wait). */
export function exitOf(w: Spawned, guardMs: number): Promise<string> {
  return Promise.race([
    new Promise<string>((resolve) => {
      if (w.child.exitCode !== null || w.child.signalCode !== null) resolve(w.child.signalCode ?? `code ${w.child.exitCode}`);
      w.child.on('exit', (code, signal) => resolve(signal ?? `code ${code}`));
    }),
    new Promise<string>((resolve) => setTimeout(() => resolve('still running'), guardMs).unref()),
  ]);
}
