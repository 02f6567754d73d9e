// Two workers when the suite runs on a PostgreSQL server of its own (CI, DATABASE_URL): each worker
// works in databases of its own (test/helpers/db.ts). Serial on the embedded test server, whose
// data directory is one per machine; MOCHA_JOBS=1 runs serially anywhere.
const os = require('node:os');

const external = Boolean(process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL);
const jobs = Number(process.env.MOCHA_JOBS ?? Math.min(os.availableParallelism?.() ?? os.cpus().length, 4));

module.exports = {
  'node-option': ['import=tsx'],
  require: ['test/helpers/root-hooks.ts'],
  spec: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/contract/**/*.test.ts', 'test/e2e/**/*.test.ts'],
  timeout: 30000,
  exit: true,
  ...(external && jobs > 1 ? { parallel: true, jobs } : {}),
};
