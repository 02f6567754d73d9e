import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ESLint } from 'eslint';

// Tests see the simulators through `sim.test` (app/simulators/*/test-api.ts). The lint rule that
// keeps them off `sim.state` is checked here, so that it cannot quietly stop matching; and the
// test files are scanned as text too, in case lint is skipped.

const FORBIDDEN = [
  'sim.state.requests.length',
  'h.sims.xero.state.orgs.get(tenantId)',
  'h.sims.xendit.state.accounts',
  's.xero.state.tokenRequests',
  'run.demo.simulators.xero.state.oauth.grants.size',
  "xendit['state'].callbacks",
  'const { state } = h.sims.xero; void state;',
  'const { state } = sim; void state;',
  'whatever.state.orgs',
];
const ALLOWED = ['job.state', '(await h.stores.jobs.list()).map((j) => j.state)', 'h.sims.xero.test.requests()', "h.sims.xendit.test.account('k')"];

let eslint: ESLint | undefined;
const lintedAsTest = async (code: string) => {
  eslint ??= new ESLint({ cwd: process.cwd() });
  const [result] = await eslint.lintText(`declare const sim: any, h: any, s: any, run: any, xendit: any, whatever: any, job: any;\n${code};\n`, {
    filePath: join(process.cwd(), 'test/unit/example.test.ts'),
  });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-syntax');
};

const SIM_STATE =
  /\b(sims?|xero|xendit|xeroSim|xenditSim|simulators?)\s*(\?\.|\.|\[\s*['"])\s*state\b|\.state\.(orgs|requests|tokenRequests|accessTokens|refreshTokens|appUsage|oauth|accounts|invoices|callbacks)\b/;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('tests keep off the simulators’ state', function () {
  this.timeout(120_000); // the first lint loads typescript-eslint
  it('eslint refuses every way of reaching a simulator’s state from test/', async () => {
    for (const code of FORBIDDEN) assert.ok((await lintedAsTest(code)).length > 0, `not refused: ${code}`);
  });

  it('eslint still allows a job’s state and the test API', async () => {
    for (const code of ALLOWED) assert.deepEqual(await lintedAsTest(code), [], code);
  });

  it('no test file reaches a simulator’s state (a text scan, independent of eslint)', () => {
    const self = relative(process.cwd(), new URL(import.meta.url).pathname);
    const offenders = testFiles('test')
      .filter((f) => f !== self)
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ where: `${f}:${i + 1}`, line }))
          .filter(({ line }) => SIM_STATE.test(line)),
      )
      .map(({ where, line }) => `${where}: ${line.trim()}`);
    assert.deepEqual(offenders, []);
  });
});
