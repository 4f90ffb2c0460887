import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostConnection } from '../../../src-main/hosts/host-service';
import type { Vault } from '../../../src-main/vault/vault';
import { type LabSession, backupItem, docker, openLabSession, testJob, throwawayVolume, treeItem } from '../../helpers/volume-pull';

async function settle(check: () => string, want: string): Promise<string> {
  let last = check();
  for (let i = 0; i < 20 && last !== want; i++) {
    await new Promise((r) => setTimeout(r, 100));
    last = check();
  }
  return last;
}

describe('cancelling a pull', () => {
  let session: LabSession;
  const vol = throwawayVolume('cancel');
  const item = treeItem('volume', vol.volume);
  let conn: HostConnection;
  let vault: Vault;

  beforeAll(async () => {
    session = await openLabSession('cancel');
    ({ conn, vault } = session);
    execFileSync('sh', ['-c', 'head -c 400M /dev/urandom > "$1"', 'sh', join(vol.mountpoint, 'huge.bin')]);
  });
  afterAll(async () => {
    await session?.close();
    vol.remove();
  });

  for (const force of ['host', 'container'] as const) {
    it(`stops the remote tar (${force} rung), reports progress until then, and commits nothing`, async () => {
      const controller = new AbortController();
      const job = testJob(controller.signal);
      const run = backupItem(conn, vault, item, { force }, job);
      // abort once bytes are flowing (the pull is in the middle of the 400 MiB tar)
      for (let i = 0; i < 300 && !(job.phases.includes('transfer') && job.meter.snapshot().bytesDone > 0); i++) await new Promise((r) => setTimeout(r, 50));
      const progress = job.meter.snapshot();
      controller.abort();
      await expect(run).rejects.toMatchObject({ code: 'cancelled' });
      expect(job.phases).toContain('transfer');
      expect(progress).toMatchObject({ phase: 'transfer', bytesTotal: 400 * 2 ** 20, item: item.id });
      expect(progress.bytesDone).toBeGreaterThan(0);
      // tar processes on this machine reading this volume (others' tests may run tar elsewhere)
      const host = () => execFileSync('sh', ['-c', 'n=0; for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = tar ] && [ "$(readlink $p/cwd)" = "$1" ] && n=$((n+1)); done; echo $n', 'sh', vol.mountpoint], { encoding: 'utf8' }).trim();
      expect(await settle(host, '0')).toBe('0');
      // Also proves the container still answers `docker exec`: an abandoned attach stream used
      // to wedge every later exec in it (Docker 20.10) until the SSH connection closed.
      const inside = () => docker('exec', vol.container, 'sh', '-c', `ps -eo args | grep -c '[t]ar --null' || true`);
      expect(await settle(inside, '0')).toBe('0');
      expect(await vault.readAllSnapshots()).toEqual([]);
    });
  }
});
