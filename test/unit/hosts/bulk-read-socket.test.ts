import { randomBytes } from 'node:crypto';
import { type AddressInfo, type Socket, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BULK_READ, SMALL_READ, bulkReadSocket } from '../../../src-main/hosts/bulk-read-socket';

/** Serves `pieces` (each written after the previous was flushed, with a pause) on 127.0.0.1. */
async function serve(pieces: Buffer[]): Promise<{ port: number; close(): void }> {
  const server = createServer((c: Socket) => {
    void (async () => {
      for (const p of pieces) {
        await new Promise<void>((r) => c.write(p, () => r()));
        await new Promise((r) => setTimeout(r, 5));
      }
      c.end();
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

describe('bulk-read socket (the SSH connection reads into 256 KiB buffers)', () => {
  it('delivers every byte in order; a chunk already delivered is never overwritten by later reads; short reads are copied out', async () => {
    const pieces = [randomBytes(100), randomBytes(3 * BULK_READ), randomBytes(10), randomBytes(BULK_READ + 7), randomBytes(SMALL_READ - 1), randomBytes(2 * 1024 * 1024)];
    const sent = Buffer.concat(pieces);
    const server = await serve(pieces);
    const socket = bulkReadSocket();
    const chunks: Buffer[] = [];
    const copies: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // What ssh2 does with a payload it hands on: keep a view. Snapshot it to compare later.
      copies.push(Buffer.from(chunk));
    });
    socket.connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.on('end', resolve);
      socket.on('error', reject);
    });
    server.close();
    expect(Buffer.concat(chunks).equals(sent)).toBe(true);
    // Views kept from earlier reads still hold what they held when delivered.
    chunks.forEach((c, i) => expect(c.equals(copies[i] as Buffer), `chunk ${i}`).toBe(true));
    expect(chunks.some((c) => c.length >= SMALL_READ)).toBe(true);
    for (const c of chunks) {
      if (c.length >= SMALL_READ) expect(c.length).toBeLessThanOrEqual(BULK_READ);
      // A short read never pins a whole read buffer.
      else expect(c.buffer.byteLength).toBeLessThan(BULK_READ);
    }
    // Each full read has a buffer of its own.
    const big = chunks.filter((c) => c.length >= SMALL_READ).map((c) => c.buffer);
    expect(new Set(big).size).toBe(big.length);
  });

  it('reports a refused connection as a socket error with its code', async () => {
    const server = await serve([]);
    server.close();
    await new Promise((r) => setTimeout(r, 20));
    const socket = bulkReadSocket();
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      socket.on('error', resolve);
      socket.connect(server.port, '127.0.0.1');
    });
    expect(err.code).toBe('ECONNREFUSED');
  });
});
