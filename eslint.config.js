// Lint rules: typescript-eslint's recommended set plus the few rules docs/architecture.md leans on.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**', 'results/**', '.scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Never `catch {}` — an empty block hides errors.
      'no-empty': ['error', { allowEmptyCatch: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Use performance.now() or process.hrtime.bigint() for durations; Date is for timestamps only (new Date().toISOString()).' },
      ],
    },
  },
  { files: ['examples/**/*.js', 'test/**/*.js'], languageOptions: { globals: { console: 'readonly', performance: 'readonly' } } },
);
