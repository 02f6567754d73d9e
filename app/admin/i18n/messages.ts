import type { MessageKey } from '../../errors.js';

/** Error pages of /admin, written for merchants and operators rather than paying customers. */
export const ADMIN_PAGE: Record<MessageKey, { title: string; body: string }> = {
  badRequest: { title: 'Bad request', body: 'The request could not be understood. Go back and try again.' },
  notFound: { title: 'Page not found', body: 'There is nothing here, or it belongs to another account.' },
  alreadyPaid: { title: 'Already paid', body: 'This invoice is already paid.' },
  notPayable: { title: 'Not payable', body: 'This invoice cannot be paid.' },
  unsupportedCurrency: { title: 'Unsupported currency', body: 'Xendit cannot collect this currency.' },
  unavailable: { title: 'Temporarily unavailable', body: 'A service we depend on did not answer. Try again in a minute.' },
  internal: { title: 'Something went wrong', body: 'The error was logged. Try again in a minute.' },
  forbidden: { title: 'This form has expired', body: 'The page was open too long or came from elsewhere. Go back, reload the page and submit it again.' },
  tooMany: { title: 'Too many requests', body: 'Please wait a minute and try again.' },
  tooManyRequests: { title: 'Too many sign-in attempts', body: 'For your safety, sign-in is paused for this e-mail address. Try again in 15 minutes.' },
  linkExpired: {
    title: 'This setup link no longer works',
    body: 'It was already used, has expired (links last 24 hours), or an operator already exists. Restart the gateway to print a new link while no operator exists, or sign in.',
  },
  linkOutdated: { title: 'This link is out of date', body: 'Open the page again from the admin.' },
  conflict: { title: 'Nothing to retry', body: 'This payment is not waiting for review any more; reload its page to see where it is.' },
};

export const ADMIN_PAGE_ID: Record<MessageKey, { title: string; body: string }> = {
  badRequest: { title: 'Permintaan tidak valid', body: 'Permintaan tidak dapat dipahami. Kembali lalu coba lagi.' },
  notFound: { title: 'Halaman tidak ditemukan', body: 'Tidak ada apa-apa di sini, atau ini milik akun lain.' },
  alreadyPaid: { title: 'Sudah lunas', body: 'Invoice ini sudah lunas.' },
  notPayable: { title: 'Tidak dapat dibayar', body: 'Invoice ini tidak dapat dibayar.' },
  unsupportedCurrency: { title: 'Mata uang tidak didukung', body: 'Xendit tidak dapat menagih mata uang ini.' },
  unavailable: { title: 'Sementara tidak tersedia', body: 'Layanan yang kami perlukan tidak menjawab. Coba lagi dalam satu menit.' },
  internal: { title: 'Terjadi kesalahan', body: 'Kesalahan sudah dicatat. Coba lagi dalam satu menit.' },
  forbidden: {
    title: 'Formulir ini sudah kedaluwarsa',
    body: 'Halaman terbuka terlalu lama atau berasal dari tempat lain. Kembali, muat ulang halaman, lalu kirim lagi.',
  },
  tooMany: { title: 'Terlalu banyak permintaan', body: 'Mohon tunggu satu menit lalu coba lagi.' },
  tooManyRequests: { title: 'Terlalu banyak percobaan masuk', body: 'Demi keamanan Anda, masuk dengan alamat e-mail ini dijeda. Coba lagi dalam 15 menit.' },
  linkExpired: {
    title: 'Tautan pengaturan ini tidak berlaku lagi',
    body: 'Tautan sudah dipakai, kedaluwarsa (tautan berlaku 24 jam), atau operator sudah ada. Mulai ulang gateway untuk mencetak tautan baru selama belum ada operator, atau masuk.',
  },
  linkOutdated: { title: 'Tautan ini sudah tidak berlaku', body: 'Buka kembali halamannya dari admin.' },
  conflict: { title: 'Tidak ada yang perlu diulang', body: 'Pembayaran ini tidak lagi menunggu peninjauan; muat ulang halamannya untuk melihat statusnya.' },
};

export function adminPage(lang: 'id' | 'en', key: MessageKey): { title: string; body: string } {
  return (lang === 'id' ? ADMIN_PAGE_ID : ADMIN_PAGE)[key];
}
