/**
 * A Bloom filter over string keys: "certainly absent" or "maybe present". The LSM store keeps
 * one per segment, so that a read skips the segments that cannot hold its id instead of
 * searching each of them on disk.
 *
 * With BITS_PER_KEY bits per key and the best number of hash functions for it (k = 7), about
 * 1% of absent keys answer "maybe". Positions come from two FNV-1a hashes combined as
 * h1 + i * h2 (Kirsch and Mitzenmacher), which is as good as k independent hashes.
 */
export const BITS_PER_KEY = 10;
const HASHES = 7;

function fnv1a(key: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class BloomFilter {
  readonly bits: Uint8Array;
  private readonly size: number;

  private constructor(bits: Uint8Array) {
    if (bits.length === 0) throw new Error("BloomFilter: empty bit array");
    this.bits = bits;
    this.size = bits.length * 8;
  }

  /** A filter sized for `keys` keys. */
  static forKeys(keys: number): BloomFilter {
    return new BloomFilter(new Uint8Array(Math.max(8, Math.ceil((keys * BITS_PER_KEY) / 8))));
  }

  /** A filter read back from the bytes of `bits`. */
  static fromBytes(bits: Uint8Array): BloomFilter {
    return new BloomFilter(bits);
  }

  add(key: string): void {
    const h1 = fnv1a(key, 0x811c9dc5);
    const h2 = (fnv1a(key, 0x5bd1e995) | 1) >>> 0;
    for (let i = 0; i < HASHES; i++) {
      const bit = (h1 + i * h2) % this.size;
      this.bits[bit >>> 3] = (this.bits[bit >>> 3] as number) | (1 << (bit & 7));
    }
  }

  mayContain(key: string): boolean {
    const h1 = fnv1a(key, 0x811c9dc5);
    const h2 = (fnv1a(key, 0x5bd1e995) | 1) >>> 0;
    for (let i = 0; i < HASHES; i++) {
      const bit = (h1 + i * h2) % this.size;
      if (((this.bits[bit >>> 3] as number) & (1 << (bit & 7))) === 0) return false;
    }
    return true;
  }
}
