import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createSuiteDatabase, dropDatabase } from '../../test/support/db';
import { Batcher } from '../common/batcher';
import { dataSourceOptions } from '../database/data-source';
import { DossierMessageKey, NotificationsRepository } from './notifications.repository';

/**
 * The exactly-once bookkeeping of messages on real Postgres, batched as the worker batches it: claims of many
 * messages in one statement, outcomes of many in one; a sent message is never claimed again.
 */
describe('NotificationsRepository (Postgres)', () => {
  let dbName: string;
  let ds: DataSource;
  let repo: NotificationsRepository;
  let dossierId: string;
  let citizenId: string;

  beforeAll(async () => {
    const db = await createSuiteDatabase();
    dbName = db.name;
    ds = await new DataSource(dataSourceOptions(db.url, { extra: { max: 6 } })).initialize();
    repo = new NotificationsRepository(ds);
    [{ id: dossierId, applicant_id: citizenId }] = await ds.query(
      `INSERT INTO dossiers (agency_id, procedure_id, procedure_version_id, applicant_id, state)
       SELECT a.id, v.procedure_id, v.id, c.id, 'submitted'
         FROM procedure_versions v, (SELECT id FROM agencies ORDER BY code LIMIT 1) a,
              (SELECT id FROM accounts WHERE role = 'citizen' ORDER BY email LIMIT 1) c
        WHERE v.published_at IS NOT NULL LIMIT 1
       RETURNING id, applicant_id`,
    );
  });

  afterAll(async () => {
    await ds?.destroy();
    if (dbName) await dropDatabase(dbName);
  });

  const key = (sourceId: string, channel: 'email' | 'sms'): DossierMessageKey => ({
    dossierId,
    event: 'submit',
    channel,
    sourceId,
    recipientId: citizenId,
  });
  const rowsOf = (sourceId: string) =>
    ds.query(
      `SELECT channel, status, attempts, provider_message_id AS "providerMessageId", last_error AS "lastError", sent_at IS NOT NULL AS "hasSentAt"
         FROM notifications WHERE source_id = $1 ORDER BY channel`,
      [sourceId],
    );

  it('claims several messages in one statement; a sent one is not claimed again, a failed one is, attempts counted', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const first = await repo.claimDossierMessages([key(a, 'email'), key(a, 'sms'), key(b, 'email')]);
    expect(first.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(first).size).toBe(3);
    await repo.recordOutcomes([
      { id: first[0]!, providerMessageId: '<m1@portal.local>', error: null },
      { id: first[1]!, providerMessageId: null, error: 'SMS gateway answered HTTP 503' },
    ]);
    expect(await rowsOf(a)).toEqual([
      {
        channel: 'email',
        status: 'sent',
        attempts: 1,
        providerMessageId: '<m1@portal.local>',
        lastError: null,
        hasSentAt: true,
      },
      {
        channel: 'sms',
        status: 'failed',
        attempts: 1,
        providerMessageId: null,
        lastError: 'SMS gateway answered HTTP 503',
        hasSentAt: false,
      },
    ]);

    // The job again (a retry, or BullMQ delivering it twice): the email is done, the SMS is claimed again.
    const again = await repo.claimDossierMessages([key(a, 'email'), key(a, 'sms')]);
    expect(again).toEqual([undefined, first[1]]);
    expect((await rowsOf(a))[1]).toMatchObject({ status: 'sending', attempts: 2 });
    // b's email, never recorded (a crash mid-send), is claimed again under the same id: same Message-ID.
    expect(await repo.claimDossierMessages([key(b, 'email')])).toEqual([first[2]]);
  });

  it('a key given twice in one batch gets one row and the same id (no "affect row a second time" error); ids match in any case', async () => {
    const s = randomUUID();
    const [x, y, z] = await repo.claimDossierMessages([
      key(s, 'email'),
      key(s, 'email'),
      { ...key(s.toUpperCase(), 'sms'), dossierId: dossierId.toUpperCase() },
    ]);
    expect(x).toBeDefined();
    expect(y).toBe(x);
    expect(z).toBeDefined();
    expect(await rowsOf(s)).toHaveLength(2);
  });

  it('a failure recorded after a success (another delivery of the same job) leaves the message sent', async () => {
    const s = randomUUID();
    const [id] = await repo.claimDossierMessages([key(s, 'email')]);
    await repo.recordOutcomes([
      { id: id!, providerMessageId: null, error: 'timeout' },
      { id: id!, providerMessageId: '<ok@portal.local>', error: null },
    ]);
    expect((await rowsOf(s))[0]).toMatchObject({ status: 'sent', providerMessageId: '<ok@portal.local>' });
    await repo.recordOutcomes([{ id: id!, providerMessageId: null, error: 'late failure' }]);
    expect((await rowsOf(s))[0]).toMatchObject({ status: 'sent', lastError: null });
  });

  it('through the group commit, concurrent jobs share statements and each gets its own row', async () => {
    const statements: number[] = [];
    const claims = new Batcher<DossierMessageKey, string | undefined>((keys) => {
      statements.push(keys.length);
      return repo.claimDossierMessages(keys);
    });
    const sources = Array.from({ length: 40 }, () => randomUUID());
    const ids = await Promise.all(sources.flatMap((s) => [claims.run(key(s, 'email')), claims.run(key(s, 'sms'))]));
    expect(new Set(ids).size).toBe(80);
    expect(statements.reduce((a, n) => a + n, 0)).toBe(80);
    expect(statements.length).toBeLessThan(80);
    const [{ n }] = await ds.query(
      `SELECT count(*)::int AS n FROM notifications WHERE source_id = ANY($1::uuid[]) AND status = 'sending'`,
      [sources],
    );
    expect(n).toBe(80);
  });
});
