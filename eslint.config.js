// Lint: correctness rules of typescript-eslint, no import cycles, files small enough to read in one
// sitting. Formatting is prettier's job (npm run format); eslint-config-prettier turns off the rules
// that would fight it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import prettier from 'eslint-config-prettier';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const SIM_NAMES = '/^(sims?|xero|xendit|xeroSim|xenditSim|simulators?)$/i';
const SIM_STATE_FIELDS = '/^(orgs|requests|tokenRequests|accessTokens|refreshTokens|appUsage|oauth|accounts|invoices|callbacks)$/';
export const SIM_STATE_MESSAGE = "Tests use the simulator's test API (sim.test, app/simulators/*/test-api.ts), not its state.";
export const SIM_STATE_SELECTORS = [
  // sim.state, xero.state, xendit['state']
  `MemberExpression[object.type='Identifier'][object.name=${SIM_NAMES}][property.name='state']`,
  `MemberExpression[object.type='Identifier'][object.name=${SIM_NAMES}][property.value='state']`,
  // h.sims.xero.state, s.sim.state, run.demo.simulators.xero.state
  `MemberExpression[object.type='MemberExpression'][object.property.name=${SIM_NAMES}][property.name='state']`,
  `MemberExpression[object.type='MemberExpression'][object.property.name=${SIM_NAMES}][property.value='state']`,
  // anything.state.orgs / .state.requests / ... whatever the simulator is called
  `MemberExpression[object.type='MemberExpression'][object.property.name='state'][property.name=${SIM_STATE_FIELDS}]`,
  // const { state } = sim / h.sims.xero
  `VariableDeclarator[init.name=${SIM_NAMES}] > ObjectPattern > Property[key.name='state']`,
  `VariableDeclarator[init.property.name=${SIM_NAMES}] > ObjectPattern > Property[key.name='state']`,
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    // The mocha settings file is CommonJS (mocha loads .mocharc.cjs with require).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    // Imports name the .js files tsc and esbuild emit; the resolver maps them back to the .ts sources.
    // no-cycle follows an import only into files it can parse: .ts with the TypeScript parser.
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
    },
    rules: {
      'import-x/no-cycle': 'error',
      // Every line counts, comments and blank ones too: the guideline is a file a reader takes in at once.
      'max-lines': ['error', { max: 400, skipBlankLines: false, skipComments: false }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    files: ['public/**/*.js'],
    languageOptions: { globals: { document: 'readonly', navigator: 'readonly', window: 'readonly', setTimeout: 'readonly' } },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    ignores: ['test/helpers/**'],
    rules: { 'max-lines': 'off' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // Tests see the simulators through `sim.test` (app/simulators/*/test-api.ts), never their state;
    // test/unit/sim-state-rule.test.ts checks that these selectors still catch it.
    files: ['test/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...SIM_STATE_SELECTORS.map((selector) => ({ selector, message: SIM_STATE_MESSAGE }))] },
  },
);
