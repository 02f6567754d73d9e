import { readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

/** What PostgreSQL's own lock file says about the server running in a data directory. */
export interface PostmasterInfo {
  pid: number;
  port: number;
  /** PostgreSQL writes "starting", "ready", "stopping" or "standby" (padded) as the 8th line. */
  status: string;
}

/** postmaster.pid layout: pid, data dir, start time, port, socket dir, listen address, shmem key, status. */
export function readPostmasterPid(pgDir: string): PostmasterInfo | undefined {
  let text: string;
  try {
    text = readFileSync(join(pgDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined; // being written: read again shortly
  return { pid, port: Number.isInteger(port) ? port : 0, status: (lines[7] ?? '').trim() };
}

export type PidState = 'ours' | 'gone' | 'unknown';

/**
 * Whether the pid in postmaster.pid is still our server. A pid left behind by a killed process can
 * be dead, a zombie nobody reaped, or reused by an unrelated program; only the first is what
 * PostgreSQL itself checks. On Linux the postmaster's working directory is its data directory,
 * which tells a reused pid apart. Without /proc (macOS) a live pid is 'unknown' and the caller
 * decides by trying to connect.
 */
export function pidState(pid: number, pgDir: string): PidState {
  if (!alive(pid)) return 'gone';
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 'unknown';
  }
  // Field 3, after the parenthesised command name (which may itself contain spaces or parentheses).
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  if (state === 'Z' || state === 'X') return 'gone';
  try {
    return readlinkSync(`/proc/${pid}/cwd`) === realpathSync(pgDir) ? 'ours' : 'gone';
  } catch {
    return 'unknown'; // another user's process: we may not read its cwd
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
