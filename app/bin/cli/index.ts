#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { boot, createLogger, type Runtime } from '../bootstrap.js';
import { ConfigError } from '../../../config/index.js';
import { EmbeddedDatabaseError } from '../../store/db.js';
import { ShortCodeTakenError } from '../../store/merchants.js';
import { UpstreamError } from '../../clients/types.js';
import { FormInvalid, ServiceUnavailable } from '../../errors.js';
import { createI18n } from '../../i18n/index.js';
import { UsageError, type Command, type Io } from './io.js';
import { USAGE } from './usage.js';
import { merchantCommands } from './merchants.js';
import { reportCommands } from './reports.js';
import { jobCommands, JobNotReplayable } from './jobs.js';
import { secretCommands } from './secrets.js';
import { demoCommands } from './demo.js';
import { userCommands } from './users.js';

export { UsageError };

/** Runs one CLI command; returns the exit code. Never prints a secret. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: Omit<Io, 'env'> & { err: (line: string) => void }): Promise<number> {
  const [group, command] = argv;
  const handlers: Record<string, Command | undefined> = {
    ...merchantCommands,
    ...reportCommands,
    ...jobCommands,
    ...secretCommands,
    ...demoCommands,
    ...userCommands,
  };
  // Two-word commands (merchants add) first, then one-word ones (reconcile --merchant ...).
  const own = (name: string) => (Object.hasOwn(handlers, name) ? handlers[name] : undefined);
  const twoWords = own(`${group} ${command}`);
  const handler = twoWords ?? own(group ?? '');
  const rest = argv.slice(twoWords ? 2 : 1);
  if (!handler || rest.includes('--help')) {
    (handler ? io.out : io.err)(USAGE);
    return handler ? 0 : 64;
  }
  let runtime: Runtime | undefined;
  try {
    const logger = createLogger({ logLevel: env.LOG_LEVEL === 'silent' ? 'silent' : 'warn' }, process.stderr);
    runtime = await boot(env, logger);
    return (await handler(runtime, rest, { ...io, env })) ?? 0;
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`${(err as Error).message}\n\n${USAGE}`);
      return 64;
    }
    if (
      err instanceof ConfigError ||
      err instanceof EmbeddedDatabaseError ||
      err instanceof ShortCodeTakenError ||
      err instanceof UpstreamError ||
      // Xero or Xendit down or refusing while a form's check asked them (admin/merchants/service.ts unavailable).
      err instanceof ServiceUnavailable ||
      err instanceof FormInvalid ||
      err instanceof JobNotReplayable
    ) {
      // A refused form names catalogue keys; the command line speaks English.
      let text = err.message;
      if (err instanceof FormInvalid) {
        const i18n = createI18n();
        text = Object.values(err.fields)
          .map((m) => i18n.t('en', m.key, m.params))
          .join('; ');
      }
      io.err(`Error: ${text}`);
      return 2;
    }
    throw err;
  } finally {
    await runtime?.database.close();
  }
}

/**
 * Run as a program, not imported (the tests import runCli). npm installs the `xx-gateway` bin as a
 * symlink and node keeps the link's path in argv[1] while import.meta.url is the resolved file, so
 * the link is resolved before comparing. No argv[1] (node -e, a REPL): imported.
 */
function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  const stdin = async () => {
    let text = '';
    for await (const chunk of process.stdin) text += chunk;
    return text;
  };
  runCli(process.argv.slice(2), process.env, { out: (l) => console.log(l), err: (l) => console.error(l), stdin }).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`Unexpected error: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
