/**
 * W-TinyLFU: a bounded in-memory cache with a frequency-based admission policy.
 *
 * Design (Einziger, Friedman & Manes, "TinyLFU: A Highly Efficient Cache Admission Policy", and Caffeine's
 * BoundedLocalCache): new entries enter a small LRU *window* (~1 % of capacity). When the window overflows,
 * its LRU entry (the candidate) moves to the *probation* segment of a segmented-LRU main space and duels
 * probation's LRU entry (the victim): the candidate stays only if a count-min sketch estimates it has been
 * requested more often than the victim. Hits in probation promote to *protected* (80 % of the main space);
 * protected overflow demotes its LRU entry back to probation. The sketch halves all counters every
 * 10 × maximumSize increments, so popularity that stops being requested fades away.
 *
 * Why hand-written: lru-cache (the cache this project already depends on) is LRU only, and no widely used
 * npm package implements W-TinyLFU (none of the npm packages with more than ~500 downloads a month matches
 * "TinyLFU"), so this small implementation lives here. Not implemented from Caffeine: the doorkeeper
 * bloom filter and the hill-climbing window resize (the window stays at 1 %).
 *
 * Every operation is O(1) amortized: a Map from key to node plus three intrusive doubly-linked lists;
 * the sketch's aging pass is O(sketch size) once per 10 × maximumSize increments.
 */

const NO_KEY: unique symbol = Symbol("none");

class Node<K, V> {
  prev: Node<K, V> = this;
  next: Node<K, V> = this;
  key: K;
  value: V;
  expires: number; // epoch ms per `now()`, Infinity when the entry has no TTL
  hash: number; // the key's 32-bit hash, kept so evictions don't rehash
  list!: LruList<K, V>; // the segment (window, probation or protected) it's in
  constructor(key: K, value: V, expires: number, hash: number) {
    this.key = key;
    this.value = value;
    this.expires = expires;
    this.hash = hash;
  }
}

/** Circular doubly-linked list around a sentinel: `head.next` is the LRU end, `head.prev` the MRU end. */
class LruList<K, V> {
  readonly head = new Node<K, V>(undefined as K, undefined as V, 0, 0);
  size = 0;
  pushMru(n: Node<K, V>): void {
    const h = this.head;
    n.prev = h.prev;
    n.next = h;
    h.prev.next = n;
    h.prev = n;
    n.list = this;
    this.size++;
  }
  unlink(n: Node<K, V>): void {
    n.prev.next = n.next;
    n.next.prev = n.prev;
    this.size--;
  }
  /** The least recently used node, or the sentinel itself when empty (callers check `size` first). */
  lru(): Node<K, V> {
    return this.head.next;
  }
  mru(): Node<K, V> {
    return this.head.prev;
  }
  clear(): void {
    this.head.prev = this.head.next = this.head;
    this.size = 0;
  }
}

/** murmur3's 32-bit finalizer: spreads every input bit over the whole word. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a over UTF-16 code units, finalized with fmix32 (FNV's low bits alone mix poorly). */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** Strings: FNV-1a; integers: mixed directly; anything else: its String() form (objects may collide). */
function hashKey(key: unknown): number {
  if (typeof key === "string") return hashString(key);
  if (typeof key === "number" && Number.isInteger(key))
    return fmix32((key | 0) ^ Math.imul(Math.floor(key / 4294967296) | 0, 0x9e3779b1));
  return hashString(String(key));
}

/** Second hash for double hashing: the (already mixed) hash rotated by 16 bits, made odd. */
function rehash(hash: number): number {
  return ((hash >>> 16) | (hash << 16) | 1) >>> 0;
}

/**
 * Count-min sketch of 4 rows × `width` counters saturating at 15 (4-bit range, one byte each for speed).
 * width = 4 × nextPow2(maximumSize), i.e. 16 counters per entry in total, exactly Caffeine's budget (its
 * table is nextPow2(maximumSize) longs of 16 four-bit counters): with a 10 × maximumSize sample between
 * resets the average counter then holds ~2.5 — narrower rows saturate and every key looks popular.
 * The 4 indexes come from double hashing (h1 + i·h2).
 */
