/** Form and query fields several admin pages share. */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { StaleForm } from '../errors.js';
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

/**
 * The hidden `version` of a form that saves every field at once: a digest of what the form showed.
 * Only those fields count, so a change elsewhere on the merchant (its status, its Xero tokens) does
 * not refuse the form; a change of one of them by another tab does.
 */
export function formVersion(shown: Record<string, unknown>): string {
  const fields = Object.keys(shown).sort();
  return createHash('sha256')
    .update(JSON.stringify(fields.map((k) => [k, shown[k] ?? null])))
    .digest('base64url')
    .slice(0, 22);
}

/**
 * Throws StaleForm when the form was shown with other values than are stored now, unless
 * `storedAlready` (what the post would write is what is stored): FormAlreadySaved. Call it with what
 * is stored under the merchant's row lock, in the transaction that writes (store/merchant-forms.ts):
 * read before that, two saves of one version would both pass. A post without a version is refused
 * too: every form the pages show carries one, and no script or CLI command posts these forms (the
 * CLI writes settings through applySettings), so it can only be a page from before versions or a
 * hand-made post, either of which would put back whatever it holds over someone's later save.
 */
function checkFormVersion(sent: unknown, shown: Record<string, unknown>, storedAlready = false): void {
  if (typeof sent !== 'string' || sent === '') throw new StaleForm('errors:formVersionMissing');
  if (sent === formVersion(shown)) return;
  // A second click of Save (the browser sends the form again with the version it was shown with)
  // finds the first click's values stored: nothing to undo, and nothing to write.
  if (storedAlready) throw new FormAlreadySaved();
  throw new StaleForm();
}

/**
 * What a save would write is stored already, by a save made since the form was shown (most often
 * the first click of a double-click): answered as saved, and nothing is written or recorded.
 */
class FormAlreadySaved extends Error {
  constructor() {
    super('the form is stored already');
  }
}

/** Whether two forms' fields (what their versions digest) are the same. */
function sameForm(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return formVersion(a) === formVersion(b);
}

/**
 * The one write of a form that posts every field, its version checked (checkFormVersion) by `write`
 * under the row lock on what is stored. `shown` gives a stored state's fields as the form shows them,
 * `posted` the stored state this post would make of it, and `alsoSame` anything else that must
 * match for it to be stored already. Resolves to what `write` returned, or to `{ storedAlready }`
 * when a save made since the form was shown stored exactly this (a double click): answer it as saved.
 */
export async function saveVersioned<S, T>(
  form: {
    version: unknown;
    shown: (stored: S) => Record<string, unknown>;
    posted: (stored: S) => NoInfer<S>;
    alsoSame?: (stored: S) => boolean;
  },
  write: (check: (stored: S) => void) => Promise<T>,
): Promise<{ saved: T } | { storedAlready: true }> {
  const { version, shown, posted, alsoSame = () => true } = form;
  try {
    return { saved: await write((stored) => checkFormVersion(version, shown(stored), alsoSame(stored) && sameForm(shown(stored), shown(posted(stored))))) };
  } catch (err) {
    if (!(err instanceof FormAlreadySaved)) throw err;
    return { storedAlready: true };
  }
}
