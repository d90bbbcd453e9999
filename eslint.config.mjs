// @ts-check
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.cache/**', 'test/fixtures/**', 'test-results/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The core is shared by the extension and the CLI: it reaches files only through the FileReader it is given.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'vscode', message: 'src/core must not depend on the VS Code API.' },
          { name: 'fs', message: 'src/core reads files only through a FileReader.' },
          { name: 'node:fs', message: 'src/core reads files only through a FileReader.' },
          { name: 'fs/promises', message: 'src/core reads files only through a FileReader.' },
          { name: 'node:fs/promises', message: 'src/core reads files only through a FileReader.' },
        ],
      }],
    },
  },
);
