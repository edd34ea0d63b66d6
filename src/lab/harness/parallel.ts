/**
 * Runs `fn` on every item with at most `workers` calls in flight: how the lab reads back
 * thousands of records without opening thousands of connections at once.
 */
export async function forEachInParallel<T>(
  items: readonly T[],
  workers: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: workers }, worker));
}
