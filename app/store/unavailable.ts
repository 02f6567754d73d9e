/**
 * Whether an error says the database could not be reached, as opposed to a query that went wrong:
 * the request that met it is answered "temporarily unavailable" (503, try again), which is what it
 * is, instead of the 500 "something went wrong" page. Read from what pg (node-postgres, pg-pool)
 * and the socket say: no connection within the bound (db.ts), refused or lost, or PostgreSQL itself
 * refusing connections (shutting down, starting up, too many clients).
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** SQLSTATE class 08 (connection exception), 57P01–57P03 (admin/crash shutdown, cannot connect now), 53300 (too many connections). */
const SQLSTATE = /^(08...|57P0[123]|53300)$/;

const PG_MESSAGES = [
  'timeout exceeded when trying to connect', // pg-pool: no connection within connectionTimeoutMillis
  'Connection terminated due to connection timeout', // pg: the handshake did not finish in time
  'Connection terminated unexpectedly', // pg: the server went away mid-query
];

export function databaseUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SQLSTATE.test(code))) return true;
  return PG_MESSAGES.includes(err.message);
}
