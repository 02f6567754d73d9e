import { strict as assert } from 'node:assert';
import { rawInvoiceNumber } from '../../app/pay/raw-query.js';

describe('rawInvoiceNumber (issue 14 item 11)', () => {
  const read = (query: string) => rawInvoiceNumber(`/pay?${query}&shortCode=!Toko`);

  it('reads encoded numbers exactly, with one reading', () => {
    assert.deepEqual(read('invoiceNo=INV%2B3'), { kind: 'read', invoiceNumber: 'INV+3' });
    assert.deepEqual(read('invoiceNo=INV%204'), { kind: 'read', invoiceNumber: 'INV 4' });
    assert.deepEqual(read('invoiceNo=INV%261'), { kind: 'read', invoiceNumber: 'INV&1' });
    assert.deepEqual(read('invoiceNo=INV%232'), { kind: 'read', invoiceNumber: 'INV#2' });
    assert.deepEqual(read('invoiceNo=F%C3%A4ktura%20%E2%84%965'), { kind: 'read', invoiceNumber: 'Fäktura №5' });
  });

  it('gives a raw "+" two readings: every raw "+" a space, or every one a "+" (an encoded %2B stays "+" in both)', () => {
    assert.deepEqual(read('invoiceNo=INV+3'), { kind: 'read', invoiceNumber: 'INV 3', plusReading: 'INV+3' });
    assert.deepEqual(read('invoiceNo=A+B%2BC'), { kind: 'read', invoiceNumber: 'A B+C', plusReading: 'A+B+C' });
    assert.deepEqual(read('invoiceNo=A+%C3%A4'), { kind: 'read', invoiceNumber: 'A ä', plusReading: 'A+ä' });
  });

  it('a raw "&" that cuts the number, or bytes that are not UTF-8, are unreadable', () => {
    assert.deepEqual(read('invoiceNo=INV&1'), { kind: 'unreadable' });
    assert.deepEqual(read('invoiceNo=F%E4ktura'), { kind: 'unreadable' });
    assert.deepEqual(read('invoiceNo=A+%E4'), { kind: 'unreadable' });
    assert.deepEqual(rawInvoiceNumber('/pay?shortCode=x'), { kind: 'absent' });
  });

  it('a raw "#" sent anyway ends the query, as for the parser: the number is what comes before it', () => {
    assert.deepEqual(read(`invoiceNo=X#%00${'A'.repeat(16_000)}`), { kind: 'read', invoiceNumber: 'X' });
    assert.deepEqual(read('invoiceNo=X+1#+&evil=1'), { kind: 'read', invoiceNumber: 'X 1', plusReading: 'X+1' });
    assert.deepEqual(rawInvoiceNumber('/pay#?invoiceNo=X'), { kind: 'absent' });
  });

  it("every reading passes the parser's rule: trimmed, 1 to 255 characters, no control or unstorable characters", () => {
    assert.deepEqual(read('invoiceNo=+INV-1+'), { kind: 'read', invoiceNumber: 'INV-1', plusReading: '+INV-1+' });
    assert.deepEqual(read(`invoiceNo=${'A'.repeat(255)}`), { kind: 'read', invoiceNumber: 'A'.repeat(255) });
    for (const bad of ['%00', 'A%00B', 'A%09B', 'A%7FB', 'A%0AB', '%20%20', '+', 'A'.repeat(256), `A+${'B'.repeat(254)}`]) {
      const got = read(`invoiceNo=${bad}`);
      assert.equal(got.kind, 'invalid', `${bad.slice(0, 20)} → ${JSON.stringify(got).slice(0, 80)}`);
    }
  });
});
