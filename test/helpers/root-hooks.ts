import { RUN, releaseTestServer } from './db.js';

/**
 * Mocha global fixtures, run in the main process only: the workers of a `--parallel` run learn the
 * run's name before they start, and every database of the run is dropped (and an embedded test
 * server stopped) once at the end.
 */
export function mochaGlobalSetup(): void {
  process.env.GW_TEST_RUN = RUN;
}

export async function mochaGlobalTeardown(): Promise<void> {
  await releaseTestServer();
}
