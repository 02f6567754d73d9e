import { strict as assert } from 'node:assert';
import { bookableDate, dateIn, ianaZoneOf, zoneFor } from '../../app/jobs/sync/org-date.js';
import { mapOrganisation } from '../../app/clients/xero/mappers.js';

describe("org-date: Xero's Windows time zone names", () => {
  const at2330 = new Date('2026-11-25T23:30:00Z');

  it("maps the zones of Xendit's markets", () => {
    assert.equal(ianaZoneOf('SEASIASTANDARDTIME'), 'Asia/Bangkok'); // Jakarta, Bangkok, Hanoi
    assert.equal(ianaZoneOf('SINGAPORESTANDARDTIME'), 'Asia/Singapore'); // Kuala Lumpur, Manila
    assert.equal(ianaZoneOf('TOKYOSTANDARDTIME'), 'Asia/Tokyo'); // Jayapura
    assert.equal(ianaZoneOf('SE Asia Standard Time'), 'Asia/Bangkok', 'the spaced Windows spelling too');
  });

  it('dates 23:30 UTC by the organisation, falling back to the currency home zone for unknown names', () => {
    assert.equal(dateIn(at2330, zoneFor('SEASIASTANDARDTIME', 'USD')), '2026-11-26');
    assert.equal(dateIn(at2330, zoneFor('UTC', 'IDR')), '2026-11-25');
    assert.equal(dateIn(at2330, zoneFor('PACIFICSTANDARDTIME', 'PHP')), '2026-11-25');
    assert.equal(dateIn(at2330, zoneFor('NOSUCHZONE', 'PHP')), '2026-11-26');
    assert.equal(dateIn(at2330, zoneFor(null, 'USD')), '2026-11-25');
  });

  it("keeps the sign of Xero's fixed-offset zones: UTC+12 and UTC+13 are east, UTC02..UTC11 west (issue 14 item 10)", () => {
    assert.equal(ianaZoneOf('UTC+12'), 'Etc/GMT-12', 'Etc/GMT names invert the sign');
    assert.equal(ianaZoneOf('UTC+13'), 'Etc/GMT-13');
    assert.equal(ianaZoneOf('UTC11'), 'Etc/GMT+11');
    assert.equal(ianaZoneOf('UTC-11'), 'Etc/GMT+11');
    assert.equal(ianaZoneOf('DATELINESTANDARDTIME'), 'Etc/GMT+12');
    const at1330 = new Date('2026-11-25T13:30:00Z');
    assert.equal(dateIn(at1330, zoneFor('UTC+12', 'USD')), '2026-11-26', '13:30 UTC is 01:30 the next day at UTC+12');
    assert.equal(dateIn(at1330, zoneFor('UTC+13', 'USD')), '2026-11-26');
    assert.equal(dateIn(new Date('2026-11-26T05:00:00Z'), zoneFor('UTC11', 'USD')), '2026-11-25', '05:00 UTC is 18:00 the day before at UTC-11');
  });

  it('every mapped zone is one Intl knows', () => {
    for (const name of [
      'SEASIASTANDARDTIME',
      'SINGAPORESTANDARDTIME',
      'UTC+12',
      'UTC+13',
      'UTC02',
      'UTC08',
      'UTC09',
      'UTC11',
      'DATELINESTANDARDTIME',
      'NEWZEALANDSTANDARDTIME',
      'GMTSTANDARDTIME',
    ]) {
      assert.doesNotThrow(() => dateIn(at2330, ianaZoneOf(name)!));
    }
  });
});

describe('org-date: Xero lock dates', () => {
  const org = { organisationID: 'o', shortCode: '!A', name: 'A', baseCurrency: 'IDR' };

  it('reads the later of the two lock dates however xero-node hands them over (Date, MS date string, ISO)', () => {
    assert.equal(mapOrganisation(org).lockDate, undefined);
    assert.equal(mapOrganisation({ ...org, periodLockDate: new Date('2026-10-31T00:00:00Z') }).lockDate, '2026-10-31');
    assert.equal(mapOrganisation({ ...org, periodLockDate: '/Date(1793404800000+0000)/' }).lockDate, '2026-10-31');
    assert.equal(mapOrganisation({ ...org, periodLockDate: '2026-09-30T00:00:00', endOfYearLockDate: '2026-10-31' }).lockDate, '2026-10-31');
    assert.equal(mapOrganisation({ ...org, periodLockDate: '2026-11-30', endOfYearLockDate: new Date('2025-12-31T00:00:00Z') }).lockDate, '2026-11-30');
    assert.equal(mapOrganisation({ ...org, periodLockDate: 'not a date', endOfYearLockDate: null }).lockDate, undefined);
  });

  it('dates on or before the lock date move to the day after it; later dates stay', () => {
    const locked = { xeroLockDate: '2026-12-31' };
    assert.equal(bookableDate(locked, '2026-12-31'), '2027-01-01');
    assert.equal(bookableDate(locked, '2026-02-28'), '2027-01-01');
    assert.equal(bookableDate(locked, '2027-01-02'), '2027-01-02');
    assert.equal(bookableDate({ xeroLockDate: '2028-02-28' }, '2028-01-15'), '2028-02-29', 'a leap day');
    assert.equal(bookableDate({ xeroLockDate: null }, '2020-01-01'), '2020-01-01');
  });
});
