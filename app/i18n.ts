/** Customer-facing text in Indonesian and English. Keys are checked by the compiler. */
export type Lang = 'id' | 'en';
export const LANGS: Lang[] = ['id', 'en'];

const en = {
  htmlTitle: 'Pay with Xendit',
  switchLang: 'Bahasa Indonesia',
  badRequestTitle: 'This payment link is incomplete',
  badRequestBody:
    'The link is missing the invoice number or the business code. Please use the "Pay with Xendit" link in your invoice again, or contact the business that sent it.',
  notFoundTitle: 'We could not find this invoice',
  notFoundBody: 'The payment link does not match an invoice we can collect. Please check the link in your invoice or contact the business that sent it.',
  alreadyPaidTitle: 'This invoice is already paid',
  alreadyPaidBody: 'Invoice {invoice} has nothing left to pay. Thank you!',
  processingTitle: 'Your payment was received',
  processingBody:
    'We received the payment for invoice {invoice} and are recording it. It will show as paid in the invoice shortly — there is no need to pay again.',
  linkOutdatedTitle: 'This payment link is out of date',
  linkOutdatedBody:
    'The invoice has changed since this link was made. Please open the invoice again from the e-mail or the invoice page, and use its "Pay with Xendit" link.',
  notPayableTitle: 'This invoice cannot be paid online',
  notPayableBody: 'Invoice {invoice} is not open for payment (it may have been cancelled or is still a draft). Please contact the business that sent it.',
  unsupportedCurrencyTitle: 'This invoice cannot be paid with Xendit',
  unsupportedCurrencyBody:
    "Xendit cannot collect this invoice's currency or amount ({currency}). Please contact the business that sent it for another way to pay.",
  unavailableTitle: 'Payments are briefly unavailable',
  unavailableBody: 'We could not reach the payment service just now. Nothing was charged. Please try again in a minute.',
  tooManyTitle: 'Too many attempts',
  tooManyBody: 'This payment link was opened too many times in a short while. Nothing was charged. Please wait {seconds} seconds and try again.',
  internalTitle: 'Something went wrong',
  internalBody: 'Nothing was charged. Please try again in a minute; if it keeps happening, contact the business that sent the invoice.',
  tryAgain: 'Try again',
  returnPaidTitle: 'Thank you for your payment',
  returnPaidBody: 'Your payment for invoice {invoice} was received. The invoice will show as paid in Xero shortly; you may close this page.',
  returnPendingTitle: 'We will confirm your payment',
  returnPendingBody:
    'We have not received confirmation of a payment{forInvoice} yet. If you completed it, Xendit e-mails you a receipt and the invoice will show as paid once we have confirmed the payment. If you did not, you can use the "Pay with Xendit" link in your invoice again.',
  returnForInvoice: ' for invoice {invoice}',
  reference: 'Reference',
  forbiddenTitle: 'This form has expired',
  forbiddenBody: 'Please go back, reload the page and try again.',
  tooManyRequestsTitle: 'Too many attempts',
  tooManyRequestsBody: 'Please wait a few minutes and try again.',
  linkExpiredTitle: 'This link has expired',
  linkExpiredBody: 'The link was already used or is too old.',
  conflictTitle: 'Nothing to do',
  conflictBody: 'This action no longer applies; the page may be out of date.',
} as const;

export type MessageId = keyof typeof en;

