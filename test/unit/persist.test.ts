import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { debounced, deserialize, serialize, stateFile } from '../../app/simulators/persist.js';

const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.bigInt(),
    fc.string(),
    // Invalid dates are checked on their own below: Node 20's deepStrictEqual never finds two of them equal.
    fc.date({ noInvalidDate: true }),
    fc.array(tie('value')),
    fc.dictionary(fc.string(), tie('value'), { noNullPrototype: true }),
    fc.dictionary(fc.constantFrom('$map', '$date', '$object', '$x', 'a'), tie('value'), { noNullPrototype: true }),
    fc.array(fc.tuple(tie('value'), tie('value'))).map((e) => new Map(e)),
  ),
}));

describe('simulator state serializer', () => {
  it('round-trips Map, Date, bigint, undefined and odd numbers inside nested objects and arrays', () => {
    fc.assert(
      fc.property(value, (v) => assert.deepStrictEqual(deserialize(serialize(v)), v)),
      { numRuns: 300 },
    );
    const invalid = deserialize(serialize({ at: new Date(NaN) })) as { at: Date };
    assert.ok(invalid.at instanceof Date && Number.isNaN(invalid.at.getTime()), 'an invalid date stays an invalid date');
  });

  it('keeps the previous file until the new one is complete (temp + rename)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-persist-'));
    try {
      const f = stateFile(join(dir, 'demo', 'xero.json'));
      assert.equal(f.load(), undefined, 'no file: nothing saved');
      f.save({ at: new Date(0), m: new Map([['k', 1n]]) });
      assert.deepStrictEqual(f.load(), { at: new Date(0), m: new Map([['k', 1n]]) });
      assert.deepStrictEqual(readdirSync(join(dir, 'demo')), ['xero.json'], 'no temp file left behind');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('debounced writes happen once per burst, on the timer or on flush', () => {
    const timers: (() => void)[] = [];
    let writes = 0;
    const d = debounced(() => void writes++, 100, { set: (fn) => timers.push(fn), clear: () => undefined });
    d.schedule();
    d.schedule();
    assert.equal(timers.length, 1);
    d.flush();
    assert.equal(writes, 1);
    d.flush();
    assert.equal(writes, 1, 'nothing pending');
  });
});
