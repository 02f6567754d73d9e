/**
 * A merchant's credentials as they are entered: the admin's forms and the CLI's `merchants add`
 * check them with these same fields, so a value one refuses the other cannot store. Each is trimmed:
 * a space or line break copied with a key or token would make every request with it fail.
 */
import { z } from 'zod';
import { storableText } from '../fields.js';

/** What Xendit issues as a verification token: visible ASCII only, nothing a header or the database would mangle. */
const TOKEN_CHARS = /^[\x21-\x7e]*$/;
/**
 * Inside a key: a space, a line break (an e-mail or chat client wrapping it), a control or an
 * invisible formatting character (zero-width space, soft hyphen, BOM). The ends are trimmed.
 */
const PASTE_DEBRIS = /[\s\p{Cc}\p{Cf}\p{Z}]/u;

/** A Xendit secret key of one mode (undefined when empty): the other mode's key gets a message saying where it goes. */
export const xenditKeyField = (mode: 'test' | 'live') =>
  z
    .string()
    .trim()
    .max(200, { error: 'errors:xenditKeyTooLong' })
    .refine((k) => !PASTE_DEBRIS.test(k), { error: 'errors:xenditKeySpaces' })
    .refine((k) => !k.startsWith('xnd_public_'), { error: 'errors:xenditKeyPublic' })
    .refine((k) => !(mode === 'test' && k.startsWith('xnd_production_')), { error: 'errors:xenditKeyLiveInTest' })
    .refine((k) => !(mode === 'live' && k.startsWith('xnd_development_')), {
      error: 'errors:xenditKeyTestInLive',
    })
    .refine((k) => k === '' || /^xnd_(development|production)_[\w-]+$/.test(k), {
      error: mode === 'test' ? 'errors:xenditKeyTestPrefix' : 'errors:xenditKeyLivePrefix',
    })
    .transform((k) => k || undefined);

/** Xendit's callback verification token (undefined when empty), compared with the x-callback-token header Node hands over trimmed. */
export const callbackTokenField = z
  .string()
  .trim()
  .max(200, { error: 'errors:callbackTokenTooLong' })
  .refine((t) => TOKEN_CHARS.test(t), { error: 'errors:callbackTokenChars' })
  .transform((t) => t || undefined);

/** A Xero Custom Connection's client id. */
export const xeroClientIdField = z
  .string()
  .trim()
  .min(1, { error: 'errors:clientIdMissing' })
  .max(100, { error: 'errors:clientIdTooLong' })
  .regex(/^[\w-]+$/, { error: 'errors:clientIdChars' });

/** A Xero Custom Connection's client secret. */
export const xeroClientSecretField = storableText(1000)
  .trim()
  .min(1, { error: 'errors:clientSecretMissing' })
  .max(200, { error: 'errors:clientSecretTooLong' });
