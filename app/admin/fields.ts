/** Form and query fields several admin pages share. */
import { z } from 'zod';
import { unstorableReason } from '../security/body-bounds.js';

/**
 * Free text up to `max` characters that PostgreSQL can store and compare: a NUL or an unpaired
 * surrogate makes text and jsonb columns (and LIKE) fail with an error, so it is a field error here.
 */
export function storableText(max: number) {
  return z
    .string()
    .max(max)
    .refine((s) => unstorableReason(s) === null, { error: 'errors:textUnstorable' });
}
