import { createHash } from 'node:crypto';

/** A public host key as shown to people: algorithm, size and OpenSSH-style fingerprint. */
export interface KeyDescription {
  /** Wire name, e.g. `ssh-ed25519`. */
  readonly type: string;
  /** What `ssh-keygen -lf` prints in parentheses: ED25519, RSA, ECDSA, DSA. */
  readonly label: string;
  readonly bits: number;
  /** `SHA256:` + unpadded base64 of the SHA-256 of the key blob, exactly as `ssh-keygen -lf`. */
  readonly fingerprint: string;
}

/** Reads the length-prefixed strings of an SSH wire-format blob (RFC 4251 §5). */
export function readSshStrings(blob: Buffer, max = 8): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at + 4 <= blob.length && out.length < max) {
    const len = blob.readUInt32BE(at);
    if (at + 4 + len > blob.length) break;
    out.push(blob.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

/** The OpenSSH fingerprint of a key blob: `SHA256:` and base64 without `=` padding. */
export function fingerprintSha256(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key algorithm named at the start of a key blob (`ssh-ed25519`, `ssh-rsa`, …). */
export function keyTypeOf(blob: Buffer): string {
  const first = readSshStrings(blob, 1)[0];
  return first ? first.toString('latin1') : 'unknown';
}

function mpintBits(value: Buffer | undefined): number {
  if (!value) return 0;
  let i = 0;
  while (i < value.length && value[i] === 0) i++;
  if (i === value.length) return 0;
  return (value.length - i - 1) * 8 + (32 - Math.clz32(value[i] ?? 0));
}

/** Describes a key blob the way `ssh-keygen -lf` does (bits, fingerprint, label). */
export function describeKey(blob: Buffer): KeyDescription {
  const type = keyTypeOf(blob);
  const parts = readSshStrings(blob, 4);
  let label = type.toUpperCase();
  let bits = 0;
  if (type === 'ssh-ed25519') {
    label = 'ED25519';
    bits = 256;
  } else if (type === 'ssh-ed448') {
    label = 'ED448';
    bits = 456;
  } else if (type === 'ssh-rsa') {
    label = 'RSA';
    bits = mpintBits(parts[2]);
  } else if (type === 'ssh-dss') {
    label = 'DSA';
    bits = mpintBits(parts[1]);
  } else if (type.startsWith('ecdsa-sha2-nistp')) {
    label = 'ECDSA';
    bits = Number(type.slice('ecdsa-sha2-nistp'.length)) || 0;
  }
  return { type, label, bits, fingerprint: fingerprintSha256(blob) };
}

/** Checks the shape of a user-supplied fingerprint (`SHA256:` + 43 base64 characters). */
export function isSha256Fingerprint(text: string): boolean {
  return /^SHA256:[A-Za-z0-9+/]{43}$/.test(text);
}
