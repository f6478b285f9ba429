import { setTimeout as sleep } from 'node:timers/promises';
import { createTestApp, TestApp } from './support/app';
import { waitFor } from './support/factories';

/**
 * The relay wakes on NOTIFY but waits OUTBOX_GATHER_MS first, so rows committed one after another in that window go
 * out in one claim (one transaction: the same dispatched_at), not one claim per commit. The fallback poll is pushed
 * out of the way so that only the notifications wake it.
 */
describe('outbox relay: commits of one moment share a claim', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { OUTBOX_GATHER_MS: '1500', OUTBOX_POLL_MS: '600000' } });
  });
  afterAll(() => t.close());

  it('five rows committed 100 ms apart are handed to BullMQ in one transaction', async () => {
    // The relay's first pass at start-up is over (it would take the first row at once).
    await t.drain();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      // Each INSERT is its own transaction, with its own NOTIFY.
      const [row] = await t.db.query<{ id: string }[]>(
        `INSERT INTO outbox (queue, job_name, payload) VALUES ('delivery', 'deadline-sweep', $1) RETURNING id`,
        [{ gather: i }],
      );
      ids.push(row.id);
      await sleep(100);
    }
    const rows = await waitFor(async () => {
      const r = await t.db.query<{ dispatched_at: Date | null }[]>(
        `SELECT dispatched_at FROM outbox WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      return r.every((x) => x.dispatched_at) ? r : undefined;
    }, 'the five rows handed over');
    expect(new Set(rows.map((r) => r.dispatched_at!.toISOString())).size).toBe(1);
  });
});