class FrequencySketch {
  private readonly table: Uint8Array;
  private readonly width: number;
  private readonly sampleSize: number;
  private additions = 0;
  constructor(maximumSize: number) {
    let pow2 = 8;
    while (pow2 < maximumSize) pow2 *= 2;
    this.width = 4 * pow2;
    this.table = new Uint8Array(4 * this.width);
    this.sampleSize = 10 * maximumSize;
  }
  private index(hash: number, h2: number, row: number): number {
    return row * this.width + ((hash + Math.imul(row, h2)) & (this.width - 1));
  }
  frequency(hash: number): number {
    const h2 = rehash(hash);
    let min = 15;
    for (let row = 0; row < 4; row++) min = Math.min(min, this.table[this.index(hash, h2, row)]!);
    return min;
  }
  increment(hash: number): void {
    const h2 = rehash(hash);
    let added = false;
    for (let row = 0; row < 4; row++) {
      const i = this.index(hash, h2, row);
      if (this.table[i]! < 15) {
        this.table[i]!++;
        added = true;
      }
    }
    if (added && ++this.additions >= this.sampleSize) this.reset();
  }
  /** Aging: halve every counter; `additions` is halved too, minus the truncation of odd counters (as Caffeine). */
  private reset(): void {
    let odd = 0;
    for (let i = 0; i < this.table.length; i++) {
      odd += this.table[i]! & 1;
      this.table[i]! >>>= 1;
    }
    this.additions = (this.additions - (odd >>> 2)) >>> 1;
  }
  clear(): void {
    this.table.fill(0);
    this.additions = 0;
  }
}

export interface TinyLfuOptions {
  /** Most entries held at once (integer ≥ 1). */
  maximumSize: number;
  /** Default time to live of an entry in ms (0 or absent: entries don't expire). */
  ttlMs?: number;
  /** Clock in ms, injectable for tests (default Date.now). */
  now?: () => number;
}

export class TinyLfu<K, V> {
  /** hits/misses count `get` calls; evictions counts entries dropped to respect maximumSize (not expiries). */
  readonly stats = { hits: 0, misses: 0, evictions: 0 };
  private readonly map = new Map<K, Node<K, V>>();
  private readonly window = new LruList<K, V>();
  private readonly probation = new LruList<K, V>();
  private readonly protectedSeg = new LruList<K, V>();
  private readonly sketch: FrequencySketch;
  private readonly maximumSize: number;
  private readonly maxWindow: number;
  private readonly maxProtected: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private lastMiss: K | typeof NO_KEY = NO_KEY; // `get` miss already counted in the sketch for the next `set`
  private lastMissHash = 0;
  private random = 0x2545f491; // xorshift32 state for the hash-flooding guard

  constructor(opts: TinyLfuOptions) {
    const { maximumSize, ttlMs = 0 } = opts;
    if (!Number.isInteger(maximumSize) || maximumSize < 1) throw new RangeError("maximumSize must be an integer ≥ 1");
    if (!(ttlMs >= 0)) throw new RangeError("ttlMs must be ≥ 0");
    this.maximumSize = maximumSize;
    this.maxWindow = Math.max(1, Math.round(maximumSize * 0.01));
    this.maxProtected = Math.floor((maximumSize - this.maxWindow) * 0.8);
    this.ttlMs = ttlMs;
    this.now = opts.now ?? Date.now;
    this.sketch = new FrequencySketch(maximumSize);
  }

  get size(): number {
    return this.map.size; // may include expired entries not yet looked at (they're dropped lazily)
  }

  /** Every `get` (hit or miss) counts one request of `key` in the frequency sketch. */
  get(key: K): V | undefined {
    const node = this.map.get(key);
    const hash = node ? node.hash : hashKey(key);
    this.sketch.increment(hash);
    if (node === undefined || this.expired(node)) {
      if (node) this.remove(node);
      this.stats.misses++;
      this.lastMiss = key;
      this.lastMissHash = hash;
      return undefined;
    }
    this.stats.hits++;
    this.onAccess(node);
    return node.value;
  }

