/**
 * The payment channels a Xendit invoice can be limited to (Create invoice: `payment_methods`), by
 * currency, as Xendit's invoice documentation lists them (docs.xendit.co, Invoices API, "Payment
 * methods"). A merchant's choice is the subset offered for each invoice's currency; an invoice
 * whose currency has none of the chosen ones offers every channel the Xendit account has.
 */
import type { Currency } from '../../money.js';

export const CHANNELS: Record<Exclude<Currency, 'USD'>, readonly string[]> = {
  IDR: [
    'BCA',
    'BNI',
    'BRI',
    'MANDIRI',
    'PERMATA',
    'BSI',
    'BJB',
    'CIMB',
    'SAHABAT_SAMPOERNA',
    'ALFAMART',
    'INDOMARET',
    'OVO',
    'DANA',
    'SHOPEEPAY',
    'LINKAJA',
    'ASTRAPAY',
    'JENIUSPAY',
    'QRIS',
    'CREDIT_CARD',
    'KREDIVO',
    'AKULAKU',
    'ATOME',
    'DD_BRI',
    'DD_BCA_KLIKPAY',
  ],
  PHP: ['GCASH', 'PAYMAYA', 'GRABPAY', 'SHOPEEPAY', '7ELEVEN', 'CEBUANA', 'DD_BPI', 'DD_UBP', 'DD_RCBC', 'DD_BDO_EPAY', 'QRPH', 'CREDIT_CARD', 'BILLEASE'],
  THB: ['PROMPTPAY', 'TRUEMONEY', 'LINEPAY', 'SHOPEEPAY', 'DD_SCB_MB', 'DD_KTB_MB', 'DD_BAY_MB', 'DD_KBANK_MB', 'DD_BBL_MB', 'CREDIT_CARD'],
  VND: ['ZALOPAY', 'APPOTA', 'VNPTWALLET', 'VIETTELPAY', 'SHOPEEPAY', 'WOORI', 'VIETCAPITAL', 'VPB', 'BIDV', 'CREDIT_CARD'],
  MYR: [
    'TOUCHNGO',
    'GRABPAY',
    'SHOPEEPAY',
    'DD_UOB_FPX',
    'DD_PUBLIC_FPX',
    'DD_AFFIN_FPX',
    'DD_AGRO_FPX',
    'DD_ALLIANCE_FPX',
    'DD_AMBANK_FPX',
    'DD_ISLAM_FPX',
    'DD_MUAMALAT_FPX',
    'DD_BOC_FPX',
    'DD_RAKYAT_FPX',
    'DD_BSN_FPX',
    'DD_CIMB_FPX',
    'DD_HLB_FPX',
    'DD_HSBC_FPX',
    'DD_KFH_FPX',
    'DD_MAYB2U_FPX',
    'DD_OCBC_FPX',
    'DD_RHB_FPX',
    'DD_SCH_FPX',
    'CREDIT_CARD',
  ],
};

export const ALL_CHANNELS: ReadonlySet<string> = new Set(Object.values(CHANNELS).flat());

/** The chosen channels Xendit offers in this currency; undefined (every channel) when none of them is. */
export function channelsFor(chosen: readonly string[] | null, currency: Currency): string[] | undefined {
  if (!chosen || currency === 'USD') return undefined;
  const offered = chosen.filter((c) => CHANNELS[currency].includes(c));
  return offered.length ? offered : undefined;
}
