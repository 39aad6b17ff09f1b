// Lint rules that keep the architecture visible (ARCHITECTURE.md): only src/extension talks to VS Code,
// and the page reaches the host only through the message protocol in src/shared.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const outsideShared = ['extension', 'streaming', 'tools', 'history', 'webview'];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', '.vscode-test/**', 'node_modules/**', 'test-output/**', '**/*.vsix'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Tests and fakes reach into untyped JSON and page globals on purpose.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Lazy loading of the openai SDK (createProvider.ts) is a require on purpose.
      '@typescript-eslint/no-require-imports': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/extension/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'vscode', message: 'Only src/extension imports vscode (types included): the core stays testable without an editor.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/webview/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'The webview talks to the host only by messages.' }],
          patterns: [
            {
              regex: `^(\\.\\./)+(${outsideShared.filter((d) => d !== 'webview').join('|')})(/|$)`,
              message: 'The webview imports only src/shared (and its own files): everything else is the host\u2019s.',
            },
            { regex: '^node:', message: 'The webview runs in a browser.' },
          ],
        },
      ],
    },
  },
);
