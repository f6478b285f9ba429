import { DataSource } from 'typeorm';
import { createSuiteDatabase, dropDatabase } from '../../test/support/db';
import { dataSourceOptions } from '../database/data-source';
import { OutboxRepository } from './outbox.repository';

describe('OutboxRepository (Postgres)', () => {
  let db: { name: string; url: string };
  let ds: DataSource;
  let outbox: OutboxRepository;

  beforeAll(async () => {
    db = await createSuiteDatabase();
    ds = await new DataSource(dataSourceOptions(db.url)).initialize();
    outbox = new OutboxRepository(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await dropDatabase(db.name);
  });

  it('two relays claiming at once never get the same row, and a dispatched row is not claimed again', async () => {
    await ds.transaction((m) =>
      outbox.insert(
        m,
        Array.from({ length: 30 }, (_, i) => ({ queue: 'delivery', name: 'deadline-sweep', data: { i } })),
      ),
    );
    expect(await outbox.pendingCount()).toBe(30);
    // Two transactions hold their claims at the same time: SKIP LOCKED hands each other rows.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let first: string[] = [];
    const relayA = ds.transaction(async (m) => {
      first = (await outbox.claim(m, 20)).map((r) => r.id);
      await held;
      await outbox.markDispatched(m, first);
    });
    while (first.length === 0) await new Promise((r) => setTimeout(r, 10));
    const second = await ds.transaction(async (m) => {
      const ids = (await outbox.claim(m, 20)).map((r) => r.id);
      await outbox.markDispatched(m, ids);
      return ids;
    });
    release();
    await relayA;
    expect(first).toHaveLength(20);
    expect(second).toHaveLength(10);
    expect(first.filter((id) => second.includes(id))).toEqual([]);
    expect(await outbox.pendingCount()).toBe(0);
    expect(await ds.transaction((m) => outbox.claim(m, 20))).toEqual([]);
  });

  it('a claim rolled back (Redis did not take the jobs) leaves the rows for the next relay', async () => {
    await ds.transaction((m) => outbox.insert(m, [{ queue: 'payments', name: 'reconcile-payments', data: {} }]));
    await expect(
      ds.transaction(async (m) => {
        expect(await outbox.claim(m, 10)).toHaveLength(1);
        throw new Error('Redis did not accept the jobs in time');
      }),
    ).rejects.toThrow(/Redis/);
    expect(await outbox.pendingCount()).toBe(1);
  });
});
