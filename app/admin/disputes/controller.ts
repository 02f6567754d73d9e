/** The "Disputes" page of a merchant: the disputes watched and booked, and the Dispute Report upload. */
import express, { Router, type Request, type Response } from 'express';
import { adminMerchantPath, paths } from '../../paths.js';
import { FormInvalid } from '../../errors.js';
import type { Sessions } from '../session.js';
import { adminErrors, render, requireUser, signedIn, type AdminDeps } from '../web.js';
import { merchantToChange } from '../merchants/service.js';
import { uploadBody, uploadGate } from '../uploads.js';
import { disputesOf, readDisputeReport } from './service.js';

/** 2 000 rows of the report's seven short columns stay well under this; the admin's other forms take 16 kB. */
export const DISPUTE_REPORT_LIMIT = '2mb';
/** The URL that takes a report (paths.adminMerchantDisputesReport), in every spelling express routes to it (any case, one trailing slash). */
export const DISPUTE_REPORT_URL = /^\/admin\/merchants\/[^/]+\/disputes\/report\/?$/i;

export function disputesRouter(deps: AdminDeps, sess: Sessions): Router {
  const router = Router();
  const body = uploadBody(express.urlencoded({ extended: false, limit: DISPUTE_REPORT_LIMIT, parameterLimit: 10, inflate: false }));
  // Who may upload (owners, operators) before the body is read, and one upload read at a time (uploads.ts).
  const gate = uploadGate(deps.uploads, deps.uploadPace, adminErrors(deps.logger), (req, res) =>
    merchantToChange(deps, signedIn(res), String(req.params.merchantId)),
  );
  const count = (v: unknown) => (typeof v === 'string' && /^\d{1,6}$/.test(v) ? Number(v) : null);

  const show = async (req: Request, res: Response, status: number, errors: Record<string, unknown> = {}) => {
    const { merchant: m, open, chargebacks } = await disputesOf(deps, signedIn(res), String(req.params.merchantId));
    const read = count(req.query.read);
    render(res, status, 'disputes', {
      merchant: { id: m.id, name: m.name, mode: m.mode },
      open,
      chargebacks,
      errors,
      result: read === null ? null : { read, queued: count(req.query.queued) ?? 0 },
    });
  };

  router.get(paths.adminMerchantDisputes, requireUser, (req, res) => show(req, res, 200));

  // Signed in, and allowed to change the merchant, before the body is read: nobody else gets a large
  // body parsed. No step-up: an upload only asks Xendit; what gets booked is what Xendit says was
  // lost, as for a webhook.
  router.post(paths.adminMerchantDisputesReport, requireUser, gate, body, sess.verifyCsrf, async (req, res) => {
    const merchantId = String(req.params.merchantId);
    const csv = typeof req.body?.report === 'string' ? (req.body.report as string) : '';
    try {
      const { read, queued } = await readDisputeReport(deps, signedIn(res), merchantId, csv);
      res.redirect(303, `${adminMerchantPath(merchantId, 'adminMerchantDisputes')}?read=${read}&queued=${queued}`);
    } catch (err) {
      if (!(err instanceof FormInvalid)) throw err;
      await show(req, res, err.status, err.fields);
    }
  });

  router.use(adminErrors(deps.logger));
  return router;
}
