import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { chooseLang, choosePayLang, PAY_LANGS } from '../../app/i18n/index.js';
import { payLangLinks } from '../../app/lang-switch.js';

describe('the customer pages language', () => {
  it('?lang= wins, then Accept-Language (by weight, q=0 refused), then the currency, then English', () => {
    assert.equal(choosePayLang('TH', 'id', 'IDR'), 'th');
    assert.equal(choosePayLang('xx', 'vi-VN,vi;q=0.9', 'IDR'), 'vi', 'an unknown ?lang= is ignored');
    assert.equal(choosePayLang(undefined, 'fr;q=1, ms;q=0.4, th;q=0.8', undefined), 'th');
    assert.equal(choosePayLang(undefined, 'th;q=0', 'MYR'), 'ms', 'q=0 means "not this one"');
    for (const [currency, lang] of [
      ['IDR', 'id'],
      ['thb', 'th'],
      ['VND', 'vi'],
      ['MYR', 'ms'],
      ['PHP', 'en'],
      ['USD', 'en'],
    ]) {
      assert.equal(choosePayLang(undefined, 'fil-PH,fil;q=0.9', currency), lang, currency);
    }
    assert.equal(choosePayLang(['th'], undefined, ['IDR']), 'en', 'repeated parameters are no hint');
  });

  it('the admin keeps to its own languages', () => {
    assert.equal(chooseLang('th', 'th'), 'en');
    assert.equal(chooseLang(undefined, 'th, id;q=0.5'), 'id');
  });

  it('always picks one of the five, whatever the headers', () => {
    fc.assert(
      fc.property(fc.anything(), fc.option(fc.string()), fc.anything(), (q, accept, currency) =>
        PAY_LANGS.includes(choosePayLang(q, accept ?? undefined, currency)),
      ),
    );
  });

  it('the switch links every language on the same page, never elsewhere', () => {
    const links = payLangLinks('/pay/return?ref=abc&lang=id&tries=3', 'id');
    assert.deepEqual(
      links.map((l) => [l.lang, l.current]),
      PAY_LANGS.map((l) => [l, l === 'id']),
    );
    assert.equal(links.find((l) => l.lang === 'th')!.url, '/pay/return?ref=abc&lang=th&tries=3');
    for (const odd of [
      '//evil.example/x',
      '//[',
      'http://evil.example/',
      '/.//evil.example',
      '/%2e//evil.example',
      '/admin/..//evil.example',
      '/./\\evil.example',
    ]) {
      for (const l of payLangLinks(odd, 'en')) assert.ok(l.url.startsWith('/') && !/^[/\\]{2}/.test(l.url), l.url);
    }
  });
});
