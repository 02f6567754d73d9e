const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An id from a URL, form or callback that may be compared with a uuid column. PostgreSQL refuses
 * anything else with an error (22P02) rather than "no row", so ids are checked before any query.
 */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
