/**
 * Micro-batching for the predict server: concurrent requests' tiles are gathered into one
 * inference call of up to `maxBatch` tiles, waiting at most `maxWaitMs` for a batch to fill.
 * One batch runs at a time (tfjs and ORT already use every core for one call). The queue is
 * bounded: past `maxQueue` waiting tiles `submit` rejects with {@link QueueFullError} at once, so
 * a flood costs a 503 instead of unbounded memory.
 */

/** The server is at capacity; the client should retry later. */
export class QueueFullError extends Error {
  constructor(readonly limit: number) {
    super(`the server is busy: ${limit} images are already waiting; retry later`);
    this.name = "QueueFullError";
  }
}

/** Batching limits. */
export interface BatchOptions {
  /** @default 16 */
  maxBatch?: number;
  /** @default 5 */
  maxWaitMs?: number;
  /** @default 256 */
  maxQueue?: number;
}

/** When one tile waited and ran. */
export interface BatchTiming {
  queue_ms: number;
  infer_ms: number;
  batch_size: number;
}

interface Pending<I, O> {
  input: I;
  queued: number;
  resolve: (v: { output: O; timing: BatchTiming }) => void;
  reject: (e: unknown) => void;
}

/** Gathers single items into batched calls of `run`. */
export class Batcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  readonly maxQueue: number;

  constructor(
    private readonly run: (inputs: I[]) => Promise<O[]>,
    opts: BatchOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 16;
    this.maxWaitMs = opts.maxWaitMs ?? 5;
    this.maxQueue = opts.maxQueue ?? 256;
  }

  /** Items waiting (not yet in a running batch). */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Queues several items at once, all or none: a request's images either all fit in the queue
   * or the request is refused whole.
   */
  submitAll(inputs: I[]): Promise<{ output: O; timing: BatchTiming }>[] {
    if (this.queue.length + inputs.length > this.maxQueue) throw new QueueFullError(this.maxQueue);
    const out = inputs.map(
      (input) =>
        new Promise<{ output: O; timing: BatchTiming }>((resolve, reject) =>
          this.queue.push({ input, queued: performance.now(), resolve, reject }),
        ),
    );
    this.schedule();
    return out;
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    if (this.queue.length >= this.maxBatch) {
      this.clearTimer();
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, this.maxWaitMs);
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async flush(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch = this.queue.splice(0, this.maxBatch);
    const started = performance.now();
    try {
      const outputs = await this.run(batch.map((p) => p.input));
      const infer_ms = performance.now() - started;
      batch.forEach((p, i) =>
        p.resolve({
          output: outputs[i]!,
          timing: { queue_ms: started - p.queued, infer_ms, batch_size: batch.length },
        }),
      );
    } catch (error) {
      // One failed batch fails its own requests only; the server keeps serving.
      for (const p of batch) p.reject(error);
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
