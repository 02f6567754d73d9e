import { strict as assert } from 'node:assert';
import { movedByLock } from '../../app/report/rows.js';

describe('report: an entry dated later because of a lock date', () => {
  it('is explained only when it happened on or before the lock date and was booked after it', () => {
    assert.equal(movedByLock('2026-11-30', '2026-11-28', '2026-12-01'), true);
    assert.equal(movedByLock('2026-11-30', '2026-11-30', '2026-12-01'), true);
    assert.equal(movedByLock(null, '2026-11-28', '2026-12-01'), false, 'no lock date: booked late by hand, flagged');
    assert.equal(movedByLock('2026-10-31', '2026-11-28', '2026-12-01'), false, 'the lock does not cover the day it happened');
    assert.equal(movedByLock('2026-12-05', '2026-11-28', '2026-12-01'), false, 'booked inside the locked period: not by the gateway');
  });
});
