/**
 * Group commit for one kind of statement: calls made while a flush is running wait for it and go together in the
 * next flush, so under load many callers share one round trip and one commit, and alone a caller waits for
 * nothing (the first call flushes at once, after the current tick so calls of the same tick share it; no timer).
 * `flush(items)` answers one result per item, in order. One flush runs at a time, at most `maxBatch` items each.
 * When a flush of several items fails, each item is flushed again alone (side by side), so one bad item fails only
 * its caller.
 */
interface Waiting<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export class Batcher<I, O> {
  private readonly waiting: Waiting<I, O>[] = [];
  private running = false;
  private scheduled = false;

  constructor(
    private readonly flush: (items: I[]) => Promise<O[]>,
    private readonly maxBatch = 500,
  ) {}

  run(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running || this.scheduled || this.waiting.length === 0) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      void this.next();
    });
  }

  private async next(): Promise<void> {
    if (this.running || this.waiting.length === 0) return;
    this.running = true;
    const batch = this.waiting.splice(0, this.maxBatch);
    try {
      await this.settle(batch);
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  private async settle(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const results = await this.flush(batch.map((b) => b.item));
      if (results.length !== batch.length) throw new Error(`batch of ${batch.length} answered ${results.length}`);
      batch.forEach((b, i) => b.resolve(results[i]));
    } catch (e) {
      if (batch.length === 1) return batch[0].reject(e);
      await Promise.all(batch.map((b) => this.settle([b])));
    }
  }
}
