import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Every module Node ships (fs, string_decoder, timers/promises, …), from Node itself rather than a
// hand list that silently misses some; `node:`-prefixed specifiers are refused by pattern below.
const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'));

// Lint-enforced boundaries (after Signal Desktop): electron only in its glue, no Node in the renderer.
export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'test-results/**', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Only src-main/electron/ and src-preload/ may import electron; the engine must run without it.' }] }],
      'no-restricted-exports': ['error', { restrictDefaultExports: { direct: true, named: true, defaultFrom: true, namedFrom: true, namespaceFrom: true } }],
    },
  },
  {
    files: ['src-main/electron/**/*.ts', 'src-preload/**/*.ts', 'test/e2e/electron-*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}', 'src-main/api/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'electron', message: 'The renderer talks to nothing but the contract.' },
          ...nodeBuiltins.map((m) => ({ name: m, message: 'No Node built-ins in the renderer.' })),
        ],
        patterns: [
          { regex: '^node:', message: 'No Node built-ins in the renderer.' },
          { regex: 'src-main/(?!api/)', message: 'The renderer may import only src-main/api (the contract).' },
        ],
      }],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['*.config.{ts,mts,mjs}', 'eslint.config.mjs'],
    rules: { 'no-restricted-exports': 'off' },
  },
);
