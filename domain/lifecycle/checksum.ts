import { createHash } from 'node:crypto';

/**
 * An order-independent checksum over a set of DynamoDB items: the sum, modulo 2^64, of the first
 * 8 bytes of SHA-256 of each item's canonical JSON (attribute names sorted at every level, values in
 * their AttributeValue form, so a number and a string that print alike differ). Two tables hold the
 * same items exactly when counts and checksums match (up to a 2^-64 collision chance); the order in
 * which pages are read does not matter.
 *
 * Across chunks: addition mod 2^64 is associative and commutative, so the tally of a set read in chunks
 * is each chunk's sum added to the running one (`ChecksumAccumulator.resume(tally)` carries the running
 * count and sum from one call to the next): equal to a single pass over the same items, whatever the
 * chunk boundaries. A changed item changes its own term only, so it changes the total whichever chunk
 * read it (unless its new digest collides mod 2^64).
 */
const MOD = 1n << 64n;

export interface ItemTally {
  readonly count: number;
  /** 16 lower-case hex digits. */
  readonly checksum: string;
}

export class ChecksumAccumulator {
  private sum = 0n;
  private items = 0;

  /** Continues the tally of earlier chunks (the tally a previous call returned). */
  public static resume(earlier: ItemTally): ChecksumAccumulator {
    const acc = new ChecksumAccumulator();
    acc.sum = BigInt(`0x${earlier.checksum}`);
    acc.items = earlier.count;
    return acc;
  }

  public add(item: Record<string, unknown>): void {
    const digest = createHash('sha256').update(canonicalJson(item)).digest();
    this.sum = (this.sum + digest.readBigUInt64BE(0)) % MOD;
    this.items += 1;
  }

  public tally(): ItemTally {
    return { count: this.items, checksum: this.sum.toString(16).padStart(16, '0') };
  }
}

/** JSON with object keys sorted recursively; arrays keep their order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value instanceof Uint8Array) return JSON.stringify({ $bytes: Buffer.from(value).toString('base64') });
  if (value instanceof Set) return canonicalJson([...value].map(String).sort());
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
