/**
 * Two projects: pure unit tests beside the code, e2e tests over HTTP on real
 * Postgres and Redis. The global setup makes a migrated, seeded template
 * database per run; each e2e suite copies it.
 */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];
// ESM-only dependencies (loaded natively by Node >= 20.19 at run time) are compiled to CommonJS for Jest.
const esmJs = ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', isolatedModules: true } }];
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  // @fastify/cookie loads `cookie` with a dynamic import(), which Jest runs only once compiled to require().
  // otplib's default plugins load @noble/hashes and @scure/base, ESM only.
  transform: {
    '^.+\\.tsx?$': tsJest,
    'node_modules/(content-disposition|@fastify/cookie|cookie|@noble/hashes|@scure/base)/.+\\.js$': esmJs,
  },
  transformIgnorePatterns: [
    '/node_modules/(?!(content-disposition|@fastify/cookie|cookie|@noble/hashes|@scure/base|@otplib/[^/]+/node_modules/(@noble/hashes|@scure/base))/)',
  ],
};

module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  maxWorkers: 2,
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    // Repositories and services on real Postgres (and Redis), without HTTP: the queries that carry invariants.
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/src/**/*.int-spec.ts', '<rootDir>/test/**/*.int-spec.ts'],
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
