import type { Lang } from '../../i18n.js';

/** The go-live checklist page in English and Indonesian (the rest of /admin is English). */
const en = {
  title: 'Go live',
  status: 'Status',
  done: 'done',
  todo: 'to do',
  stepXero: 'Xero connected',
  stepXendit: 'Xendit secret key valid',
  stepClearing: 'Clearing account chosen',
  stepCallback: 'Callback received from Xendit',
  lastCallback: 'Last callback received: {at}',
  noCallback: 'No callback yet. In Xendit, paste the callback URL and press "Test and save", or pay a test invoice.',
  fixXendit: 'Enter the Xendit key',
  fixAccounts: 'Choose the accounts',
  mode: 'Xendit mode: {mode}',
  modeTest: 'test',
  modeLive: 'live',
  payUrl: 'Custom Payment URL',
  copy: 'Copy',
  inXero: 'In Xero',
  steps: [
    'Open Settings → Invoice settings.',
    'Choose Payment services → Add payment service → Custom payment URL.',
    'Name it "Pay with Xendit", paste the Custom Payment URL above, and press Save.',
    'Choose Manage themes, open each invoice theme, select "Pay with Xendit" under Payment services, and save.',
  ],
  callbackUrl: 'Callback URL (Xendit → Settings → Callbacks → Invoices paid)',
  active: 'This merchant is live: "Pay with Xendit" links on its invoices work.',
  activeTest:
    'Test mode, not live: links work with Xendit test payments only (no real money), and those payments are not recorded in Xero. To go live, enter the live key (xnd_production_…) and switch to live mode.',
  activeTestRecorded:
    'Test mode, not live: links work with Xendit test payments only (no real money). They are recorded in this Xero organisation because Settings mark it as a test or demo company.',
  onboarding: 'Not live yet: payment links start working once the Xendit key and the clearing account are set.',
} as const;

type Text = { [K in keyof typeof en]: (typeof en)[K] extends readonly string[] ? readonly string[] : string };

const id: Text = {
  title: 'Mulai menerima pembayaran',
  status: 'Status',
  done: 'selesai',
  todo: 'belum',
  stepXero: 'Xero terhubung',
  stepXendit: 'Secret key Xendit valid',
  stepClearing: 'Akun kliring dipilih',
  stepCallback: 'Callback dari Xendit diterima',
  lastCallback: 'Callback terakhir diterima: {at}',
  noCallback: 'Belum ada callback. Di Xendit, tempel URL callback lalu tekan "Test and save", atau bayar invoice uji coba.',
  fixXendit: 'Masukkan key Xendit',
  fixAccounts: 'Pilih akun',
  mode: 'Mode Xendit: {mode}',
  modeTest: 'uji coba',
  modeLive: 'live',
  payUrl: 'Custom Payment URL',
  copy: 'Salin',
  inXero: 'Di Xero',
  steps: [
    'Buka Settings → Invoice settings.',
    'Pilih Payment services → Add payment service → Custom payment URL.',
    'Beri nama "Pay with Xendit", tempel Custom Payment URL di atas, lalu tekan Save.',
    'Pilih Manage themes, buka setiap tema invoice, pilih "Pay with Xendit" di Payment services, lalu simpan.',
  ],
  callbackUrl: 'URL callback (Xendit → Settings → Callbacks → Invoices paid)',
  activeTest:
    'Mode uji coba, belum live: link hanya menerima pembayaran uji coba Xendit (tanpa uang sungguhan), dan pembayaran itu tidak dicatat di Xero. Untuk live, masukkan key live (xnd_production_…) dan beralih ke mode live.',
  activeTestRecorded:
    'Mode uji coba, belum live: link hanya menerima pembayaran uji coba Xendit (tanpa uang sungguhan). Pembayaran itu dicatat di organisasi Xero ini karena Pengaturan menandainya sebagai perusahaan uji coba atau demo.',
  active: 'Merchant ini sudah live: tautan "Pay with Xendit" di invoice berfungsi.',
  onboarding: 'Belum live: tautan pembayaran berfungsi setelah key Xendit dan akun kliring diatur.',
};

export function goLiveText(lang: Lang): Text {
  return lang === 'id' ? id : en;
}
