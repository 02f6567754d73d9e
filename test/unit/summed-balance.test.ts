import { strict as assert } from 'node:assert';
import { summedBalance } from '../../app/report/summed-balance.js';
import type { XeroAccountPayment, XeroBankTransaction } from '../../app/clients/xero/types.js';

/** A foreign-currency bank account's balance, added up from what Xero lists on it. */
describe('summedBalance', () => {
  const pay = (paymentType: string, bankAmount: string | undefined, date = '2026-12-01'): XeroAccountPayment => ({
    paymentId: `${paymentType}-${bankAmount}-${date}`,
    paymentType,
    reference: '',
    amount: bankAmount ?? '1.00',
    status: 'AUTHORISED',
    date,
    ...(bankAmount === undefined ? {} : { bankAmount }),
  });
  const txn = (type: string, total: string, currencyCode = 'PHP', date = '2026-12-01'): XeroBankTransaction => ({
    bankTransactionId: `${type}-${total}-${date}`,
    type,
    bankAccountId: 'acc',
    reference: '',
    currencyCode,
    total,
    status: 'AUTHORISED',
    lineItems: [],
    date,
  });
  const sum = (payments: XeroAccountPayment[], transactions: XeroBankTransaction[], asOf = '2026-12-06') =>
    summedBalance({ payments, transactions, currency: 'PHP', asOf });

  it('adds money in and takes money out by payment type and bank transaction type', () => {
    const payments = [pay('ACCRECPAYMENT', '2450.50'), pay('ARCREDITPAYMENT', '500.00'), pay('AROVERPAYMENTPAYMENT', '10.25'), pay('APCREDITPAYMENT', '1.00')];
    const transactions = [
      txn('SPEND', '71.07'),
      txn('SPEND-TRANSFER', '1000.00'),
      txn('RECEIVE-TRANSFER', '200.00'),
      txn('RECEIVE', '3.50'),
      txn('RECEIVE-OVERPAYMENT', '10.25'),
    ];
    assert.equal(sum(payments, transactions), '1083.93');
  });

  it('counts BankAmount (the bank account currency), not Amount', () => {
    const p = { ...pay('ACCRECPAYMENT', '49.00'), amount: '150000.00' };
    assert.equal(sum([p], []), '49.00');
  });

  it('leaves out entries dated after the day asked for, and may be negative', () => {
    assert.equal(sum([pay('ACCRECPAYMENT', '5.00', '2026-12-07')], [txn('SPEND', '2.00')]), '-2.00');
  });

  it('is unknown when any entry cannot be counted in the account currency', () => {
    assert.equal(sum([pay('ACCRECPAYMENT', undefined)], []), null, 'no BankAmount');
    assert.equal(sum([pay('SOMENEWTYPE', '1.00')], []), null, 'a payment type it does not know');
    assert.equal(sum([], [txn('SPEND', '1.00', 'IDR')]), null, 'a transaction in another currency');
    assert.equal(sum([], [txn('SPEND', '1.005')]), null, 'more than two decimals');
    assert.equal(sum([{ ...pay('ACCRECPAYMENT', '1.00'), date: undefined }], []), null, 'no date');
  });
});
