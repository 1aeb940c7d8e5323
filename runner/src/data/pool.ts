/**
 * Bounded-concurrency map. sharp decodes on libuv's thread pool, so a handful of promises in flight
 * keeps every core busy without queueing hundreds of decoded buffers in memory; each await yields
 * to the event loop, so it never blocks for long. (Ten lines; not worth a dependency.)
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  onDone?: (done: number, total: number) => void,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
      onDone?.(++done, items.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** Default parallelism for decoding: libuv's pool size (4 unless UV_THREADPOOL_SIZE says otherwise). */
export function decodeConcurrency(): number {
  const uv = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isFinite(uv) && uv > 0 ? uv : 4;
}
