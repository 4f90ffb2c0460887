/** The fields of one tar member that Lifeboat writes (POSIX pax + ustar). */
export interface TarMember {
  readonly path: string;
  readonly type: 'file' | 'dir' | 'symlink';
  /** Permission bits, including setuid/setgid/sticky. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Milliseconds since the epoch. */
  readonly mtimeMs: number;
  /** Exact nanoseconds since the epoch (decimal), when known; wins over mtimeMs. */
  readonly mtimeNs?: string;
  readonly size: number;
  readonly linkpath?: string;
}

const BLOCK = 512;
const typeFlag = { file: '0', dir: '5', symlink: '2' } as const;

function octal(buf: Buffer, value: number, offset: number, width: number): boolean {
  const text = value.toString(8);
  if (text.length > width - 1) return false;
  buf.write(text.padStart(width - 1, '0'), offset, width - 1, 'ascii');
  buf[offset + width - 1] = 0;
  return true;
}

/** `len key=value\n`, where len counts the whole record including its own digits. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  let len = bodyLen + String(bodyLen).length;
  if (String(len).length !== String(bodyLen).length) len = bodyLen + String(len).length;
  return `${len}${body}`;
}

function ustarBlock(name: string, m: TarMember, type: string, size: number, linkName: string): { block: Buffer; fits: boolean } {
  const block = Buffer.alloc(BLOCK);
  let fits = true;
  block.write(name, 0, 100, 'utf8');
  fits = octal(block, m.mode & 0o7777, 100, 8) && fits;
  fits = octal(block, m.uid, 108, 8) && fits;
  fits = octal(block, m.gid, 116, 8) && fits;
  fits = octal(block, size, 124, 12) && fits;
  fits = octal(block, Math.max(0, Math.floor(m.mtimeMs / 1000)), 136, 12) && fits;
  block.fill(0x20, 148, 156);
  block.write(type, 156, 1, 'ascii');
  block.write(linkName, 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 8, 'ascii');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i] as number;
  octal(block, sum, 148, 7);
  block[155] = 0x20;
  return { block, fits };
}

/** The pax `mtime` value when whole seconds would lose precision (ns exact when known). */
function paxTime(m: TarMember): string | undefined {
  if (m.mtimeNs !== undefined && /^\d+$/.test(m.mtimeNs)) {
    const ns = BigInt(m.mtimeNs);
    const frac = ns % 1_000_000_000n;
    return frac === 0n ? undefined : `${ns / 1_000_000_000n}.${frac.toString().padStart(9, '0')}`;
  }
  if (m.mtimeMs % 1000 === 0 && m.mtimeMs >= 0) return undefined;
  return (m.mtimeMs / 1000).toFixed(3);
}

function asciiFits(text: string, max: number): boolean {
  return text.length <= max && /^[\x20-\x7e]*$/.test(text);
}

/**
 * Encodes the header of one member: a pax extended header (path, linkpath, mtime with
 * milliseconds, large sizes or ids) when the ustar fields cannot hold the exact values, then
 * the ustar header. Paths are written exactly as given; the caller validates them first.
 */
export function tarHeader(m: TarMember): Buffer {
  const size = m.type === 'file' ? m.size : 0;
  const records: string[] = [];
  const name = m.type === 'dir' ? `${m.path}/` : m.path;
  if (!asciiFits(name, 100)) records.push(paxRecord('path', name));
  const link = m.linkpath ?? '';
  if (!asciiFits(link, 100)) records.push(paxRecord('linkpath', link));
  const mtime = paxTime(m);
  if (mtime) records.push(paxRecord('mtime', mtime));
  if (size > 0o77777777777) records.push(paxRecord('size', String(size)));
  if (m.uid > 0o7777777) records.push(paxRecord('uid', String(m.uid)));
  if (m.gid > 0o7777777) records.push(paxRecord('gid', String(m.gid)));
  const shortName = asciiFits(name, 100) ? name : `lifeboat-pax/${Buffer.from(name).toString('hex').slice(0, 80)}`;
  // node-tar checks the ustar link field before applying pax records, so it must not be empty.
  const shortLink = asciiFits(link, 100) ? link : 'lifeboat-pax-linkpath';
  const safe: TarMember = { ...m, uid: m.uid > 0o7777777 ? 0 : m.uid, gid: m.gid > 0o7777777 ? 0 : m.gid };
  const main = ustarBlock(shortName, safe, typeFlag[m.type], size > 0o77777777777 ? 0 : size, shortLink).block;
  if (records.length === 0) return main;
  const body = Buffer.from(records.join(''), 'utf8');
  const paxHead = ustarBlock('lifeboat-pax/header', { ...safe, mode: 0o644, type: 'file' }, 'x', body.length, '').block;
  return Buffer.concat([paxHead, body, Buffer.alloc(padding(body.length)), main]);
}

/** Zero bytes that round `size` up to a whole 512-byte block. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** The two zero blocks that end an archive. */
export function tarEnd(): Buffer {
  return Buffer.alloc(2 * BLOCK);
}
