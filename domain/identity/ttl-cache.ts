/**
 * A small bounded cache with a per-entry time to live and in-flight de-duplication: concurrent
 * misses for one key share one load, so a burst of first requests costs one backend call.
 * Used for the catalog entries, the usage-limit answers and (with a custom expiry) STS credentials.
 */
interface TtlCacheOptions<V> {
  /** Default lifetime of an entry, milliseconds. */
  readonly ttlMs: number;
  /** Oldest entries are evicted beyond this many. Default 10,000. */
  readonly maxEntries?: number;
  /** Per-value expiry (epoch ms); overrides `ttlMs` when given. */
  readonly expiresAt?: (value: V, now: number) => number;
  readonly now?: () => number;
}

interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
}

export class TtlCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly loading = new Map<string, Promise<V>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly expiry: ((value: V, now: number) => number) | undefined;
  private readonly now: () => number;

  public constructor(options: TtlCacheOptions<V>) {
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.expiry = options.expiresAt;
    this.now = options.now ?? Date.now;
  }

  public async get(key: string, load: () => Promise<V>): Promise<V> {
    const now = this.now();
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.expiresAt > now) return entry.value;
    const pending = this.loading.get(key);
    if (pending !== undefined) return pending;
    const promise = (async () => {
      const value = await load();
      const loadedAt = this.now();
      this.entries.delete(key);
      this.entries.set(key, {
        value,
        expiresAt: this.expiry ? this.expiry(value, loadedAt) : loadedAt + this.ttlMs,
      });
      while (this.entries.size > this.maxEntries) {
        const oldest = this.entries.keys().next().value;
        if (oldest === undefined) break;
        this.entries.delete(oldest);
      }
      return value;
    })();
    this.loading.set(key, promise);
    try {
      return await promise;
    } finally {
      this.loading.delete(key);
    }
  }
}
