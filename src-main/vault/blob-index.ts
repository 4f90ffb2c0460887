/** Where one blob is stored. */
export interface BlobLocation {
  readonly packId: string;
  readonly type: number;
  /** Position in the pack; also the blob's nonce counter. */
  readonly counter: number;
  readonly offset: number;
  /** Ciphertext length including the tag. */
  readonly length: number;
  /** Plaintext length (before compression). */
  readonly rawLength: number;
}

const ID = 32;

/**
 * The in-memory union of all index files: an open-addressed hash table over typed arrays
 * (~60 bytes per blob instead of ~200 for a Map of objects), so the index of a large vault
 * fits in a backup's memory budget. Ids are HMAC outputs, so their first bytes are a good hash.
 * The first location added for an id wins; duplicates (after a crash or a repack) are ignored.
 */
export class BlobIndex {
  private ids = new Uint8Array(ID * 1024);
  private packNo = new Uint32Array(1024);
  private counter = new Uint32Array(1024);
  private offset = new Uint32Array(1024);
  private length = new Uint32Array(1024);
  private rawLength = new Uint32Array(1024);
  private type = new Uint8Array(1024);
  private table = new Int32Array(2048);
  private readonly packs: string[] = [];
  private readonly packNos = new Map<string, number>();
  /** Number of distinct blobs. */
  size = 0;

  private slotOf(id: Uint8Array): number {
    const mask = this.table.length - 1;
    let slot = ((id[0] as number) | ((id[1] as number) << 8) | ((id[2] as number) << 16) | ((id[3] as number) << 24)) & mask;
    for (;;) {
      const entry = this.table[slot] as number;
      if (entry === 0 || this.sameId(entry - 1, id)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private sameId(entry: number, id: Uint8Array): boolean {
    const base = entry * ID;
    const ids = this.ids;
    for (let i = 0; i < ID; i++) if (ids[base + i] !== id[i]) return false;
    return true;
  }

  /** Entry number of an id, or -1. */
  find(id: Uint8Array): number {
    return (this.table[this.slotOf(id)] as number) - 1;
  }

  /** True when the vault already holds this blob. */
  has(id: Uint8Array): boolean {
    return this.find(id) >= 0;
  }

  /** Adds a location; returns false (and keeps the old one) when the id is already known. */
  add(id: Uint8Array, loc: BlobLocation): boolean {
    let slot = this.slotOf(id);
    if ((this.table[slot] as number) !== 0) return false;
    if (this.size === this.packNo.length) this.grow();
    if ((this.size + 1) * 2 > this.table.length) {
      this.rehash(this.table.length * 2);
      slot = this.slotOf(id);
    }
    const e = this.size++;
    this.ids.set(id.subarray(0, ID), e * ID);
    let pack = this.packNos.get(loc.packId);
    if (pack === undefined) {
      pack = this.packs.length;
      this.packs.push(loc.packId);
      this.packNos.set(loc.packId, pack);
    }
    this.packNo[e] = pack;
    this.counter[e] = loc.counter;
    this.offset[e] = loc.offset;
    this.length[e] = loc.length;
    this.rawLength[e] = loc.rawLength;
    this.type[e] = loc.type;
    this.table[slot] = e + 1;
    return true;
  }

  /** Location of entry `e` (from `find`). */
  location(e: number): BlobLocation {
    return {
      packId: this.packs[this.packNo[e] as number] as string,
      type: this.type[e] as number,
      counter: this.counter[e] as number,
      offset: this.offset[e] as number,
      length: this.length[e] as number,
      rawLength: this.rawLength[e] as number,
    };
  }

  /** Location of an id, or undefined. */
  get(id: Uint8Array): BlobLocation | undefined {
    const e = this.find(id);
    return e < 0 ? undefined : this.location(e);
  }

  /** Id bytes of entry `e` (a view; copy it to keep it). */
  idAt(e: number): Uint8Array {
    return this.ids.subarray(e * ID, e * ID + ID);
  }

  /** Every pack id any entry points into. */
  packIds(): string[] {
    return [...this.packs];
  }

  private grow(): void {
    const cap = this.packNo.length * 2;
    const ids = new Uint8Array(cap * ID);
    ids.set(this.ids);
    this.ids = ids;
    const widen = <T extends Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.packNo = widen(this.packNo, (n) => new Uint32Array(n));
    this.counter = widen(this.counter, (n) => new Uint32Array(n));
    this.offset = widen(this.offset, (n) => new Uint32Array(n));
    this.length = widen(this.length, (n) => new Uint32Array(n));
    this.rawLength = widen(this.rawLength, (n) => new Uint32Array(n));
    this.type = widen(this.type, (n) => new Uint8Array(n));
  }

  private rehash(slots: number): void {
    this.table = new Int32Array(slots);
    for (let e = 0; e < this.size; e++) this.table[this.slotOf(this.idAt(e))] = e + 1;
  }
}
