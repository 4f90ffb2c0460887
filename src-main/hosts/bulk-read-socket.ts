import { Socket } from 'node:net';

/** Size of each read into a bulk socket (Node's own reads are 64 KiB). */
export const BULK_READ = 256 * 1024;
/** A read shorter than this is copied out, and its buffer used again for the next read. */
export const SMALL_READ = 16 * 1024;

/**
 * A TCP socket for an SSH connection that reads into 256 KiB buffers instead of Node's 64 KiB.
 * A bulk transfer then costs a quarter of the reads and buffer allocations, and ssh2 copies
 * fewer packets that straddle two reads (it decrypts in place within one read); on the 1 GiB
 * first-pull bench that was ~0.1 s of ~4.5. ssh2's payloads are views into the read buffer, so
 * a full read's buffer is handed over and never written again: the next read gets a fresh
 * one. A short read (a prompt, an ack, a line of a listing) is copied out instead, so it
 * neither pins 256 KiB nor costs a new buffer. With `onread` Node emits no 'data' events,
 * so this socket emits them itself, as ssh2 expects of any socket.
 */
export function bulkReadSocket(): Socket {
  let next = Buffer.allocUnsafeSlow(BULK_READ);
  const socket: Socket = new Socket({
    onread: {
      buffer: () => next,
      callback: (n: number, buf: Uint8Array) => {
        let chunk: Buffer;
        if (n < SMALL_READ) chunk = Buffer.from(buf.subarray(0, n));
        else {
          chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
          next = Buffer.allocUnsafeSlow(BULK_READ);
        }
        socket.emit('data', chunk);
      },
    },
  } as ConstructorParameters<typeof Socket>[0]);
  return socket;
}
