import { randomBytes, scrypt, scryptSync } from 'node:crypto';
import { LifeboatError } from '../api/errors';

/** scrypt parameters as stored in a key file. */
export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
}

/** 2^16 at r = 8 is 64 MiB: the floor; key files asking for less are refused. */
export const MIN_LOG_N = 16;
/** 2^17 (128 MiB) is the ceiling, so opening a vault stays inside a backup's memory budget. */
export const MAX_LOG_N = 17;
const R = 8;
const P = 1;
/**
 * One derivation at the floor faster than this means the ceiling still unlocks in about a
 * third of a second, which every CLI command and every app unlock pays.
 */
const DOUBLE_BELOW_MS = 150;

/** Memory scrypt needs for N and r, with headroom; Node refuses more than `maxmem`. */
function maxmem(N: number, r: number): number {
  return 256 * N * r + 16 * 1024 * 1024;
}

/**
 * Picks N for a new key file: the floor, doubled once when this machine derives a key at the
 * floor in under 150 ms (so one unlock stays near a third of a second either way). `logN` skips the
 * measurement (tests pin it to the floor).
 */
export function calibrateScrypt(logN?: number, clock: () => number = Date.now): ScryptParams {
  const salt = randomBytes(32);
  if (logN !== undefined) {
    if (logN < MIN_LOG_N || logN > 20) throw new LifeboatError('bad-input', `scrypt log2(N) must be between ${MIN_LOG_N} and 20`);
    return { N: 2 ** logN, r: R, p: P, salt };
  }
  const N0 = 2 ** MIN_LOG_N;
  const t0 = clock();
  scryptSync('calibration', randomBytes(16), 32, { N: N0, r: R, p: P, maxmem: maxmem(N0, R) });
  const ms = clock() - t0;
  const N = ms < DOUBLE_BELOW_MS ? 2 ** MAX_LOG_N : N0;
  return { N, r: R, p: P, salt };
}

/** Checks stored parameters before spending memory on them. */
export function validateScrypt(params: { N: number; r: number; p: number }, where: string): void {
  const logN = Math.log2(params.N);
  if (!Number.isInteger(logN) || logN < MIN_LOG_N || logN > 22 || params.r < 8 || params.r > 32 || params.p < 1 || params.p > 4) {
    throw new LifeboatError('vault-format', `${where}: unsupported scrypt parameters (N=${params.N}, r=${params.r}, p=${params.p})`, 'this key file was not made by Lifeboat, or was altered');
  }
}

/** The key-encryption key: scrypt(passphrase (UTF-8, NFC), salt) on the thread pool. */
export function deriveKek(passphrase: string, params: ScryptParams): Promise<Buffer> {
  const secret = Buffer.from(passphrase.normalize('NFC'), 'utf8');
  return new Promise((resolve, reject) => {
    scrypt(secret, params.salt, 32, { N: params.N, r: params.r, p: params.p, maxmem: maxmem(params.N, params.r) }, (err, key) => {
      secret.fill(0);
      if (err) reject(err);
      else resolve(key);
    });
  });
}
