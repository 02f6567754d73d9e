/** A merchant's "Needs review" page: what the worker stopped trying to book, Retry, and Mark as handled. */
import { Router, type Request, type Response } from 'express';
import { adminMerchantPath, adminReviewHandledPath, adminReviewRetryPath, paths } from '../../paths.js';
import { Conflict, FormInvalid, NotFound } from '../../errors.js';
import type { Sessions } from '../session.js';
import { adminErrors, render, requireUser, signedIn, type AdminDeps } from '../web.js';
import { markHandled, retryReview, reviewOf } from './service.js';

/** A job id as the page writes it: a positive integer PostgreSQL's bigint and JavaScript both hold. */
const jobIdOf = (raw: unknown): number => {
  const id = typeof raw === 'string' && /^[1-9]\d{0,14}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id)) throw new NotFound('malformed job id');
  return id;
};

export function reviewRouter(deps: AdminDeps, sess: Sessions): Router {
  const router = Router();
  const merchantId = (req: Request) => String(req.params.merchantId);

  type Notice = 'retried' | 'handled' | 'gone' | 'invalid' | null;
  /**
   * `notice`: 'retried' or 'handled' after one; 'gone' when the item was no longer in review (409);
   * 'invalid': a Mark as handled refused for its note (`refused`: that job's form, its errors and note).
   */
  const show = async (
    req: Request,
    res: Response,
    status: number,
    notice: Notice,
    refused?: { jobId: number; errors: FormInvalid['fields']; note: string },
  ) => {
    const view = await reviewOf(deps, signedIn(res), merchantId(req));
    render(res, status, 'review', {
      ...view,
      notice,
      refused: refused ?? null,
      retryUrl: (jobId: number) => adminReviewRetryPath(view.merchant.id, jobId),
      handledUrl: (jobId: number) => adminReviewHandledPath(view.merchant.id, jobId),
    });
  };
  const done = (req: Request): Notice => (req.query.retried === '1' ? 'retried' : req.query.handled === '1' ? 'handled' : null);

  router.get(paths.adminMerchantReview, requireUser, (req, res) => show(req, res, 200, done(req)));

  router.post(paths.adminMerchantReviewRetry, requireUser, sess.verifyCsrf, async (req, res) => {
    const jobId = jobIdOf(req.params.jobId);
    try {
      await retryReview(deps, signedIn(res), merchantId(req), jobId);
    } catch (err) {
      // Retried twice, or finished meanwhile: the page as it is now says so; nothing was queued.
      if (!(err instanceof Conflict)) throw err;
      return show(req, res, 409, 'gone');
    }
    res.redirect(303, `${adminMerchantPath(merchantId(req), 'adminMerchantReview')}?retried=1`);
  });

  router.post(paths.adminMerchantReviewHandled, requireUser, sess.verifyCsrf, async (req, res) => {
    const jobId = jobIdOf(req.params.jobId);
    try {
      await markHandled(deps, signedIn(res), merchantId(req), jobId, req.body);
    } catch (err) {
      // A note refused: the page again, that row's form showing why, what was typed kept (cut, it is shown back).
      if (err instanceof FormInvalid) {
        const note = typeof req.body?.note === 'string' ? req.body.note.slice(0, 1000) : '';
        return show(req, res, err.status, 'invalid', { jobId, errors: err.fields, note });
      }
      // Handled or retried meanwhile: the page as it is now says so; nothing was written.
      if (!(err instanceof Conflict)) throw err;
      return show(req, res, 409, 'gone');
    }
    res.redirect(303, `${adminMerchantPath(merchantId(req), 'adminMerchantReview')}?handled=1`);
  });

  router.use(adminErrors(deps.logger));
  return router;
}
