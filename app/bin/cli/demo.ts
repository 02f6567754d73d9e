import { resetSavedDemo } from '../demo.js';
import type { Runtime } from '../bootstrap.js';
import { UsageError, type Command, type Io } from './io.js';

async function demoReset(runtime: Runtime, args: string[], io: Io): Promise<void> {
  if (args.length) throw new UsageError(`demo reset takes no arguments (got ${args.join(' ')})`);
  if (!runtime.config.demo) throw new UsageError('demo reset: not in demo mode (DEMO is off or XERO_CLIENT_ID is set)');
  const forgotten = await resetSavedDemo(runtime);
  io.out(`Demo reset: ${forgotten} demo merchant(s) forgotten, saved simulator state removed. The next start seeds the demo anew.`);
}

export const demoCommands: Record<string, Command> = { 'demo reset': demoReset };
