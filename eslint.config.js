// Lint: TypeScript (type-aware) and Svelte recommended rules, the import
// boundaries of every layer (README "Architecture"), and no import cycles, so
// the layering can't erode unnoticed. `npm run lint:eslint` fails on any warning.
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = { group: ['node:*'], message: 'This layer must stay free of Node built-ins.' };
/** Any package but zod (bare specifiers; relative imports start with "."). */
const packagesButZod = { regex: '^(?!zod$)[^.]', message: 'Only zod may be imported from packages here.' };

/**
 * The server's layers, top to bottom: transports → commands → services → store / bus,
 * with connection.ts (what a connection is to the core) below them all, and the
 * protocol, config and log usable by every layer. core.ts, index.ts and cli.ts wire
 * everything together and may import anything. Each entry lists what the folder
 * must NOT import (regexes on the import path).
 */
const up = (names, message) => ({ regex: `(^|/)(${names})(/|$)`, message });
const topLevel = (names, message) => ({ regex: `^(\\.\\./)+(${names})$`, message });
const serverLayers = [
  {
    files: ['server/transport/**/*.ts'],
    patterns: [
      up('commands|services|store|bus|client|terminal', 'Transports reach the core only through the Inbound interface of server/connection.ts.'),
      topLevel('core|index|cli', 'Transports reach the core only through the Inbound interface of server/connection.ts.'),
    ],
  },
  {
    files: ['server/commands/**/*.ts'],
    patterns: [
      up('transport|store|bus|client|terminal', 'Commands change state only through services; they know no transport.'),
      topLevel('core|index|cli', 'Commands sit below the core.'),
    ],
  },
  {
    files: ['server/ops/**/*.ts'],
    patterns: [
      up(
        'commands|transport|client|terminal',
        'ops/ (start-up checks, --users import, backups) works through services and the store, never a transport or a command.',
      ),
      topLevel('core|index|cli', 'ops/ sits below the entry points that call it.'),
    ],
  },
  {
    files: ['server/services/**/*.ts'],
    patterns: [
      up('commands|transport|ops|client|terminal', 'Services know nothing about commands, transports or ops.'),
      topLevel('core|index|cli', 'Services sit below the core.'),
    ],
  },
  {
    files: ['server/store/**/*.ts'],
    patterns: [
      up('commands|transport|services|ops|bus|client|terminal', 'The store knows nothing about commands, sockets, services or the bus.'),
      topLevel('core|index|cli|connection', 'The store sits at the bottom.'),
      {
        regex: '^(\\.\\./)+protocol(/index)?$',
        allowTypeImports: true,
        message:
          'Import protocol values from their own module (../protocol/errors): the SQLite writer thread bundles the store, and the index would load zod into it.',
      },
    ],
  },
  {
    files: ['server/bus/**/*.ts'],
    patterns: [
      up('commands|transport|services|ops|store|client|terminal', 'The bus knows nothing about commands, sockets, services or the store.'),
      topLevel('core|index|cli|connection', 'The bus sits at the bottom.'),
    ],
  },
  {
    files: ['server/connection.ts', 'server/config.ts', 'server/log.ts', 'server/metrics.ts'],
    patterns: [
      up(
        'commands|transport|services|store|bus|client|terminal',
        'connection.ts, config.ts, log.ts and metrics.ts sit below every layer: they may import only the protocol.',
      ),
      { regex: '^\\./(core|index|cli|connection|config|log|metrics)$', message: 'These bottom modules do not import each other or the top level.' },
    ],
  },
];

