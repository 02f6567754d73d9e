/** The e-mail and new-password fields, the same on the setup form and the add-user form. */
import { z } from 'zod';

export const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: 'Enter a valid e-mail address.' }))
  .pipe(z.string().max(254));
export const newPassword = z.string().min(12, { error: 'Use at least 12 characters.' }).max(200, { error: 'Use at most 200 characters.' });
