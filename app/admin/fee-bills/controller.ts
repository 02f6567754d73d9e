/** The "Xendit fee bills" page of a merchant: upload Xendit's Billing Report, check, book. */
import express, { Router, type Request } from 'express';
import { adminMerchantPath, paths } from '../../paths.js';
import { FormInvalid } from '../../errors.js';
import { message } from '../../i18n/index.js';
import type { Sessions } from '../session.js';
import { stepUp, adminErrors, render, requireUser, signedIn, type AdminDeps } from '../web.js';
import { merchantToChange } from '../merchants/service.js';
import { uploadBody, uploadGate } from '../uploads.js';
import { bookManual, bookReport, feeBillsOf, previewReport, type ManualBill, type PreviewRow } from './service.js';

/** A month's Billing Report of a busy merchant runs to a few MB, up to this; the admin's other forms to 16 kB. */
export const FEE_REPORT_MB = 8;
/**
 * The form sends it URL-encoded: each comma, space in a quoted cell and line end grows to three
 * bytes, so a report of FEE_REPORT_MB arrives up to three times larger. The row cap
 * (MAX_BILLING_ROWS) still bounds the work.
 */
export const FEE_REPORT_LIMIT = `${3 * FEE_REPORT_MB}mb`;
/**
 * The two URLs that take a report (paths.adminMerchantFeeBillsPreview, …Book), in every spelling
 * express routes to them (its defaults: any case, one trailing slash), so none gets the 16 kB parser.
 */
export const FEE_REPORT_URL = /^\/admin\/merchants\/[^/]+\/fee-bills\/(preview|book)\/?$/i;

export function feeBillsRouter(deps: AdminDeps, sess: Sessions): Router {
  const router = Router();
  const parse = uploadBody(express.urlencoded({ extended: false, limit: FEE_REPORT_LIMIT, parameterLimit: 10, inflate: false }));
  // Who may book (owners, operators) before the body is read, and one upload read at a time (uploads.ts).
  const gate = uploadGate(deps.uploads, deps.uploadPace, adminErrors(deps.logger), (req, res) =>
    merchantToChange(deps, signedIn(res), String(req.params.merchantId)),
  );
  const text = (req: Request, key: string) => (typeof req.body?.[key] === 'string' ? (req.body[key] as string) : '');
  // A report over the limit: the page again saying how to go on, not a bare 413 page. Nothing is
  // read from the refused body (not even the CSRF token), and the page changes nothing.
  const body: express.RequestHandler = (req, res, next) =>
    parse(req, res, (err?: unknown) => {
      if ((err as { type?: string } | undefined)?.type !== 'entity.too.large') return next(err);
      show(req, res, 413, { errors: { report: message('errors:feeReportTooBig', { mb: FEE_REPORT_MB }) } }).catch(next);
    });

  const show = async (
    req: Request,
    res: express.Response,
    status: number,
    extra: { preview?: PreviewRow[]; csv?: string; errors?: Record<string, unknown>; manual?: ManualBill },
  ) => {
    const { merchant: m, bills } = await feeBillsOf(deps, signedIn(res), String(req.params.merchantId));
    render(res, status, 'fee-bills', {
      merchant: { id: m.id, name: m.name, mode: m.mode, invoiced: m.xenditFeeBilling === 'invoiced' },
      bills,
      preview: extra.preview ?? null,
      csv: extra.csv ?? '',
      manual: extra.manual ?? { period: '', currency: '', fees: '', vat: '', xenditInvoiceNumber: '' },
      errors: extra.errors ?? {},
      booked: req.query.booked === undefined ? null : Number(req.query.booked) || 0,
    });
  };

  router.get(paths.adminMerchantFeeBills, requireUser, (req, res) => show(req, res, 200, {}));

  // Signed in, and allowed to change the merchant, before the body is read: nobody else gets a large body parsed.
  router.post(paths.adminMerchantFeeBillsPreview, requireUser, gate, body, sess.verifyCsrf, async (req, res) => {
    const csv = text(req, 'report');
    try {
      const preview = await previewReport(deps, signedIn(res), String(req.params.merchantId), csv);
      await show(req, res, 200, { preview, csv });
    } catch (err) {
      if (!(err instanceof FormInvalid)) throw err;
      await show(req, res, err.status, { errors: err.fields });
    }
  });

  // Booking is where the books change: the password typed within the step-up window, as for keys and accounts.
  router.post(
    paths.adminMerchantFeeBillsBook,
    requireUser,
    gate,
    body,
    sess.verifyCsrf,
    stepUp(deps, (req) => adminMerchantPath(String(req.params.merchantId), 'adminMerchantFeeBills')),
    async (req, res) => {
      const merchantId = String(req.params.merchantId);
      const manual: ManualBill = {
        period: text(req, 'period'),
        currency: text(req, 'currency'),
        fees: text(req, 'fees'),
        vat: text(req, 'vat'),
        xenditInvoiceNumber: text(req, 'xenditInvoiceNumber'),
      };
      try {
        const made =
          text(req, 'mode') === 'manual'
            ? await bookManual(deps, signedIn(res), merchantId, manual)
            : await bookReport(deps, signedIn(res), merchantId, text(req, 'report'));
        res.redirect(303, `${adminMerchantPath(merchantId, 'adminMerchantFeeBills')}?booked=${made}`);
      } catch (err) {
        if (!(err instanceof FormInvalid)) throw err;
        await show(req, res, err.status, { errors: err.fields, manual });
      }
    },
  );

  router.use(adminErrors(deps.logger));
  return router;
}
