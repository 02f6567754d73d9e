import type { RequestHandler } from 'express';
import { BodyEncoded } from '../errors.js';

/**
 * Refuses a request whose body is sent compressed (any Content-Encoding but identity), before
 * anything reads it. For form posts from browsers, which never compress what they send: body-parser
 * inflates gzip, deflate and br by default and applies its limit to the inflated bytes only, so a
 * few kB that say they are small (and take no upload slot, admin/uploads.ts) grow to the parser's
 * whole limit. The parsers are also set `inflate: false`; this answers first, with a page that says why.
 */
export const identityBodiesOnly: RequestHandler = (req, _res, next) => {
  const said = req.get('content-encoding');
  if (said === undefined || said.split(',').every((c) => ['', 'identity'].includes(c.trim().toLowerCase()))) return next();
  next(new BodyEncoded(said));
};
