import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SIM = join(import.meta.dirname, '../../app/simulators/xendit');

describe('the simulated Xendit decides refunds by its own table', () => {
  it("imports none of the gateway's refund table, so the two can disagree as Xendit and the gateway can", () => {
    const using = readdirSync(SIM).filter((f) => f.endsWith('.ts') && /from '[^']*clients\/xendit\/refund-support/.test(readFileSync(join(SIM, f), 'utf8')));
    assert.deepEqual(using, []);
  });
});
