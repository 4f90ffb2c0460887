import { lstatSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostConnection } from '../../../src-main/hosts/host-service';
import { volumeSink } from '../../../src-main/restore/volume-sink';
import type { Snapshot, SnapshotItem } from '../../../src-main/vault/snapshots';
import type { Vault } from '../../../src-main/vault/vault';
import { labInfo } from '../../helpers/lab';
import { diffViews, serverView } from '../../helpers/tree-view';
import { backupItem, docker, treeItem } from '../../helpers/volume-pull';
import { mountpointOf, removeVolumes, restoreCtx, restoreLab } from './restore-helpers';

describe('volume restore into a new volume', () => {
  let lab: Awaited<ReturnType<typeof restoreLab>>;
  let conn: HostConnection;
  let vault: Vault;
  let snapshot: Snapshot;
  let item: SnapshotItem;
  const fresh = `lbtest-restore-new-${process.pid}`;
  const otherHost = `lbtest-restore-other-${process.pid}`;

  beforeAll(async () => {
    lab = await restoreLab();
    ({ conn, vault } = lab);
    const backup = await backupItem(conn, vault, treeItem('volume', 'wiki_uploads', 'wiki'));
    snapshot = backup.snapshot;
    item = backup.result.stored;
  });
  afterAll(async () => {
    removeVolumes(fresh, otherHost);
    await lab?.close();
  });

  it('dry run lists everything as created and changes nothing', async () => {
    const preview = await volumeSink.preview(restoreCtx(conn, vault, snapshot, item, { mode: 'new-volume', volume: fresh }));
    expect(preview.summary).toMatch(new RegExp(`new volume ${fresh}.*35\\d to create`));
    expect(preview.deletes).toEqual([]);
    expect(() => docker('volume', 'inspect', fresh)).toThrow();
  });

  it('round trip of wiki_uploads (hostile names, links, 64 MiB file, empty dir) equals the original, root included', async () => {
    const ctx = restoreCtx(conn, vault, snapshot, item, { mode: 'new-volume', volume: fresh });
    const report = await volumeSink.restore(ctx);
    expect(report.location).toBe(`volume ${fresh}`);
    const original = mountpointOf('wiki_uploads');
    const restored = mountpointOf(fresh);
    expect(diffViews(serverView(original), serverView(restored))).toEqual([]);
    const [a, b] = [lstatSync(original, { bigint: true }), lstatSync(restored, { bigint: true })];
    expect([b.mode, b.uid, b.gid, b.mtimeNs]).toEqual([a.mode, a.uid, a.gid, a.mtimeNs]);
    expect(docker('volume', 'inspect', fresh, '--format', '{{index .Labels "org.lifeboat.restored-from"}}')).toBe(snapshot.id);
    expect(report.warnings.join('\n')).toMatch(/point outside the tree/);
  });

  it('to a different host entry (labuser: no root, Docker socket only) the volume is filled through the Docker archive endpoint and equals the original', async () => {
    const { ssh } = labInfo();
    await lab.hosts.add('lab-labuser', `ssh://labuser@${ssh.host}:${ssh.port}`, { identityFile: ssh.identityFile, fingerprints: [ssh.hostKeyFingerprint] });
    const other = await lab.hosts.open('lab-labuser', {});
    try {
      expect(other.probe).toMatchObject({ fileAccess: 'none' });
      expect(snapshot.host).not.toBe(other.host.name);
      const report = await volumeSink.restore(restoreCtx(other, vault, snapshot, item, { mode: 'new-volume', volume: otherHost }));
      expect(report.location).toBe(`volume ${otherHost}`);
      // The daemon unpacks the archive itself: every path's type, mode, owner, time, size and content as the original.
      expect(diffViews(serverView(mountpointOf('wiki_uploads')), serverView(mountpointOf(otherHost)))).toEqual([]);
    } finally {
      other.close();
    }
  });

  it('refuses an existing volume and leaves it alone', async () => {
    await expect(volumeSink.restore(restoreCtx(conn, vault, snapshot, item, { mode: 'new-volume', volume: fresh }))).rejects.toThrow(/already exists/);
    expect(serverView(mountpointOf(fresh)).size).toBeGreaterThan(350);
  });
});
