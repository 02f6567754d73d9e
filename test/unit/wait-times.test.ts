import { strict as assert } from 'node:assert';
import { createI18n, PAY_LANGS, type I18n, type PayLang } from '../../app/i18n/index.js';
import { tooManyText } from '../../app/i18n/wait.js';
import { renderInProgress } from '../../app/pay/in-progress-page.js';
import type { Response } from 'express';

/**
 * The times two customer pages name, pinned as they read: the 429 page (tooManyText) and the note of
 * the part payment in progress. Rounded up to the minute (16:59:30 reads 17:00, 23:59:30 reads the
 * next day's 00:00), in the business's zone, with the date when it is not today.
 */
describe('customer pages: the time a wait ends, as shown', () => {
  const i18n = createI18n();
  const now = new Date('2026-11-25T16:40:00Z');
  const ats = ['2026-11-25T16:59:30Z', '2026-11-26T04:59:30Z', '2026-11-25T23:59:30Z', '2026-11-28T08:00:00Z'].map((s) => new Date(s));

  /** The 429 page's message: its kind (Today, Tomorrow, Date) and the time or date it names. */
  const tooMany = (lang: PayLang, at: Date, timeZone: string) => {
    const m = tooManyText(lang, 200, { now, at, timeZone });
    return `${m.key.replace('pay:tooMany', '').replace('Body', '')} ${Object.values(m.params ?? {})[0]}`;
  };
  /** The in-progress page's note: the time it names. */
  const inProgress = (lang: PayLang, until: Date, timeZone: string) => {
    let note = '';
    const res = { status: () => res, render: (_view: string, o: { note: { text: string } }) => (note = o.note.text) } as unknown as Response;
    const only = { fixed: () => (_key: string, p?: { time?: string }) => p?.time ?? '', formats: (l: PayLang) => i18n.formats(l) } as unknown as I18n;
    const p = {
      kind: 'inProgress',
      invoiceNumber: 'INV-1',
      currency: 'IDR',
      amount: 100_000,
      checkoutUrl: 'https://x.test',
      until,
      now,
      timeZone,
      test: false,
    } as const;
    renderInProgress(res, p, { i18n: only, lang, langLinks: [] });
    return note;
  };

  // For each of `ats`: the in-progress note's time, then the 429 page's.
  const expected: [PayLang, string, string[]][] = [
    [
      'id',
      'Asia/Jakarta',
      [
        '26 November 2026 pukul 00.00 WIB',
        'Tomorrow 00.00 WIB',
        '26 November 2026 pukul 12.00 WIB',
        'Tomorrow 12.00 WIB',
        '26 November 2026 pukul 07.00 WIB',
        'Tomorrow 07.00 WIB',
        '28 November 2026 pukul 15.00 WIB',
        'Date 28 November 2026 pukul 15.00 WIB',
      ],
    ],
    [
      'id',
      'Etc/GMT-12',
      [
        '05.00 GMT+12',
        'Today 05.00 GMT+12',
        '17.00 GMT+12',
        'Today 17.00 GMT+12',
        '12.00 GMT+12',
        'Today 12.00 GMT+12',
        '28 November 2026 pukul 20.00 GMT+12',
        'Date 28 November 2026 pukul 20.00 GMT+12',
      ],
    ],
    [
      'id',
      'America/New_York',
      [
        '12.00 EST',
        'Today 12.00 EST',
        '26 November 2026 pukul 00.00 EST',
        'Tomorrow 00.00 EST',
        '19.00 EST',
        'Today 19.00 EST',
        '28 November 2026 pukul 03.00 EST',
        'Date 28 November 2026 pukul 03.00 EST',
      ],
    ],
    [
      'en',
      'Asia/Jakarta',
      [
        'November 26, 2026 at 12:00 AM GMT+7',
        'Tomorrow 12:00 AM GMT+7',
        'November 26, 2026 at 12:00 PM GMT+7',
        'Tomorrow 12:00 PM GMT+7',
        'November 26, 2026 at 7:00 AM GMT+7',
        'Tomorrow 7:00 AM GMT+7',
        'November 28, 2026 at 3:00 PM GMT+7',
        'Date November 28, 2026 at 3:00 PM GMT+7',
      ],
    ],
    [
      'en',
      'Etc/GMT-12',
      [
        '5:00 AM GMT+12',
        'Today 5:00 AM GMT+12',
        '5:00 PM GMT+12',
        'Today 5:00 PM GMT+12',
        '12:00 PM GMT+12',
        'Today 12:00 PM GMT+12',
        'November 28, 2026 at 8:00 PM GMT+12',
        'Date November 28, 2026 at 8:00 PM GMT+12',
      ],
    ],
    [
      'en',
      'America/New_York',
      [
        '12:00 PM EST',
        'Today 12:00 PM EST',
        'November 26, 2026 at 12:00 AM EST',
        'Tomorrow 12:00 AM EST',
        '7:00 PM EST',
        'Today 7:00 PM EST',
        'November 28, 2026 at 3:00 AM EST',
        'Date November 28, 2026 at 3:00 AM EST',
      ],
    ],
    [
      'th',
      'Asia/Jakarta',
      [
        '26 พฤศจิกายน 2569 เวลา 0:00 GMT+7',
        'Tomorrow 0:00 GMT+7',
        '26 พฤศจิกายน 2569 เวลา 12:00 GMT+7',
        'Tomorrow 12:00 GMT+7',
        '26 พฤศจิกายน 2569 เวลา 7:00 GMT+7',
        'Tomorrow 7:00 GMT+7',
        '28 พฤศจิกายน 2569 เวลา 15:00 GMT+7',
        'Date 28 พฤศจิกายน 2569 เวลา 15:00 GMT+7',
      ],
    ],
    [
      'th',
      'Etc/GMT-12',
      [
        '5:00 GMT+12',
        'Today 5:00 GMT+12',
        '17:00 GMT+12',
        'Today 17:00 GMT+12',
        '12:00 GMT+12',
        'Today 12:00 GMT+12',
        '28 พฤศจิกายน 2569 เวลา 20:00 GMT+12',
        'Date 28 พฤศจิกายน 2569 เวลา 20:00 GMT+12',
      ],
    ],
    [
      'th',
      'America/New_York',
      [
        '12:00 GMT-5',
        'Today 12:00 GMT-5',
        '26 พฤศจิกายน 2569 เวลา 0:00 GMT-5',
        'Tomorrow 0:00 GMT-5',
        '19:00 GMT-5',
        'Today 19:00 GMT-5',
        '28 พฤศจิกายน 2569 เวลา 3:00 GMT-5',
        'Date 28 พฤศจิกายน 2569 เวลา 3:00 GMT-5',
      ],
    ],
    [
      'vi',
      'Asia/Jakarta',
      [
        'lúc 00:00 GMT+7 26 tháng 11, 2026',
        'Tomorrow 00:00 GMT+7',
        'lúc 12:00 GMT+7 26 tháng 11, 2026',
        'Tomorrow 12:00 GMT+7',
        'lúc 07:00 GMT+7 26 tháng 11, 2026',
        'Tomorrow 07:00 GMT+7',
        'lúc 15:00 GMT+7 28 tháng 11, 2026',
        'Date lúc 15:00 GMT+7 28 tháng 11, 2026',
      ],
    ],
    [
      'vi',
      'Etc/GMT-12',
      [
        '05:00 GMT+12',
        'Today 05:00 GMT+12',
        '17:00 GMT+12',
        'Today 17:00 GMT+12',
        '12:00 GMT+12',
        'Today 12:00 GMT+12',
        'lúc 20:00 GMT+12 28 tháng 11, 2026',
        'Date lúc 20:00 GMT+12 28 tháng 11, 2026',
      ],
    ],
    [
      'vi',
      'America/New_York',
      [
        '12:00 EST',
        'Today 12:00 EST',
        'lúc 00:00 EST 26 tháng 11, 2026',
        'Tomorrow 00:00 EST',
        '19:00 EST',
        'Today 19:00 EST',
        'lúc 03:00 EST 28 tháng 11, 2026',
        'Date lúc 03:00 EST 28 tháng 11, 2026',
      ],
    ],
    [
      'ms',
      'Asia/Jakarta',
      [
        '26 November 2026 pada 12:00 PG GMT+7',
        'Tomorrow 12:00 PG GMT+7',
        '26 November 2026 pada 12:00 PTG GMT+7',
        'Tomorrow 12:00 PTG GMT+7',
        '26 November 2026 pada 7:00 PG GMT+7',
        'Tomorrow 7:00 PG GMT+7',
        '28 November 2026 pada 3:00 PTG GMT+7',
        'Date 28 November 2026 pada 3:00 PTG GMT+7',
      ],
    ],
    [
      'ms',
      'Etc/GMT-12',
      [
        '5:00 PG GMT+12',
        'Today 5:00 PG GMT+12',
        '5:00 PTG GMT+12',
        'Today 5:00 PTG GMT+12',
        '12:00 PTG GMT+12',
        'Today 12:00 PTG GMT+12',
        '28 November 2026 pada 8:00 PTG GMT+12',
        'Date 28 November 2026 pada 8:00 PTG GMT+12',
      ],
    ],
    [
      'ms',
      'America/New_York',
      [
        '12:00 PTG GMT-5',
        'Today 12:00 PTG GMT-5',
        '26 November 2026 pada 12:00 PG GMT-5',
        'Tomorrow 12:00 PG GMT-5',
        '7:00 PTG GMT-5',
        'Today 7:00 PTG GMT-5',
        '28 November 2026 pada 3:00 PG GMT-5',
        'Date 28 November 2026 pada 3:00 PG GMT-5',
      ],
    ],
  ];

  it('reads the same in every customer language and zone', () => {
    assert.deepEqual([...new Set(expected.map(([lang]) => lang))].sort(), [...PAY_LANGS].sort());
    for (const [lang, zone, shown] of expected) {
      assert.deepEqual(
        ats.flatMap((at) => [inProgress(lang, at, zone), tooMany(lang, at, zone)]),
        shown,
        `${lang} ${zone}`,
      );
    }
  });
});
