// ESLint (flat config): typescript-eslint's recommended-type-checked everywhere, zero warnings (`npm run lint`).
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'vendor/**', 'coverage/**', '.data/**', '**/*.js', '**/*.mjs'] },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Dependencies run one way: the dossier module declares the effect port and the triggers; payments and delivery
    // register with it and may import it, never the other way round.
    files: ['src/applications/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/payments', '**/payments/**', '**/delivery', '**/delivery/**'],
              message: 'The dossier module imports neither payments nor delivery: use the effect port (effects.ts).',
            },
          ],
        },
      ],
    },
  },
  {
    // The workflow core is pure: no framework, no database, nothing outside src/workflow.
    files: ['src/workflow/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@nestjs/*', 'typeorm', 'typeorm/**'], message: 'src/workflow is pure: no Nest, no TypeORM.' },
            { group: ['../*', '../**'], message: 'src/workflow imports only from src/workflow.' },
          ],
        },
      ],
    },
  },
  {
    // Tests and benchmarks read HTTP bodies (supertest's `body` is `any`) and raw rows: asserting on them is the
    // point, so the no-unsafe-* family is off there; everything else applies.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'src/**/*.spec.ts', 'src/**/*.int-spec.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