const id: Record<MessageId, string> = {
  htmlTitle: 'Bayar dengan Xendit',
  switchLang: 'English',
  badRequestTitle: 'Tautan pembayaran ini tidak lengkap',
  badRequestBody:
    'Tautan tidak memuat nomor invoice atau kode usaha. Silakan gunakan lagi tautan "Pay with Xendit" di invoice Anda, atau hubungi usaha yang mengirimnya.',
  notFoundTitle: 'Invoice tidak ditemukan',
  notFoundBody: 'Tautan pembayaran tidak cocok dengan invoice yang dapat kami tagih. Periksa tautan di invoice Anda atau hubungi usaha yang mengirimnya.',
  alreadyPaidTitle: 'Invoice ini sudah lunas',
  alreadyPaidBody: 'Tidak ada lagi yang perlu dibayar untuk invoice {invoice}. Terima kasih!',
  processingTitle: 'Pembayaran Anda sudah diterima',
  processingBody:
    'Kami telah menerima pembayaran untuk invoice {invoice} dan sedang mencatatnya. Invoice akan segera tampil lunas — Anda tidak perlu membayar lagi.',
  notPayableTitle: 'Invoice ini tidak dapat dibayar secara online',
  linkOutdatedTitle: 'Tautan pembayaran ini sudah tidak berlaku',
  linkOutdatedBody:
    'Invoice telah berubah sejak tautan ini dibuat. Buka kembali invoice dari e-mail atau halaman invoice, lalu gunakan tautan "Pay with Xendit" di sana.',
  notPayableBody: 'Invoice {invoice} tidak terbuka untuk pembayaran (mungkin dibatalkan atau masih draf). Silakan hubungi usaha yang mengirimnya.',
  unsupportedCurrencyTitle: 'Invoice ini tidak dapat dibayar dengan Xendit',
  unsupportedCurrencyBody:
    'Xendit tidak dapat menagih mata uang atau jumlah invoice ini ({currency}). Silakan hubungi usaha yang mengirimnya untuk cara pembayaran lain.',
  unavailableTitle: 'Pembayaran sedang tidak tersedia',
  unavailableBody: 'Kami tidak dapat menghubungi layanan pembayaran saat ini. Tidak ada dana yang ditagih. Silakan coba lagi dalam satu menit.',
  tooManyTitle: 'Terlalu banyak percobaan',
  tooManyBody: 'Tautan pembayaran ini dibuka terlalu sering dalam waktu singkat. Tidak ada dana yang ditagih. Silakan tunggu {seconds} detik lalu coba lagi.',
  internalTitle: 'Terjadi kesalahan',
  internalBody: 'Tidak ada dana yang ditagih. Silakan coba lagi dalam satu menit; jika terus terjadi, hubungi usaha yang mengirim invoice.',
  tryAgain: 'Coba lagi',
  returnPaidTitle: 'Terima kasih atas pembayaran Anda',
  returnPaidBody: 'Pembayaran Anda untuk invoice {invoice} telah diterima. Invoice akan segera tampil lunas di Xero; Anda boleh menutup halaman ini.',
  returnPendingTitle: 'Kami akan mengonfirmasi pembayaran Anda',
  returnPendingBody:
    'Kami belum menerima konfirmasi pembayaran{forInvoice}. Jika Anda sudah membayar, Xendit mengirimkan tanda terima melalui e-mail dan invoice akan tampil lunas setelah pembayaran kami konfirmasi. Jika belum, Anda dapat menggunakan tautan "Pay with Xendit" di invoice Anda lagi.',
  returnForInvoice: ' untuk invoice {invoice}',
  reference: 'Referensi',
  forbiddenTitle: 'Formulir ini sudah kedaluwarsa',
  forbiddenBody: 'Silakan kembali, muat ulang halaman, lalu coba lagi.',
  tooManyRequestsTitle: 'Terlalu banyak percobaan',
  tooManyRequestsBody: 'Silakan tunggu beberapa menit, lalu coba lagi.',
  linkExpiredTitle: 'Tautan ini sudah kedaluwarsa',
  linkExpiredBody: 'Tautan sudah pernah dipakai atau sudah terlalu lama.',
  conflictTitle: 'Tidak ada yang perlu dilakukan',
  conflictBody: 'Tindakan ini sudah tidak berlaku; halaman mungkin sudah usang.',
};

const dictionaries: Record<Lang, Record<MessageId, string>> = { en, id };

export function translator(lang: Lang) {
  return (key: MessageId, vars: Record<string, string> = {}): string => dictionaries[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? '');
}

/** ?lang= wins, then the browser's Accept-Language; Indonesian is the default for our customers. */
export function chooseLang(queryLang: unknown, acceptLanguage: string | undefined, fallback: Lang = 'id'): Lang {
  if (typeof queryLang === 'string' && (LANGS as string[]).includes(queryLang.toLowerCase())) return queryLang.toLowerCase() as Lang;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().toLowerCase().split(';');
      const q = params.find((p) => p.trim().startsWith('q='));
      return { tag: tag.split('-')[0], q: q ? Number(q.trim().slice(2)) || 0 : 1 };
    })
    .filter((x) => (LANGS as string[]).includes(x.tag))
    .sort((a, b) => b.q - a.q);
  return (ranked[0]?.tag as Lang | undefined) ?? fallback;
}
