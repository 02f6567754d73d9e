/** The e-mail and new-password fields, the same on the setup form and the add-user form. */
import { z } from 'zod';

export const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: 'errors:emailInvalid' }))
  .pipe(z.string().max(254));
export const newPassword = z.string().min(12, { error: 'errors:passwordTooShort' }).max(200, { error: 'errors:passwordTooLong' });
