// Type-aware ESLint for the whole workspace. Pure packages (selector, model, syncproto codecs, the
// agent's calc/) may not import I/O modules: no-restricted-imports enforces the boundary.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const ioModules = [
  'node:fs',
  'node:fs/promises',
  'fs',
  'fs/promises',
  'node:net',
  'net',
  'node:http',
  'http',
  'node:https',
  'https',
  'node:child_process',
  'child_process',
  'node:dgram',
  'node:tls',
  'tls',
  'ws',
  'etcd3',
  '@kubernetes/client-node',
  'netlink',
  'prom-client',
  'node:timers',
  'node:timers/promises',
  '@cattail/datastore',
  '@cattail/cache',
]

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'eslint.config.js', 'docker/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's describe/it return promises the runner tracks itself
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  {
    files: [
      'packages/selector/src/**/*.ts',
      'packages/model/src/**/*.ts',
      'packages/syncproto/src/codec/**/*.ts',
      'packages/syncproto/src/messages/**/*.ts',
      'packages/agent/src/calc/**/*.ts',
      'packages/federation/src/calc/**/*.ts',
      'packages/kubeconfig/src/check.ts',
    ],
    ignores: ['**/*.test.ts', '**/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: ioModules.map((name) => ({ name, message: 'pure code: no I/O here' })) },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'pure code: inject a clock' },
        { name: 'setInterval', message: 'pure code: inject a clock' },
        { name: 'fetch', message: 'pure code: no I/O' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'pure code: inject a clock' },
      ],
    },
  },
  {
    // The agent's calc keeps no module-level mutable state: caches live in objects their owner
    // creates (VxlanCalc & co.). Module-level `let`, weak maps and empty maps/sets are caches.
    files: ['packages/agent/src/calc/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...[
          'VariableDeclaration[kind="let"]',
          'VariableDeclaration > VariableDeclarator > NewExpression[callee.name=/^Weak(Map|Set|Ref)$/]',
          'VariableDeclaration > VariableDeclarator > NewExpression[callee.name=/^(Map|Set)$/][arguments.length=0]',
        ].map((decl) => ({
          selector: `:matches(Program, ExportNamedDeclaration) > ${decl}`,
          message: 'pure code: no module-level state (keep caches in an object the owner creates)',
        })),
      ],
    },
  },
  {
    files: ['**/*.test.ts', '**/testing/**/*.ts', 'scripts/**/*.ts', 'e2e/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  }
)
