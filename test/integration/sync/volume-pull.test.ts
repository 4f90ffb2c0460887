import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostConnection } from '../../../src-main/hosts/host-service';
import type { Vault } from '../../../src-main/vault/vault';
import { diffViews, serverView, vaultView } from '../../helpers/tree-view';
import { type LabSession, backupItem, docker, openLabSession, treeItem } from '../../helpers/volume-pull';

describe('rsync-style pull of the seeded wiki uploads', () => {
  let session: LabSession;
  let conn: HostConnection;
  let vault: Vault;
  const item = treeItem('volume', 'wiki_uploads', 'wiki');
  const mountpoint = docker('volume', 'inspect', 'wiki_uploads', '--format', '{{.Mountpoint}}');

  beforeAll(async () => {
    session = await openLabSession('pull');
    ({ conn, vault } = session);
  });
  afterAll(() => session?.close());

  it('first pull as root reads back equal to the server: names, content, modes, owners, exact mtimes, links, empty dirs', async () => {
    const { snapshot, result, job } = await backupItem(conn, vault, item);
    expect(result.stored.info).toMatchObject({ access: 'host', root: mountpoint, reused: '0' });
    const server = serverView(mountpoint);
    const back = await vaultView(vault, snapshot, item.id);
    expect(diffViews(server, back)).toEqual([]);
    expect(server.size).toBeGreaterThan(350);
    expect(back.get('big/vm-disk.img')).toMatch(/^file 644 33:33 .* 67108864 05d89aae/);
    expect(back.get('hosts-link')).toBe('symlink 777 33:33 -> /etc/hosts');
    expect(result.warnings).toEqual([]);
    expect(job.phases).toEqual(['listing', 'listing', 'transfer', 'delta']);
    expect(result.bytesTransferred).toBeGreaterThan(64 * 2 ** 20);
  });

  it('second pull with nothing changed transfers only the listing and reuses every file', async () => {
    const { snapshot, result } = await backupItem(conn, vault, item);
    const info = result.stored.info;
    expect(info.fetched).toBe('0');
    expect(info.reused).toBe(info.files);
    expect(result.bytesTransferred).toBeLessThan(64 * 1024);
    expect(diffViews(serverView(mountpoint), await vaultView(vault, snapshot, item.id))).toEqual([]);
  });
});
