// Lint: TypeScript and Svelte recommended rules, plus the import boundaries of
// STYLE.md ("Dependency rules"), so the layering can't erode unnoticed.
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = { group: ['node:*'], message: 'This layer must stay free of Node built-ins.' };

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'release/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] }, globals: { ...globals.browser } },
  },
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  // The wire contract imports nothing local outside itself and nothing from Node or the DOM.
  {
    files: ['server/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            nodeBuiltins,
            { group: ['../*', 'ws', 'pg', 'ioredis', 'better-sqlite3', 'pino', 'electron'], message: 'server/protocol may import only zod and itself.' },
          ],
        },
      ],
    },
  },
  // Storage and bus know nothing about commands, sockets or services.
  {
    files: ['server/store/**/*.ts', 'server/bus/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/commands/*', '**/transport/*', '**/services/*', '**/ops/*', '**/core'],
              message: 'store/ and bus/ sit below commands, services, ops and transports.',
            },
          ],
        },
      ],
    },
  },
  // Services never reach up into transports' implementations or commands' handlers.
  {
    files: ['server/services/**/*.ts', 'server/ops/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/transport/tcp', '**/transport/ws', '**/commands/index', '**/commands/dispatcher'],
              message: 'services/ and ops/ must not depend on transports or the command table.',
            },
          ],
        },
      ],
    },
  },
  // The renderer runs in a sandboxed page (and a plain browser): no Electron, no Node, no server internals.
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte'],
    // The Vite config runs in Node at build time, never in the page.
    ignores: ['renderer/vite.config.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer talks to main only through window.chat (the preload bridge).' }],
          patterns: [
            nodeBuiltins,
            // Anything from main/ other than `import type` of the IPC contract.
            { regex: '(^|/)main/(?!ipc/contract$)', message: 'The renderer may only `import type` from main/ipc/contract.' },
            { regex: '(^|/)main/ipc/contract$', allowTypeImports: true, message: 'Only `import type` from main/ipc/contract.' },
            { group: ['**/server/**', '!**/server/protocol', '!**/server/protocol/**'], message: 'The renderer may import only server/protocol.' },
          ],
        },
      ],
    },
  },
  // Main uses the server only through its public entry points.
  {
    files: ['main/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/server/**', '!**/server/protocol', '!**/server/protocol/**', '!**/server/index', '!**/server/cli'],
              message: 'main/ may import server/protocol, server/index (startServer) and server/cli (runCli) only.',
            },
          ],
        },
      ],
    },
  },
);
