/**
 * A small cache of values that go stale: each entry lives `ttlMs`, and past `maxEntries` the
 * oldest entries go first. Pending look-ups are shared, so a panel and its reload asking for
 * the same person at once make one request; a look-up that fails is not kept.
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, { at: number; value: Promise<V> }>();

  constructor(
    private readonly options: { ttlMs: number; maxEntries: number; now?: () => number },
  ) {}

  async get(key: string, load: () => Promise<V>): Promise<V> {
    const now = (this.options.now ?? Date.now)();
    const hit = this.#entries.get(key);
    if (hit && now - hit.at < this.options.ttlMs) return hit.value;
    this.#entries.delete(key);
    const value = load();
    this.#entries.set(key, { at: now, value });
    while (this.#entries.size > this.options.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
    return value;
  }

  get size(): number {
    return this.#entries.size;
  }
}
