// One helper for loading in bounded pieces: an engine's build, a table's import.

/** `items` in arrays of `size`, the last one shorter. */
export function* inBatches<T>(items: Iterable<T>, size: number): Generator<T[]> {
  if (!(size >= 1)) throw new RangeError(`a batch must hold at least one item, not ${size}`);
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}
