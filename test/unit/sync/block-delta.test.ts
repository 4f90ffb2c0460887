import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockHashCommand, fetchRangesCommand, parseBlockHashes, planDelta } from '../../../src-main/sync/block-delta';

const blockSize = 4096;

function hashes(data: Buffer): string[] {
  const out: string[] = [];
  for (let i = 0; i < data.length; i += blockSize) out.push(createHash('sha256').update(data.subarray(i, i + blockSize)).digest('hex'));
  return out;
}

function pseudoRandom(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    b[i] = x >> 16;
  }
  return b;
}

describe('block delta', () => {
  it('hashes blocks with coreutils exactly as the engine does, for hostile names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-delta-'));
    const data = pseudoRandom(blockSize * 5 + 100, 1);
    const path = join(dir, "it's $(touch PWNED).db");
    writeFileSync(path, data);
    const remote = parseBlockHashes(execSync(blockHashCommand(path, blockSize), { encoding: 'utf8', shell: '/bin/sh' }));
    expect(remote).toEqual(hashes(data));
  });

  it('fetches only the changed blocks and rebuilds the new version exactly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-delta-'));
    const before = pseudoRandom(blockSize * 20, 2);
    const after = Buffer.from(before);
    after.fill(7, blockSize * 3 + 10, blockSize * 3 + 20);
    after.fill(9, blockSize * 4, blockSize * 4 + 1);
    after.fill(1, blockSize * 11, blockSize * 11 + 5);
    const grown = Buffer.concat([after, pseudoRandom(blockSize + 17, 3)]);
    const path = join(dir, 'db');
    writeFileSync(path, grown);
    const plan = planDelta(hashes(before), hashes(grown));
    expect(plan.ranges).toEqual([{ first: 3, count: 2 }, { first: 11, count: 1 }, { first: 20, count: 2 }]);
    expect(plan.blocksToFetch).toBe(5);
    const fetched = execSync(fetchRangesCommand(path, plan.ranges, blockSize), { shell: '/bin/sh' });
    let offset = 0;
    const parts: Buffer[] = [];
    for (const source of plan.sources) {
      if (source.from === 'previous') parts.push(before.subarray(source.block * blockSize, (source.block + 1) * blockSize));
      else {
        const length = Math.min(blockSize, grown.length - source.block * blockSize);
        parts.push(fetched.subarray(offset, offset + length));
        offset += length;
      }
    }
    expect(offset).toBe(fetched.length);
    expect(Buffer.concat(parts).equals(grown)).toBe(true);
  });

  it('reuses blocks that moved and refuses garbage hash output', () => {
    const a = ['aa'.repeat(32), 'bb'.repeat(32), 'cc'.repeat(32)];
    expect(planDelta(a, [a[2] as string, a[0] as string]).blocksToFetch).toBe(0);
    expect(() => parseBlockHashes('split: cannot open')).toThrow(/unexpected/);
  });
});