export default tseslint.config(
  {
    ignores: ['dist/**', 'out/**', 'release/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.cache/**', 'tests/toolchain-fixtures/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: {
      globals: { ...globals.node },
      // The Vite config is outside the renderer's tsconfig (it runs in Node): the default project covers it.
      parserOptions: { projectService: { allowDefaultProject: ['renderer/vite.config.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      // Parse TypeScript modules to follow their imports; resolve extensionless relative paths to .ts files.
      'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs', '.svelte'] })],
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      // An upward import anywhere closes a loop; every cycle fails lint, type-only imports included.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // Handlers and store methods are async by contract (they return promises) even when a body needs no await.
      '@typescript-eslint/require-await': 'off',
      // ws hands text frames over as Buffers; RawData's ArrayBuffer member only occurs with a binaryType we never set.
      '@typescript-eslint/no-base-to-string': ['error', { ignoredTypeNames: ['Error', 'RegExp', 'URL', 'URLSearchParams', 'ArrayBuffer'] }],
    },
  },
  // Plain JavaScript (build scripts, this file) is outside every tsconfig: no type information.
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  // Svelte components are type-checked by svelte-check; ESLint lints them without type information.
  {
    files: ['**/*.svelte'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.svelte'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'], projectService: false }, globals: { ...globals.browser } },
  },
  // Rune modules (*.svelte.ts) are TypeScript read by the Svelte parser, with type information.
  {
    files: ['**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] }, globals: { ...globals.browser } },
  },
  // Tests: vitest's asymmetric matchers (expect.any, expect.objectContaining) are typed `any` by design.
  {
    files: ['tests/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off', '@typescript-eslint/no-unsafe-argument': 'off' },
  },
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  // The wire contract imports only zod and itself: no Node, no DOM, nothing else local.
  {
    files: ['server/protocol/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [nodeBuiltins, packagesButZod, { regex: '^\\.\\./', message: 'server/protocol may import only zod and itself.' }] },
      ],
    },
  },
  {
    files: ['server/protocol/commands/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [nodeBuiltins, packagesButZod, { regex: '^\\.\\./\\.\\./', message: 'server/protocol may import only zod and itself.' }] },
      ],
    },
  },
  // The client library runs in browsers, Electron and terminals: it imports only the protocol (the host injects the socket).
  {
    files: ['server/client/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            nodeBuiltins,
            { regex: '^[^.]', message: 'server/client imports no packages; the host injects the socket.' },
            { regex: '^\\.\\./(?!protocol$)', message: 'server/client may import only server/protocol and itself.' },
            { regex: '^\\./node(/|$)', message: 'The browser-safe library never imports its Node part (server/client/node).' },
          ],
        },
      ],
    },
  },
  // The library's Node part (ws socket, keychain, remember-me files) may use Node, ws, keytar and zod; never the browser-safe core's hosts.
  {
    files: ['server/client/node/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(?!node:|ws$|keytar$|zod$)[^.]', message: 'server/client/node imports only Node built-ins, ws, keytar and zod from packages.' },
            { regex: '^\\.\\./\\.\\./(?!protocol$)', message: 'server/client/node may import only server/protocol and the client library.' },
          ],
        },
      ],
    },
  },
  // The terminal client is a client like the others: it reaches the server only through the client library and the protocol.
  {
    files: ['server/terminal/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(?!(protocol|client|client/node)$)',
              message: 'server/terminal may import only server/protocol, server/client and server/client/node.',
            },
          ],
        },
      ],
    },
  },
  ...serverLayers.map(({ files, patterns }) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } })),
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
            { regex: '(^|/)server/(?!(protocol|client)(/|$))', message: 'The renderer may import only server/protocol and server/client.' },
            { regex: '(^|/)server/client/node(/|$)', message: 'server/client/node is for Node programs; the page uses server/client.' },
          ],
        },
      ],
    },
  },
  // Main uses the server only through its public entry points, the protocol and the client library.
  {
    files: ['main/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)server/(?!(protocol|client)(/|$)|index$|cli$|terminal/index$)',
              message:
                'main/ may import server/protocol, server/client, server/index (startServer), server/cli (runCli) and server/terminal/index (runTerminalClient) only.',
            },
          ],
        },
      ],
    },
  },
);
