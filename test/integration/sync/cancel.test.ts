import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerSpawn } from '../../../src-main/hosts/docker-spawn';
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

/**
 * tar processes inside a container, counted by a synchronous `docker exec` (which also shows the
 * container still answers). The lab's app image has no ps: read /proc.
 */
function tarsInside(container: string): string {
  return docker('exec', container, 'sh', '-c', `for c in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < "$c"; echo; done 2>/dev/null | grep -c '^tar ' || true`);
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
      // At once, not eventually: a cancelled pull returns only when its container process is
      // gone and the attach stream is closed. This also proves the container still answers
      // `docker exec`: a stream left unread while its process exited wedged every later exec in
      // it (Docker 20.10) — the synchronous exec here blocks our event loop, so a kill still in
      // flight behind the rejected run would hang it.
      expect(tarsInside(vol.container)).toBe('0');
      expect(await vault.readAllSnapshots()).toEqual([]);
    });
  }

  it('a kill the cancel already started is awaited to its end by every later kill() (the container tar is gone, the container answers)', async () => {
    const controller = new AbortController();
    const proc = await containerSpawn(conn.docker, vol.container, ['tar', '-C', '/data', '-cf', '-', 'huge.bin'], { user: '0', signal: controller.signal });
    // Output flows, then nobody reads it (the vault holding the source for backpressure); the
    // pid marker on stderr may still be behind that output, and the kill has to find it.
    await new Promise<void>((resolve) =>
      proc.stdout.once('data', () => {
        proc.stdout.pause();
        resolve();
      }),
    );
    controller.abort(); // the abort listener starts the kill…
    await proc.kill(); // …and the pull's error path awaits it: it must not return while the stop is in flight
    // Synchronous from here on, like the check that used to hang for 60 s.
    expect(tarsInside(vol.container)).toBe('0');
    expect(await proc.done).toMatchObject({ signal: 'TERM' });
  });
});
