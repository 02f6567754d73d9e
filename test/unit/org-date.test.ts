import { strict as assert } from 'node:assert';
import { dateIn, ianaZoneOf, zoneFor } from '../../app/sync/org-date.js';

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

  it('every mapped zone is one Intl knows', () => {
    for (const name of ['SEASIASTANDARDTIME', 'SINGAPORESTANDARDTIME', 'UTC12', 'UTC13', 'NEWZEALANDSTANDARDTIME', 'GMTSTANDARDTIME']) {
      assert.doesNotThrow(() => dateIn(at2330, ianaZoneOf(name)!));
    }
  });
});
