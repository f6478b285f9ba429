import { randomBytes } from 'node:crypto';
import { runMigrations } from '../../src/database/migrate';
import { seedDemo } from '../../src/database/seed';
import { sparticuzChromium } from '../web/browser';
import { databaseUrl, DB_PREFIX, dropDatabase, withAdmin } from './db';

import { DEMO_PASSWORD } from './factories';

/**
 * Once per run: a template database, migrated and seeded with the demo data,
 * that every suite copies. Databases left by runs older than six hours
 * (killed runs) are dropped too.
 */
export default async function globalSetup(): Promise<void> {
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  process.env.TEST_RUN_ID = runId;
  const template = `${DB_PREFIX}${runId}_tpl`;
  await withAdmin(async (c) => {
    const { rows } = await c.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${DB_PREFIX}%`]);
    for (const { datname } of rows) {
      const started = parseInt(String(datname).slice(DB_PREFIX.length, DB_PREFIX.length + 8), 36);
      if (Number.isFinite(started) && Date.now() - started > 6 * 3600_000)
        await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    await c.query(`CREATE DATABASE "${template}"`);
  });
  try {
    await runMigrations(databaseUrl(template));
    await seedDemo(databaseUrl(template), DEMO_PASSWORD);
  } catch (e) {
    await dropDatabase(template);
    throw e;
  }
  process.env.TEST_TEMPLATE_DB = template;
  // The browser inside @sparticuz/chromium, unpacked once here rather than by suites racing each other.
  if (!process.env.CHROMIUM_PATH) process.env.SPARTICUZ_CHROMIUM = JSON.stringify(await sparticuzChromium());
}
