import { StringDecoder } from 'node:string_decoder';
import type { Chunker } from './chunker';
import { blobIdOf } from './crypto';
import { BlobType, corrupt, hex } from './format';
import { storeChunk } from './ingest';
import type { PackSink } from './pack-sink';

/** One record of a stream item's meta stream: a data chunk's id and length. */
export const STREAM_RECORD = 36;

/**
 * Writes an item's metadata stream (chunk list or tree entries) as meta blobs, chunked with the
 * vault's chunker so unchanged stretches deduplicate between snapshots. Holds at most about two
 * maximum-size chunks in memory.
 */
export class MetaWriter {
  private parts: Buffer[] = [];
  private buffered = 0;
  /** Meta blob ids in order (hex), as the manifest lists them. */
  readonly ids: string[] = [];
  /** Bytes written so far. */
  size = 0;

  constructor(
    private readonly sink: PackSink,
    private readonly chunker: Chunker,
    private readonly idKey: Buffer,
  ) {}

  /** Appends bytes; stores full chunks as they become available. */
  async write(bytes: Buffer): Promise<void> {
    this.parts.push(bytes);
    this.buffered += bytes.length;
    this.size += bytes.length;
    if (this.buffered >= 2 * this.chunker.params.max) await this.cut(false);
  }

  private async cut(final: boolean): Promise<void> {
    const buf = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts);
    let pos = 0;
    for (;;) {
      const n = this.chunker.next(buf, pos, buf.length, final);
      if (n <= 0) break;
      const data = buf.subarray(pos, pos + n);
      const id = blobIdOf(this.idKey, data);
      this.ids.push(hex(id));
      if (!this.sink.has(id)) {
        this.sink.reserve(id, data.length);
        await storeChunk(this.sink, BlobType.meta, id, data);
      }
      pos += n;
    }
    const rest = Buffer.from(buf.subarray(pos));
    this.parts = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
  }

  /** Stores what is left; afterwards `ids` and `size` are final. */
  async close(): Promise<void> {
    if (this.buffered > 0) await this.cut(true);
  }
}

/** Encodes one stream record. */
export function streamRecord(id: Uint8Array, length: number): Buffer {
  const r = Buffer.allocUnsafe(STREAM_RECORD);
  r.set(id, 0);
  r.writeUInt32LE(length, 32);
  return r;
}

/** A data chunk of a stream item, in order. */
export interface ChunkRef {
  readonly id: Buffer;
  readonly length: number;
}

/** Parses a stream item's meta stream (delivered in arbitrary pieces) into chunk references. */
export async function* streamChunkRefs(meta: AsyncIterable<Buffer>, where: string): AsyncGenerator<ChunkRef> {
  let carry = Buffer.alloc(0);
  for await (const piece of meta) {
    const buf = carry.length > 0 ? Buffer.concat([carry, piece]) : piece;
    const whole = buf.length - (buf.length % STREAM_RECORD);
    for (let at = 0; at < whole; at += STREAM_RECORD) {
      yield { id: Buffer.from(buf.subarray(at, at + 32)), length: buf.readUInt32LE(at + 32) };
    }
    carry = Buffer.from(buf.subarray(whole));
  }
  if (carry.length > 0) throw corrupt('chunk list', where, 'ends in the middle of a record');
}

/** Splits a meta stream into lines (tree items), across blob boundaries. */
export async function* metaLines(meta: AsyncIterable<Buffer>, where: string): AsyncGenerator<string> {
  let carry = '';
  const decoder = new StringDecoder('utf8');
  for await (const piece of meta) {
    const text = carry + decoder.write(piece);
    const lines = text.split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) if (line.length > 0) yield line;
  }
  carry += decoder.end();
  if (carry.length > 0) throw corrupt('tree listing', where, 'ends in the middle of an entry');
}
