// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Imports point inward: the core, the commands and the cards never know which platform is talking.
    files: ['src/core/**/*.ts', 'commands/**/*.ts', 'cards/**/*.ts', 'src/kube/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/platforms/**'], message: 'core, commands, cards and kube must not import platform code (design.md: imports point inward).' }] }],
    },
  },
  {
    // Only src/config/env.ts reads the environment (design.md §4).
    files: ['src/**/*.ts', 'commands/**/*.ts', 'cards/**/*.ts'],
    ignores: ['src/config/env.ts', 'src/main.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through src/config/env.ts.' }],
    },
  },
);
