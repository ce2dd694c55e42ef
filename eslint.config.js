// ESLint (flat config) with typescript-eslint's type-checked rules: the faults a reviewer would
// otherwise have to find by eye (floating or misused promises, unused code, `any` leaking into
// the service code). No formatting rules beyond the line length: the code is not reformatted.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // web/dist is the built front-end (web/build.mjs).
  { ignores: ['node_modules/**', 'public/**', 'certs-dev/**', 'data/**', 'coverage/**', '**/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js', 'bin/*.mjs', 'web/build.mjs'] }, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'max-len': ['error', { code: 160, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true }],
      // The code marks array and record reads that may be absent with `!` for the reader, although
      // tsconfig leaves noUncheckedIndexedAccess off: those assertions are deliberate.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // An async function without await still returns a promise, as its callers expect.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // knex.raw results and Express request bodies are `any` by their libraries' design: the layers
    // that read them (the repositories, the routes, the command line, scripts and benchmarks) type
    // them where they are used; the services and src/pki keep the no-unsafe rules.
    files: ['src/db/**', 'src/http/**', 'src/cli/**', 'scripts/**', 'bench/**', 'bin/**', 'web/build.mjs'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Tests read response bodies (supertest: any) field by field; type checks there cost more than they find.
    files: ['tests/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  // The `npx kyso` launcher and the web build run under Node.
  { files: ['bin/**', 'web/build.mjs'], languageOptions: { globals: globals.node } },
  // The web application runs in the browser; the project service types it with web/tsconfig.json (DOM, Preact JSX).
  {
    files: ['web/src/**'],
    languageOptions: { globals: globals.browser },
    rules: {
      // Preact ignores what an event handler returns, so an async handler is fine as long as it
      // handles its own rejections (the screens' useAction does); promises passed anywhere else stay checked.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },
  // Frozen migrations hold generated SQL as literals, line for line.
  { files: ['migrations/**'], rules: { 'max-len': 'off' } },
);
