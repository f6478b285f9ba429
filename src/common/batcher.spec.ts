import { Batcher } from './batcher';

describe('Batcher', () => {
  const deferred = () => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  };

  it('flushes a lone call at once, and the calls made while a flush runs together in the next one', async () => {
    const flushes: number[][] = [];
    let gate = deferred();
    const b = new Batcher<number, string>(async (items) => {
      flushes.push(items);
      await gate.promise;
      return items.map((i) => `r${i}`);
    });
    const first = b.run(1);
    await new Promise((r) => setImmediate(r));
    expect(flushes).toEqual([[1]]);
    const rest = [b.run(2), b.run(3), b.run(4)];
    await new Promise((r) => setImmediate(r));
    expect(flushes).toEqual([[1]]); // they wait for the running flush
    const g1 = gate;
    gate = deferred();
    g1.resolve();
    expect(await first).toBe('r1');
    await new Promise((r) => setImmediate(r));
    expect(flushes).toEqual([[1], [2, 3, 4]]);
    gate.resolve();
    expect(await Promise.all(rest)).toEqual(['r2', 'r3', 'r4']);
  });

  it('calls of the same tick share one flush, at most maxBatch items each', async () => {
    const flushes: number[][] = [];
    const b = new Batcher<number, number>((items) => {
      flushes.push(items);
      return Promise.resolve(items.map((i) => i * 10));
    }, 2);
    expect(await Promise.all([1, 2, 3, 4, 5].map((i) => b.run(i)))).toEqual([10, 20, 30, 40, 50]);
    expect(flushes).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('a failed flush is retried item by item: only the bad item fails its caller', async () => {
    const flushes: number[][] = [];
    const b = new Batcher<number, number>((items) => {
      flushes.push(items);
      return items.includes(2) ? Promise.reject(new Error('bad item 2')) : Promise.resolve(items);
    });
    const results = await Promise.allSettled([1, 2, 3].map((i) => b.run(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('bad item 2');
    expect(flushes).toEqual([[1, 2, 3], [1], [2], [3]]);
  });

  it('a flush answering the wrong number of results fails its callers rather than mixing them up', async () => {
    const b = new Batcher<number, number>(() => Promise.resolve([]));
    await expect(b.run(1)).rejects.toThrow(/answered 0/);
  });
});
