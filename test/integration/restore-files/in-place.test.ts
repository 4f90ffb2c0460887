import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceFaults } from '../../../src-main/restore/in-place';
import { volumeSink } from '../../../src-main/restore/volume-sink';
import type { Snapshot, SnapshotItem } from '../../../src-main/vault/snapshots';
import { diffViews, serverView, vaultView } from '../../helpers/tree-view';
import { backupItem, docker, throwawayVolume, treeItem } from '../../helpers/volume-pull';
import { restoreCtx, restoreLab } from './restore-helpers';

/** Pids of GNU tar processes extracting into a Lifeboat staging directory next to `mountpoint`. */
function stagingTars(mountpoint: string): number[] {
  const parent = join(mountpoint, '..');
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (!cwd.startsWith(`${parent}/.lifeboat-restore-`)) continue;
      const cmd = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (cmd === 'tar') out.push(Number(pid));
    } catch {
      /* gone */
    }
  }
  return out;
}

describe('volume restore in place', () => {
  let lab: Awaited<ReturnType<typeof restoreLab>>;
  const vol = throwawayVolume('inplace', 'app');
  const item = treeItem('volume', vol.volume, 'lbtest');
  let snapshot: Snapshot;
  let stored: SnapshotItem;

  beforeAll(async () => {
    lab = await restoreLab();
    writeFileSync(join(vol.mountpoint, 'keep.txt'), 'original\n');
    writeFileSync(join(vol.mountpoint, 'gone.txt'), 'deleted later\n');
    execFileSync('dd', ['if=/dev/urandom', `of=${join(vol.mountpoint, 'big.bin')}`, 'bs=1M', 'count=64', 'status=none']);
    execFileSync('chown', ['-R', '1000:1000', vol.mountpoint]);
    ({ snapshot, result: { stored } } = await backupItem(lab.conn, lab.vault, item));
    // Live changes after the backup: one file edited, one deleted, one added.
    writeFileSync(join(vol.mountpoint, 'keep.txt'), 'edited since\n');
    rmSync(join(vol.mountpoint, 'gone.txt'));
    writeFileSync(join(vol.mountpoint, 'new.txt'), 'new since\n');
  });
  afterAll(async () => {
    replaceFaults.afterSwap = undefined;
    vol.remove();
    await lab?.close();
  });

  it('dry run shows what is created, overwritten (and differs) and deleted', async () => {
    const preview = await volumeSink.preview(restoreCtx(lab.conn, lab.vault, snapshot, stored, { mode: 'in-place' }));
    expect(preview.creates).toEqual(['gone.txt']);
    expect(preview.deletes).toEqual(['new.txt']);
    expect(preview.overwrites.sort()).toEqual(['big.bin', 'keep.txt']);
    expect(preview.details.map((d) => d.name)).toEqual(['keep.txt']);
    expect(preview.warnings.join()).toContain(vol.container);
    expect(preview.summary).toMatch(/1 to create .* 2 to overwrite .* 1 of them differ .* 1 to delete/);
  });

  it('a tar killed mid-way leaves the volume exactly as it was, and the container running', async () => {
    const before = serverView(vol.mountpoint);
    const ctx = restoreCtx(lab.conn, lab.vault, snapshot, stored, { mode: 'in-place' });
    const running = volumeSink.restore(ctx);
    let killed = 0;
    const deadline = Date.now() + 20_000;
    while (killed === 0 && Date.now() < deadline) {
      for (const pid of stagingTars(vol.mountpoint)) {
        process.kill(pid, 'SIGKILL');
        killed++;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(killed).toBeGreaterThan(0);
    await expect(running).rejects.toThrow(/unpacking|failed|killed/i);
    expect(diffViews(before, serverView(vol.mountpoint))).toEqual([]);
    expect(readdirSync(join(vol.mountpoint, '..')).filter((n) => n.startsWith('.lifeboat-'))).toEqual([]);
    expect(docker('inspect', '-f', '{{.State.Running}}', vol.container)).toBe('true');
  });

  it('a failure after the swap puts the previous content back', async () => {
    const before = serverView(vol.mountpoint);
    replaceFaults.afterSwap = async () => {
      throw new Error('injected after the swap');
    };
    try {
      await expect(volumeSink.restore(restoreCtx(lab.conn, lab.vault, snapshot, stored, { mode: 'in-place' }))).rejects.toThrow(/injected/);
    } finally {
      replaceFaults.afterSwap = undefined;
    }
    expect(diffViews(before, serverView(vol.mountpoint))).toEqual([]);
    expect(docker('inspect', '-f', '{{.State.Running}}', vol.container)).toBe('true');
  });

  it('succeeds: the volume equals the snapshot, a safety snapshot holds what was there, the container runs again', async () => {
    const before = serverView(vol.mountpoint);
    const ctx = restoreCtx(lab.conn, lab.vault, snapshot, stored, { mode: 'in-place' });
    const report = await volumeSink.restore(ctx);
    expect(diffViews(await vaultView(lab.vault, snapshot, item.id), serverView(vol.mountpoint))).toEqual([]);
    expect(report.safetyCopy).toMatch(/^snapshot [0-9a-f]{8} \(tag safety/);
    const safety = (await lab.vault.readAllSnapshots()).find((s) => s.tags.includes('safety') && report.safetyCopy?.includes(s.id.slice(0, 8)));
    expect(safety).toBeDefined();
    expect(diffViews(before, await vaultView(lab.vault, safety as Snapshot, item.id))).toEqual([]);
    expect(Number(safety?.items[0]?.info.reused)).toBeGreaterThan(0);
    expect(ctx.job.logs.join('\n')).toMatch(/stopping .*starting/s);
    expect(docker('inspect', '-f', '{{.State.Running}}', vol.container)).toBe('true');
    expect(readdirSync(join(vol.mountpoint, '..')).filter((n) => n.startsWith('.lifeboat-'))).toEqual([]);
  });
});
