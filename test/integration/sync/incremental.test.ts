import { execFileSync } from 'node:child_process';
import { chownSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostConnection } from '../../../src-main/hosts/host-service';
import type { Vault } from '../../../src-main/vault/vault';
import { mutateScenario, seedScenario } from '../../helpers/tree-scenario';
import { diffViews, serverView, vaultView } from '../../helpers/tree-view';
import { type LabSession, backupItem, docker, openLabSession, throwawayVolume, treeItem } from '../../helpers/volume-pull';

const MiB = 1024 * 1024;

function randomFile(path: string, bytes: number): void {
  execFileSync('sh', ['-c', 'head -c "$1" /dev/urandom > "$2"', 'sh', String(bytes), path]);
}

describe('incremental pulls of a throwaway volume over SSH', () => {
  let session: LabSession;
  const vol = throwawayVolume('incr');
  const root = vol.mountpoint;
  const item = treeItem('volume', vol.volume);
  let conn: HostConnection;
  let vault: Vault;

  beforeAll(async () => {
    session = await openLabSession('incr');
    ({ conn, vault } = session);
    seedScenario(root);
    writeFileSync(join(root, 'owned'), 'owned by 1000');
    chownSync(join(root, 'owned'), 1000, 1000);
    randomFile(join(root, 'disk.img'), 32 * MiB);
  });
  afterAll(async () => {
    await session?.close();
    vol.remove();
  });

  it('first pull reads back equal (content, modes incl. setuid/sticky, owners, exact mtimes, links, empty dirs)', async () => {
    const { snapshot, result } = await backupItem(conn, vault, item);
    expect(diffViews(serverView(root), await vaultView(vault, snapshot, item.id))).toEqual([]);
    expect(result.stored.info).toMatchObject({ access: 'host', files: '8', fetched: '8', reused: '0' });
  });

  it('after adds, changes, deletes, renames, chmods and relinks, the next snapshot reads back equal and only what changed travelled', async () => {
    const changedBytes = mutateScenario(root);
    chownSync(join(root, 'a/keep.txt'), 33, 33);
    const { snapshot, result } = await backupItem(conn, vault, item);
    expect(diffViews(serverView(root), await vaultView(vault, snapshot, item.id))).toEqual([]);
    expect(result.stored.info).toMatchObject({ files: '8', fetched: '3', reused: '5', fetchedBytes: String(changedBytes), delta: '0' });
    // listing (gzipped) + NUL list + three files in tar framing; nothing of the 32 MiB image
    expect(result.bytesTransferred).toBeGreaterThan(changedBytes);
    expect(result.bytesTransferred).toBeLessThan(changedBytes + 3 * 1024 + 10 * 1024);
  });

  it('a big file changed in place goes through the block delta and moves only the changed blocks', async () => {
    execFileSync('sh', ['-c', 'printf "patched in place" | dd of="$1" bs=1 seek=$((5*1048576+100)) conv=notrunc status=none; printf "and here" | dd of="$1" bs=1 seek=$((20*1048576-4)) conv=notrunc status=none', 'sh', join(root, 'disk.img')]);
    const { snapshot, result } = await backupItem(conn, vault, item);
    expect(diffViews(serverView(root), await vaultView(vault, snapshot, item.id))).toEqual([]);
    // "and here" straddles blocks 19 and 20: three 1 MiB blocks travel, plus the block hashes
    expect(result.stored.info).toMatchObject({ delta: '1', deltaBlocks: '3/32', fetched: '0' });
    expect(result.bytesTransferred).toBeLessThan(3 * MiB + 32 * 65 + 16 * 1024);
  });

  it('nothing changed: nothing but the listing travels (exact-nanosecond quick check)', async () => {
    const { result } = await backupItem(conn, vault, item);
    expect(result.stored.info).toMatchObject({ fetched: '0', delta: '0', reused: '8' });
    expect(result.bytesTransferred).toBeLessThan(4096);
  });

  it('a log being appended during the pull is stored as a valid prefix (tar "file changed" is a warning, not corrupt data)', async () => {
    const log = join(root, 'app.log');
    writeFileSync(log, `${'start\n'.repeat(200_000)}`);
    docker('exec', '-d', vol.container, 'sh', '-c', 'echo $$ > /tmp/appender.pid; i=0; while :; do i=$((i+1)); echo "line $i" >> /data/app.log; done');
    try {
      const { snapshot, result } = await backupItem(conn, vault, item);
      const entries = [];
      for await (const e of vault.readTree(snapshot, item.id)) entries.push(e);
      const entry = entries.find((e) => e.path === 'app.log');
      expect(entry).toBeDefined();
      const stored = await vault.withReadLock('test', async () => {
        const parts: Buffer[] = [];
        for await (const c of vault.readTreeFile(entry!, item.id)) parts.push(c);
        return Buffer.concat(parts);
      });
      docker('exec', vol.container, 'sh', '-c', 'kill $(cat /tmp/appender.pid)');
      const now = readFileSync(log);
      expect(stored.length).toBeGreaterThan(1_200_000);
      expect(now.subarray(0, stored.length).equals(stored)).toBe(true);
      expect(result.warnings.every((w) => w.startsWith('app.log: kept changing'))).toBe(true);
    } finally {
      docker('exec', vol.container, 'sh', '-c', 'kill $(cat /tmp/appender.pid) 2>/dev/null || true');
    }
  });
});