  /** Inserts or replaces. A new key counts as one request unless the `get` that just missed it already did. */
  set(key: K, value: V, opts?: { ttlMs?: number }): this {
    const ttl = opts?.ttlMs ?? this.ttlMs;
    const expires = ttl > 0 ? this.now() + ttl : Number.POSITIVE_INFINITY;
    const existing = this.map.get(key);
    if (existing) {
      existing.value = value;
      existing.expires = expires;
      this.sketch.increment(existing.hash);
      this.onAccess(existing);
      return this;
    }
    const missed = this.lastMiss === key;
    const hash = missed ? this.lastMissHash : hashKey(key);
    if (!missed) this.sketch.increment(hash);
    this.lastMiss = NO_KEY;
    const node = new Node(key, value, expires, hash);
    this.map.set(key, node);
    this.window.pushMru(node);
    this.evict();
    return this;
  }

  /** Whether a live entry exists; touches neither stats, frequency nor recency (drops an expired entry). */
  has(key: K): boolean {
    const node = this.map.get(key);
    if (node === undefined) return false;
    if (!this.expired(node)) return true;
    this.remove(node);
    return false;
  }

  /** Removes `key`; true if a live entry was removed. */
  delete(key: K): boolean {
    const node = this.map.get(key);
    if (node === undefined) return false;
    this.remove(node);
    return !this.expired(node);
  }

  /** Drops every entry and the frequency history (stats are cumulative and kept). */
  clear(): void {
    this.map.clear();
    for (const list of [this.window, this.probation, this.protectedSeg]) list.clear();
    this.sketch.clear();
    this.lastMiss = NO_KEY;
  }

  private expired(node: Node<K, V>): boolean {
    return node.expires !== Number.POSITIVE_INFINITY && node.expires <= this.now(); // skips the clock when no TTL
  }

  private remove(node: Node<K, V>): void {
    this.map.delete(node.key);
    node.list.unlink(node);
  }

  private move(node: Node<K, V>, to: LruList<K, V>): void {
    node.list.unlink(node);
    to.pushMru(node);
  }

  /** A hit: refresh recency; a probation hit promotes to protected, whose overflow goes back to probation. */
  private onAccess(node: Node<K, V>): void {
    if (node.list !== this.probation) {
      this.move(node, node.list);
    } else {
      this.move(node, this.protectedSeg);
      if (this.protectedSeg.size > this.maxProtected) this.move(this.protectedSeg.lru(), this.probation);
    }
  }

  private evict(): void {
    const { window, probation } = this;
    while (window.size > this.maxWindow) this.move(window.lru(), probation);
    while (this.map.size > this.maximumSize) {
      // The newest window victim sits at probation's MRU end, the main space's victim at its LRU end
      // (probation can't be empty here: protected never exceeds maxProtected < main space's share).
      const candidate = probation.mru();
      const victim = probation.lru();
      let evicted: Node<K, V>;
      if (victim === candidate || this.expired(candidate)) evicted = candidate;
      else if (this.expired(victim)) evicted = victim;
      else evicted = this.admit(candidate, victim) ? victim : candidate;
      this.remove(evicted);
      if (!this.expired(evicted)) this.stats.evictions++;
    }
  }

  /** TinyLFU admission: the more frequent key wins; ties keep the victim. */
  private admit(candidate: Node<K, V>, victim: Node<K, V>): boolean {
    const candidateFreq = this.sketch.frequency(candidate.hash);
    if (candidateFreq > this.sketch.frequency(victim.hash)) return true;
    if (candidateFreq <= 5) return false;
    // Caffeine's guard against hash flooding (an attacker inflating a victim's counters to pin it):
    // a warm candidate that lost still gets in 1 time in 128.
    this.random ^= this.random << 13;
    this.random ^= this.random >>> 17;
    this.random ^= this.random << 5;
    return (this.random & 127) === 0;
  }
}
