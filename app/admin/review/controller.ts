/** A merchant's "Needs review" page: what the worker stopped trying to book, and Retry. */
import { Router, type Request, type Response } from 'express';
import { adminMerchantPath, adminReviewRetryPath, paths } from '../../paths.js';
import { Conflict, NotFound } from '../../errors.js';
import type { Sessions } from '../session.js';
import { adminErrors, render, requireUser, signedIn, type AdminDeps } from '../web.js';
import { retryReview, reviewOf } from './service.js';

/** A job id as the page writes it: a positive integer PostgreSQL's bigint and JavaScript both hold. */
const jobIdOf = (raw: unknown): number => {
  const id = typeof raw === 'string' && /^[1-9]\d{0,14}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id)) throw new NotFound('malformed job id');
  return id;
};

export function reviewRouter(deps: AdminDeps, sess: Sessions): Router {
  const router = Router();
  const merchantId = (req: Request) => String(req.params.merchantId);

  /** `notice`: 'retried' after a Retry; 'gone' when the item was no longer in review (409). */
  const show = async (req: Request, res: Response, status: number, notice: 'retried' | 'gone' | null) => {
    const view = await reviewOf(deps, signedIn(res), merchantId(req));
    render(res, status, 'review', {
      ...view,
      notice,
      retryUrl: (jobId: number) => adminReviewRetryPath(view.merchant.id, jobId),
    });
  };

  router.get(paths.adminMerchantReview, requireUser, (req, res) => show(req, res, 200, req.query.retried === '1' ? 'retried' : null));

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

  router.use(adminErrors(deps.logger));
  return router;
}
