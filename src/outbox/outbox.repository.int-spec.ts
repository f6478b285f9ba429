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

  it('the reconciler claims rows handed over a while ago and not done; done, given-up and recent rows are left', async () => {
    await ds.query(`UPDATE outbox SET done_at = now() WHERE done_at IS NULL`);
    await ds.transaction((m) =>
      outbox.insert(
        m,
        Array.from({ length: 5 }, (_, i) => ({ queue: 'delivery', name: 'deadline-sweep', data: { reconcile: i } })),
      ),
    );
    const ids: string[] = (
      await ds.query(`SELECT id FROM outbox WHERE payload ? 'reconcile' ORDER BY payload->>'reconcile'`)
    ).map((r: { id: string }) => r.id);
    await ds.transaction((m) => outbox.markDispatched(m, ids));
    // 0 and 1 were handed over a minute ago; 2 too, but finished; 3 too, but given up; 4 just now.
    await ds.query(`UPDATE outbox SET dispatched_at = now() - interval '1 minute' WHERE id = ANY($1::uuid[])`, [
      ids.slice(0, 4),
    ]);
    await outbox.markDone(ids[2]);
    await outbox.markGivenUp(ids[3], 'dossier not found');
    expect(await outbox.unfinishedCount()).toBe(3);

    // Two reconcilers at once split the rows (SKIP LOCKED).
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let first: string[] = [];
    const a = ds.transaction(async (m) => {
      first = (await outbox.claimUnfinished(m, 30_000, 1)).map((r) => r.id);
      await held;
    });
    while (first.length === 0) await new Promise((r) => setTimeout(r, 10));
    const second = await ds.transaction(async (m) => (await outbox.claimUnfinished(m, 30_000, 10)).map((r) => r.id));
    release();
    await a;
    expect([...first, ...second].sort()).toEqual(ids.slice(0, 2).sort());
    expect(first.filter((id) => second.includes(id))).toEqual([]);

    // Done after all (an operator retried the given-up job): its error is cleared.
    await outbox.markDone(ids[3]);
    const [row] = await ds.query(`SELECT done_at, last_error FROM outbox WHERE id = $1`, [ids[3]]);
    expect(row.last_error).toBeNull();
    expect(row.done_at).toBeInstanceOf(Date);
    // Still queued: the wait starts again, nothing re-added (attempts unchanged).
    await ds.transaction((m) => outbox.markStillQueued(m, [ids[0]]));
    expect(await ds.transaction((m) => outbox.claimUnfinished(m, 30_000, 10))).toEqual([
      expect.objectContaining({ id: ids[1] }),
    ]);
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
