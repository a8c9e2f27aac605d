import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The rooms of src/ and whom each may import (README "Layout"): cli -> workflows ->
 * platform/core/reports; sandbox -> platform/db and core; core -> nothing of ours. cli/
 * still opens instances (platform/instance) and reads their addresses, but no SQL or call.
 * An import names a room by a path segment (`../platform/db.js`), so a regex per room.
 */
const ROOMS = ['cli', 'config', 'core', 'platform', 'reports', 'sandbox', 'workflows'];
const room = (name) => `(^|/)${name}/`;

function roomRule(self, allowed, extra = []) {
  const forbidden = ROOMS.filter((r) => r !== self && !allowed.includes(r));
  return {
    '@typescript-eslint/no-restricted-imports': ['error', {
      patterns: [
        ...forbidden.map((r) => ({ regex: room(r), message: `${self}/ does not import ${r}/ (layering: README "Layout").` })),
        ...extra,
      ],
    }],
  };
}

const envOnlyInCliAndConfig = {
  'no-restricted-properties': ['error',
    { object: 'process', property: 'exit', message: 'Only cli/ exits the process.' },
    { object: 'process', property: 'argv', message: 'Only cli/ reads argv.' },
    { object: 'process', property: 'env', message: 'Only cli/ and config/ read the environment: pass values in as options.' }],
};

export default tseslint.config(
  { ignores: ['dist/', 'dist-check/', 'node_modules/', 'testResults/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/sandbox/**'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/config/**'],
    rules: envOnlyInCliAndConfig,
  },
  {
    files: ['src/config/**/*.ts'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'process', property: 'exit', message: 'Only cli/ exits the process.' },
        { object: 'process', property: 'argv', message: 'Only cli/ reads argv.' }],
    },
  },
  { files: ['src/core/**/*.ts'], rules: roomRule('core', []) },
  {
    files: ['src/config/**/*.ts'],
    rules: roomRule('config', ['core', 'platform'], [{ regex: room('platform'), allowTypeImports: true, message: 'config/ resolves into platform/ types and imports nothing else of it.' }]),
  },
  { files: ['src/platform/**/*.ts'], rules: roomRule('platform', ['core']) },
  {
    files: ['src/reports/**/*.ts'],
    rules: roomRule('reports', ['core', 'platform'], [{ regex: room('platform'), allowTypeImports: true, message: 'reports/ are pure writers: only types from platform/.' }]),
  },
  {
    files: ['src/sandbox/**/*.ts'],
    rules: roomRule('sandbox', ['core', 'platform'], [{ regex: `${room('platform')}(?!db\\.js$)`, message: 'sandbox/ uses platform/db only: it is the platform, not a client of it.' }]),
  },
  { files: ['src/workflows/**/*.ts'], rules: roomRule('workflows', ['core', 'platform', 'reports']) },
  {
    files: ['src/cli/**/*.ts'],
    rules: roomRule('cli', ['workflows', 'config', 'core', 'platform', 'reports', 'sandbox'], [
      { regex: `${room('platform')}(queries|api|http|body|multipart|session|undici)\\.js$`, message: 'cli/ runs no SQL and makes no platform calls: a workflow does.' },
    ]),
  },
);
