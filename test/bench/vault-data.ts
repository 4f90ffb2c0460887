import { closeSync, openSync, writeSync } from 'node:fs';

/** A small, fast, seeded PRNG (xorshift32); the benchmark data must be the same for every tool. */
export class Prng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }

  /** Next 32-bit value. */
  next(): number {
    let s = this.s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s >>> 0;
    return this.s;
  }

  /** Fills a buffer with random bytes (incompressible). */
  fill(buf: Buffer): Buffer {
    let i = 0;
    for (; i + 4 <= buf.length; i += 4) buf.writeUInt32LE(this.next(), i);
    for (; i < buf.length; i++) buf[i] = this.next() & 0xff;
    return buf;
  }
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'shi', 'po', 've', 'da', 'an', 'el', 'or', 'us', 'in', 'ex', 'qu', 'ra', 'to', 'be'];

/** A vocabulary of 3,000 made-up words, fixed for all runs. */
function vocabulary(): Buffer[] {
  const rng = new Prng(12345);
  const words: Buffer[] = [];
  for (let i = 0; i < 3000; i++) {
    let w = '';
    const n = 1 + (rng.next() % 4);
    for (let j = 0; j < n; j++) w += SYLLABLES[rng.next() % SYLLABLES.length];
    words.push(Buffer.from(w));
  }
  return words;
}

const WORDS = vocabulary();
const DIGITS = Buffer.from('0123456789');

/**
 * SQL-dump-like text: INSERT lines with words, numbers and dates — it compresses to about 28 %
 * with brotli-1 or zstd-1, like a real `pg_dump` of a small application.
 */
export function fillText(buf: Buffer, rng: Prng): Buffer {
  let at = 0;
  const put = (b: Buffer) => {
    const n = Math.min(b.length, buf.length - at);
    b.copy(buf, at, 0, n);
    at += n;
  };
  const num = (digits: number) => {
    for (let i = 0; i < digits && at < buf.length; i++) buf[at++] = DIGITS[rng.next() % 10] as number;
  };
  const INSERT = Buffer.from('INSERT INTO public.');
  const VALUES = Buffer.from(' VALUES (');
  const Q = Buffer.from(", '");
  const SP = Buffer.from(' ');
  const QC = Buffer.from("', '20");
  const END_T = Buffer.from(", true);\n");
  const END_F = Buffer.from(', false);\n');
  while (at < buf.length) {
    put(INSERT);
    put(WORDS[rng.next() % 50] as Buffer);
    put(VALUES);
    num(1 + (rng.next() % 6));
    put(Q);
    for (let w = 0; w < 3; w++) {
      if (w > 0) put(SP);
      put(WORDS[rng.next() % WORDS.length] as Buffer);
    }
    put(QC);
    num(2);
    put(Buffer.from(`-0${1 + (rng.next() % 9)}-1${rng.next() % 9} 1${rng.next() % 9}:${10 + (rng.next() % 50)}:00', `));
    num(1 + (rng.next() % 5));
    put(rng.next() % 2 ? END_T : END_F);
  }
  return buf;
}

/**
 * Mixed data in 2–6 MiB segments cycling random → text → zeros, the mix the benchmarks use
 * (a homelab's dumps, uploads and sparse files). Calls `sink` with pieces of at most 6 MiB.
 */
export function generateMixed(size: number, seed: number, sink: (piece: Buffer) => void): void {
  const rng = new Prng(seed);
  const buf = Buffer.allocUnsafe(6 * 1024 * 1024);
  let done = 0;
  for (let i = 0; done < size; i++) {
    const n = Math.min(size - done, 2 * 1024 * 1024 + (rng.next() % (4 * 1024 * 1024)));
    const piece = buf.subarray(0, n);
    if (i % 3 === 0) rng.fill(piece);
    else if (i % 3 === 1) fillText(piece, rng);
    else piece.fill(0);
    sink(piece);
    done += n;
  }
}

/** Writes mixed data to a file. */
export function writeMixedFile(path: string, size: number, seed: number): void {
  const fd = openSync(path, 'w');
  try {
    generateMixed(size, seed, (piece) => {
      for (let off = 0; off < piece.length; ) off += writeSync(fd, piece, off);
    });
  } finally {
    closeSync(fd);
  }
}

/**
 * One day's edit of a file: about 1 % of its bytes changed in eight places — half overwritten,
 * a quarter inserted, a quarter deleted — with new random or text bytes.
 */
export function editOnePercent(data: Buffer, rng: Prng): Buffer {
  const edits = 8;
  const span = Math.max(1, Math.floor((data.length * 0.01) / edits));
  let out = data;
  for (let e = 0; e < edits; e++) {
    const at = rng.next() % Math.max(1, out.length - span);
    const fresh = rng.next() % 2 ? rng.fill(Buffer.allocUnsafe(span)) : fillText(Buffer.allocUnsafe(span), rng);
    const kind = e % 4;
    if (kind < 2) {
      out = Buffer.concat([out.subarray(0, at), fresh, out.subarray(at + span)]);
    } else if (kind === 2) {
      out = Buffer.concat([out.subarray(0, at), fresh, out.subarray(at)]);
    } else {
      out = Buffer.concat([out.subarray(0, at), out.subarray(at + span)]);
    }
  }
  return out;
}
