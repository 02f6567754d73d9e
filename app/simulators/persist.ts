import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * JSON that keeps what the simulators' state holds beyond plain JSON (Map, Date, bigint, undefined,
 * -0 and non-finite numbers). Tagged values are one-key objects whose key starts with "$"; a plain
 * object with such keys is wrapped so it cannot be mistaken for one.
 */
export function serialize(value: unknown): string {
  return JSON.stringify(encode(value));
}

export function deserialize(text: string): unknown {
  return decode(JSON.parse(text));
}

function encode(v: unknown): unknown {
  if (v === undefined) return { $undefined: 1 };
  if (typeof v === 'bigint') return { $bigint: v.toString() };
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : { $number: String(Object.is(v, -0) ? '-0' : v) };
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Date) return { $date: String(v.getTime()) };
  if (v instanceof Map) return { $map: [...v].map(([k, x]) => [encode(k), encode(x)]) };
  if (Array.isArray(v)) return v.map(encode);
  const entries = Object.keys(v).map((k) => [k, encode((v as Record<string, unknown>)[k])] as const);
  if (entries.some(([k]) => k.startsWith('$'))) return { $object: entries };
  return Object.fromEntries(entries);
}

function decode(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(decode);
  const o = v as Record<string, unknown>;
  const [key, ...more] = Object.keys(o);
  if (key?.startsWith('$') && !more.length) {
    const x = o[key];
    switch (key) {
      case '$undefined':
        return undefined;
      case '$bigint':
        return BigInt(x as string);
      case '$number':
        return Number(x);
      case '$date':
        return new Date(Number(x));
      case '$map':
        return new Map((x as [unknown, unknown][]).map(([k, y]) => [decode(k), decode(y)]));
      case '$object':
        return Object.fromEntries((x as [string, unknown][]).map(([k, y]) => [k, decode(y)]));
    }
    throw new Error(`unknown tag ${key} in saved simulator state`);
  }
  return Object.fromEntries(Object.entries(o).map(([k, y]) => [k, decode(y)]));
}

/** One JSON file, replaced whole (temp + rename) so a crash mid-write leaves the previous copy. */
export function stateFile(file: string) {
  return {
    file,
    load(): unknown {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      return deserialize(text);
    },
    save(value: unknown): void {
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, serialize(value));
      renameSync(tmp, file);
    },
    remove(): void {
      rmSync(file, { force: true });
    },
  };
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Coalesces a burst of changes (a checkout is several requests) into one write; flush() writes
 * now, for shutdown and for tests that must not wait on a timer.
 */
export function debounced(write: () => void, delayMs: number, timers: Timers = realTimers) {
  let pending: unknown;
  const flush = () => {
    if (pending === undefined) return;
    timers.clear(pending);
    pending = undefined;
    write();
  };
  return {
    schedule(): void {
      pending ??= timers.set(flush, delayMs);
    },
    flush,
    cancel(): void {
      if (pending !== undefined) timers.clear(pending);
      pending = undefined;
    },
    get pending() {
      return pending !== undefined;
    },
  };
}
