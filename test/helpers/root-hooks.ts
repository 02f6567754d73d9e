import { releaseTestServer } from './db.js';

/** Mocha root hooks: the run's databases are dropped, and an embedded test server stopped, once at the end. */
export const mochaHooks = {
  async afterAll() {
    await releaseTestServer();
  },
};
