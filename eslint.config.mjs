// ESLint: typescript-eslint's recommended rules, type-aware, with the rule every Temporal sample
// ships: a promise nobody awaits is a bug (in a workflow, a step that silently never happens).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.flightdeck/', 'bench-results/', 'coverage/'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Unused names are the type checker's job; "_" marks one kept on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // require() appears only inside lazy(), the one way modules load on first use (src/util/lazy.ts;
    // test/unit/layering.test.ts checks it), and in the CommonJS entry points.
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
