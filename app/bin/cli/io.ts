/** The operator CLI's input: usage errors, its I/O, and secrets read without putting them in argv. */
import type { Runtime } from '../bootstrap.js';

export class UsageError extends Error {}

export interface Io {
  out: (line: string) => void;
  /** Where --*-env options read secrets from (the CLI's environment). */
  env?: NodeJS.ProcessEnv;
  /** Standard input, read whole, for --secrets-stdin. */
  stdin?: () => Promise<string>;
}

/** One command (`merchants add`, `report`, …): its exit code, 0 when it returns nothing. */
export type Command = (runtime: Runtime, args: string[], io: Io) => Promise<number | void>;

export const SECRET_OPTIONS = ['xero-client-secret', 'xendit-secret-key', 'callback-token'] as const;
type SecretOption = (typeof SECRET_OPTIONS)[number];

/**
 * Arguments are visible to every user of the machine (ps, /proc, shell history), so a secret may
 * instead come from an environment variable (--NAME-env VAR) or from standard input
 * (--secrets-stdin: NAME=VALUE lines). Giving one secret two ways is refused.
 */
export async function readSecrets(values: Record<string, string | boolean | string[] | undefined>, io: Io): Promise<Partial<Record<SecretOption, string>>> {
  const fromStdin: Record<string, string> = {};
  if (values['secrets-stdin']) {
    const text = io.stdin ? await io.stdin() : '';
    for (const line of text.split(/\r?\n/)) {
      if (!line.trim()) continue;
      const eq = line.indexOf('=');
      const name = eq > 0 ? line.slice(0, eq).trim() : '';
      if (!(SECRET_OPTIONS as readonly string[]).includes(name))
        throw new UsageError(`--secrets-stdin: expected NAME=VALUE lines with NAME one of ${SECRET_OPTIONS.join(', ')}`);
      fromStdin[name] = line.slice(eq + 1);
    }
  }
  const out: Partial<Record<SecretOption, string>> = {};
  for (const name of SECRET_OPTIONS) {
    const envName = values[`${name}-env`];
    const given = [values[name], envName, fromStdin[name]].filter((v) => v !== undefined);
    if (given.length > 1) throw new UsageError(`--${name}: give it one way only (argument, --${name}-env or --secrets-stdin)`);
    if (typeof envName === 'string') {
      const v = io.env?.[envName];
      if (!v) throw new UsageError(`--${name}-env ${envName}: that environment variable is not set`);
      out[name] = v;
    } else if (fromStdin[name] !== undefined) out[name] = fromStdin[name];
    else if (typeof values[name] === 'string') out[name] = values[name] as string;
  }
  return out;
}
