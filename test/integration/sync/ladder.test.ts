import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostConnection } from '../../../src-main/hosts/host-service';
import type { Vault } from '../../../src-main/vault/vault';
import { labInfo } from '../../helpers/lab';
import { diffViews, serverView, vaultView } from '../../helpers/tree-view';
import { type LabSession, backupItem, docker, labImage, openLabSession, testLabel, throwawayVolume, treeItem } from '../../helpers/volume-pull';

const volumeRoot = (name: string) => docker('volume', 'inspect', name, '--format', '{{.Mountpoint}}');
const wikiBind = join(labInfo().stateDir, 'stacks/wiki/config');

describe('the access ladder on the lab', () => {
  let session: LabSession;
  let dir: string;
  let root: HostConnection;
  let labuser: HostConnection;
  let vault: Vault;
  const uploads = treeItem('volume', 'wiki_uploads', 'wiki');
  const uploadsRoot = volumeRoot('wiki_uploads');

  beforeAll(async () => {
    session = await openLabSession('ladder');
    ({ conn: root, vault, dir } = session);
    const { host, port, identityFile, hostKeyFingerprint } = labInfo().ssh;
    await session.hosts.add('lab-user', `ssh://labuser@${host}:${port}`, { identityFile, fingerprints: [hostKeyFingerprint] });
    labuser = await session.hosts.open('lab-user', {});
  });
  afterAll(async () => {
    labuser?.close();
    await session?.close();
  });

  it('the container rung (GNU find/tar inside wiki-app-1) reads back equal, exact mtimes included', async () => {
    const { snapshot, result } = await backupItem(root, vault, uploads, { force: 'container' });
    expect(result.stored.info).toMatchObject({ access: 'container', container: 'wiki-app-1', root: '/srv/uploads' });
    expect(diffViews(serverView(uploadsRoot), await vaultView(vault, snapshot, uploads.id))).toEqual([]);
  });

  it('the archive rung streams everything and still reads back equal (times to the second)', async () => {
    const { snapshot, result } = await backupItem(root, vault, uploads, { force: 'archive' });
    expect(result.stored.info).toMatchObject({ access: 'archive', root: '/srv/uploads', reused: '0' });
    expect(result.bytesTransferred).toBeGreaterThan(64 * 2 ** 20);
    expect(diffViews(serverView(uploadsRoot, { mtimes: false }), await vaultView(vault, snapshot, uploads.id, { mtimes: false }))).toEqual([]);
    const entries = [];
    for await (const e of vault.readTree(snapshot, uploads.id)) entries.push(e);
    expect(entries.find((e) => e.path === 'big/vm-disk.img')).toMatchObject({ mtime: Date.UTC(2024, 0, 1), size: 67108864 });
  });

  it('a user with passwordless sudo (not root, not in group docker) reaches Docker and the files through sudo -n', async () => {
    const { host, port, identityFile, hostKeyFingerprint, sudoUser } = labInfo().ssh;
    await session.hosts.add('lab-sudo', `ssh://${sudoUser ?? 'labsudo'}@${host}:${port}`, { identityFile, fingerprints: [hostKeyFingerprint] });
    const sudo = await session.hosts.open('lab-sudo', {});
    try {
      expect(sudo.probe).toMatchObject({ user: sudoUser, sudo: true, fileAccess: 'sudo', dockerAccess: 'sudo-dial-stdio' });
      // The ladder picks the sudo rung by itself; the tree (root-owned files, modes, owners,
      // exact mtimes) reads back equal, and the quick check reuses what the root pull stored.
      const { snapshot, result } = await backupItem(sudo, vault, uploads);
      expect(result.stored.info).toMatchObject({ access: 'host-sudo', root: uploadsRoot });
      expect(diffViews(serverView(uploadsRoot), await vaultView(vault, snapshot, uploads.id))).toEqual([]);
      // A changed file travels through sudo as well.
      writeFileSync(join(uploadsRoot, 'lbtest-sudo.txt'), `changed by ${process.pid}`);
      try {
        const again = await backupItem(sudo, vault, uploads);
        expect(again.result.stored.info).toMatchObject({ access: 'host-sudo', fetched: '1' });
        expect(diffViews(serverView(uploadsRoot), await vaultView(vault, again.snapshot, uploads.id))).toEqual([]);
      } finally {
        execFileSync('rm', ['-f', join(uploadsRoot, 'lbtest-sudo.txt')]);
      }
    } finally {
      sudo.close();
    }
  });

  it('without root or sudo, the ladder picks a container with GNU tools, else the archive endpoint', async () => {
    const viaContainer = await backupItem(labuser, vault, uploads);
    expect(viaContainer.result.stored.info).toMatchObject({ access: 'container', container: 'wiki-app-1', accessNote: expect.stringMatching(/neither root nor allowed passwordless sudo/) });
    // the previous snapshot came from another rung: the quick check still reuses everything
    expect(viaContainer.result.stored.info.fetched).toBe('0');
    const standalone = treeItem('volume', 'standalone_data');
    const viaArchive = await backupItem(labuser, vault, standalone);
    expect(viaArchive.result.stored.info).toMatchObject({ access: 'archive', container: 'lab-standalone', accessNote: expect.stringMatching(/lab-standalone: no GNU find\/tar/) });
    expect(diffViews(serverView(volumeRoot('standalone_data'), { mtimes: false }), await vaultView(vault, viaArchive.snapshot, standalone.id, { mtimes: false }))).toEqual([]);
  });

  it('a host path that cannot be listed falls through to the container that mounts it', async () => {
    const vol = throwawayVolume('stale');
    try {
      writeFileSync(join(vol.mountpoint, 'kept.txt'), 'still visible inside the container');
      // The container keeps its mount of the directory; the host path no longer leads there.
      renameSync(vol.mountpoint, `${vol.mountpoint}.moved`);
      const item = treeItem('volume', vol.volume);
      const { snapshot, result, job } = await backupItem(root, vault, item);
      expect(result.stored.info).toMatchObject({ access: 'container', container: vol.container, accessNote: expect.stringMatching(/cannot be entered/) });
      expect(job.logs.join('\n')).toMatch(/trying the next way in/);
      expect(diffViews(serverView(`${vol.mountpoint}.moved`), await vaultView(vault, snapshot, item.id))).toEqual([]);
    } finally {
      renameSync(`${vol.mountpoint}.moved`, vol.mountpoint);
      vol.remove();
    }
  });

  it('bind mounts: the host rung and the container that mounts it (read-only) read back equal', async () => {
    const bind = treeItem('bind', wikiBind, 'wiki');
    const host = await backupItem(root, vault, bind);
    expect(host.result.stored.info).toMatchObject({ access: 'host', root: wikiBind });
    expect(diffViews(serverView(wikiBind), await vaultView(vault, host.snapshot, bind.id))).toEqual([]);
    const inside = await backupItem(root, vault, bind, { force: 'container' });
    expect(inside.result.stored.info).toMatchObject({ access: 'container', root: '/etc/wiki', fetched: '0' });
    expect(diffViews(serverView(wikiBind), await vaultView(vault, inside.snapshot, bind.id))).toEqual([]);
  });

  it('names with shell metacharacters execute nothing on any rung (volume and bind paths)', async () => {
    // Markers are relative (a file name cannot hold "/"): they would land in the working
    // directory of whatever ran them, which is checked below on the host and in the container.
    const marker = `lbtest-pwned-${process.pid}`;
    const vol = throwawayVolume('meta');
    const bindDir = join(dir, `bind $(touch ${marker}-bind) '; touch ${marker}-q; '`);
    const hostile = [
      `$(touch ${marker}-1)`,
      `\`touch ${marker}-2\``,
      `; touch ${marker}-3`,
      `'; touch ${marker}-4; '`,
      `--checkpoint=1 --checkpoint-action=exec=touch ${marker}-5`,
      '-rf',
      'new\nline "and" \\back\\slash',
      `| touch ${marker}-6 &`,
      '*',
    ];
    try {
      mkdirSync(join(vol.mountpoint, `$(touch ${marker}-dir)`));
      for (const name of hostile) writeFileSync(join(vol.mountpoint, `$(touch ${marker}-dir)`, name), name);
      for (const name of hostile) writeFileSync(join(vol.mountpoint, name), `top ${name}`);
      writeFileSync(join(vol.mountpoint, 'big $(id).bin'), Buffer.alloc(20 * 2 ** 20, 1));
      const item = treeItem('volume', vol.volume);
      for (const force of ['host', 'container', 'archive'] as const) {
        const { snapshot } = await backupItem(root, vault, item, { force });
        expect(diffViews(serverView(vol.mountpoint, { mtimes: false }), await vaultView(vault, snapshot, item.id, { mtimes: false }))).toEqual([]);
      }
      // a changed big file with a hostile name goes through the block delta on both shell rungs
      execFileSync('sh', ['-c', 'printf x | dd of="$1" bs=1 seek=9 conv=notrunc status=none', 'sh', join(vol.mountpoint, 'big $(id).bin')]);
      const delta = await backupItem(root, vault, item, { force: 'container' });
      expect(delta.result.stored.info).toMatchObject({ delta: '1', deltaBlocks: '1/20' });

      mkdirSync(bindDir);
      writeFileSync(join(bindDir, hostile[0] as string), 'in a hostile bind path');
      const bindUser = `lbtest-meta-bind-${process.pid}`;
      docker('run', '-d', '--name', bindUser, '--label', testLabel, '--network', 'none', '-v', `${bindDir}:/mnt/in`, labImage('app'));
      try {
        const bind = treeItem('bind', bindDir);
        for (const force of ['host', 'container'] as const) {
          const { snapshot } = await backupItem(root, vault, bind, { force });
          expect(diffViews(serverView(bindDir, { mtimes: false }), await vaultView(vault, snapshot, bind.id, { mtimes: false }))).toEqual([]);
        }
      } finally {
        docker('rm', '-f', bindUser);
      }
      const inContainer = docker('exec', vol.container, 'sh', '-c', `find / -xdev -name '${marker}*' 2>/dev/null | wc -l`);
      expect(inContainer).toBe('0');
      const onHost = execFileSync('sh', ['-c', `find / /root /tmp /var/tmp "$1" "$2" -maxdepth 1 -name '${marker}*' 2>/dev/null | wc -l`, 'sh', vol.mountpoint, bindDir], { encoding: 'utf8' }).trim();
      expect(onHost).toBe('0');
      expect(existsSync('/tmp/pwned')).toBe(false);
      expect(existsSync(join(uploadsRoot, 'pwned'))).toBe(false);
    } finally {
      vol.remove();
    }
  });
});
