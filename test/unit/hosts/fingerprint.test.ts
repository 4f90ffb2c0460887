import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeKey, isSha256Fingerprint } from '../../../src-main/hosts/fingerprint';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-fp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function makeKey(type: string, bits?: number): { blob: Buffer; keygen: string } {
  const file = join(dir, `k-${type}-${bits ?? 0}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-C', 'test', '-f', file]);
  const pub = readFileSync(`${file}.pub`, 'utf8').split(' ');
  const keygen = execFileSync('ssh-keygen', ['-lf', `${file}.pub`], { encoding: 'utf8' }).trim();
  return { blob: Buffer.from(pub[1] ?? '', 'base64'), keygen };
}

describe('describeKey', () => {
  it.each([
    ['ed25519', undefined],
    ['rsa', 2048],
    ['rsa', 3072],
    ['ecdsa', 256],
    ['ecdsa', 384],
  ])('matches ssh-keygen -lf for %s %s', (type, bits) => {
    const { blob, keygen } = makeKey(type, bits);
    const d = describeKey(blob);
    // ssh-keygen -lf prints "<bits> SHA256:<b64> <comment> (<LABEL>)"
    expect(keygen).toBe(`${d.bits} ${d.fingerprint} test (${d.label})`);
    expect(isSha256Fingerprint(d.fingerprint)).toBe(true);
  });

  it('rejects malformed fingerprints', () => {
    expect(isSha256Fingerprint('SHA256:abc')).toBe(false);
    expect(isSha256Fingerprint('MD5:aa:bb')).toBe(false);
  });
});
