import type { Runtime } from '../bootstrap.js';
import type { Command, Io } from './io.js';

async function secretsReseal(runtime: Runtime, _args: string[], io: Io): Promise<number> {
  const r = await runtime.stores.secrets.resealAll();
  io.out(`Sealed again with the current SECRETS_KEY: ${r.resealed}; already current: ${r.current}.`);
  if (!r.failed.length) {
    io.out('Every stored secret opens with SECRETS_KEY alone: SECRETS_KEY_PREVIOUS can be removed.');
    return 0;
  }
  io.out(`No known key opens ${r.failed.length} value(s); keep SECRETS_KEY_PREVIOUS until they are replaced:`);
  for (const where of r.failed) io.out(`  ${where}`);
  return 1;
}

export const secretCommands: Record<string, Command> = { 'secrets reseal': secretsReseal };
