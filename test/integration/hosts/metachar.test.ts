import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverHost } from '../../../src-main/discovery/discover';
import { labInfo } from '../../helpers/lab';
import { labSecret, labUrl, makeService, tempHomes } from './hosts-helpers';

/**
 * Names with shell metacharacters in every place a server controls them: compose labels
 * (project, working dir, config files), a bind-mount path, file names in a volume and an
 * env_file entry. Each would create a marker file if anything were executed.
 */
const info = labInfo();
const docker = new Docker({ socketPath: info.docker.socket });
const tag = randomBytes(4).toString('hex');
const marker = `/tmp/lifeboat-PWNED-${tag}`;
const evil = `it's $(touch ${marker}) ;&|<>\`touch ${marker}\` "q" \\ *`;
/** The same without "/", usable as a file name; its marker lands in the shell's working directory. */
const evilName = `it's $(touch PWNED-${tag}) ;&|<>\`touch PWNED-${tag}\` "q" \\ *`;
const root = `/tmp/lifeboat-meta-${tag}`;
const dir = join(root, evil);
const project = `meta$(touch ${marker});x`;
const volume = `lb_meta_${tag}`;
const sqliteName = `db ${evilName}.sqlite`;
let containerId = '';
let homes: ReturnType<typeof tempHomes>;

beforeAll(async () => {
  homes = tempHomes();
  mkdirSync(join(dir, 'tls'), { recursive: true });
  writeFileSync(join(dir, 'docker-compose.yml'), `services:\n  app:\n    env_file:\n      - ./${evilName}.env\n`);
  writeFileSync(join(dir, `${evilName}.env`), 'TOKEN=not-a-real-one\n');
  writeFileSync(join(dir, '.env'), 'A=1\n');
  writeFileSync(join(dir, 'tls', `${evilName}.key`), '-----BEGIN PRIVATE KEY-----\n');
  const v = (await docker.createVolume({ Name: volume, Labels: { 'org.lifeboat.test': 'hosts-meta' } })) as unknown as { Mountpoint?: string };
  const mountpoint = v.Mountpoint ?? (await docker.getVolume(volume).inspect()).Mountpoint;
  copyFileSync(join(__dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'chinook', 'Chinook_Sqlite.sqlite'), join(mountpoint, sqliteName));
  const c = await docker.createContainer({
    name: `lb-meta-${tag}`,
    Image: info.images && typeof info.images === 'object' ? (info.images as Record<string, string>).tools : 'lifeboat-lab/tools:latest',
    Cmd: ['/usr/local/bin/lab-idle'],
    Labels: {
      'org.lifeboat.test': 'hosts-meta',
      'com.docker.compose.project': project,
      'com.docker.compose.service': 'app',
      'com.docker.compose.project.working_dir': dir,
      'com.docker.compose.project.config_files': join(dir, 'docker-compose.yml'),
    },
    HostConfig: {
      NetworkMode: 'none',
      Mounts: [
        { Type: 'bind', Source: dir, Target: '/cfg', ReadOnly: true },
        { Type: 'volume', Source: volume, Target: '/data' },
      ],
    },
  });
  containerId = c.id;
  await c.start();
});

afterAll(async () => {
  if (containerId) await docker.getContainer(containerId).remove({ force: true }).catch(() => undefined);
  await docker.getVolume(volume).remove().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
  rmSync(marker, { force: true });
  homes.cleanup();
});

describe('names with shell metacharacters', () => {
  it('are reported exactly and nothing is executed (root, host scans)', async () => {
    const svc = makeService(homes);
    await svc.add('lab', labUrl(), { identityFile: info.ssh.identityFile, fingerprints: [info.ssh.hostKeyFingerprint] });
    const conn = await svc.open('lab', {});
    let inv;
    try {
      inv = await discoverHost(conn);
    } finally {
      conn.close();
    }
    const stack = inv.stacks.find((s) => s.name === project);
    expect(stack?.workingDir).toBe(dir);
    const ids = stack?.items.map((i) => i.id) ?? [];
    expect(ids).toEqual(expect.arrayContaining([`${project}/bind:${dir}`, `${project}/sqlite:${volume}/${sqliteName}`, `${project}/volume:${volume}`, `${project}/secrets:compose`, `${project}/secrets:certs`]));
    const compose = stack?.items.find((i) => i.id === `${project}/secrets:compose`);
    expect(compose?.files).toEqual([join(dir, 'docker-compose.yml'), join(dir, '.env'), join(dir, `${evilName}.env`)]);
    expect(stack?.items.find((i) => i.kind === 'secrets' && i.name === 'certs')?.files).toEqual([join(dir, 'tls', `${evilName}.key`)]);
    for (const where of [marker, `/root/PWNED-${tag}`, `/PWNED-${tag}`, join(process.cwd(), `PWNED-${tag}`), join(dir, `PWNED-${tag}`)]) expect(existsSync(where)).toBe(false);
    const inside = await docker.getContainer(containerId).exec({ Cmd: ['sh', '-c', 'test -e "$1" || test -e "/PWNED-$2" || test -e "/data/PWNED-$2"', 'sh', marker, tag], AttachStdout: true });
    await (await inside.start({})).resume();
    await new Promise((r) => setTimeout(r, 200));
    expect((await inside.inspect()).ExitCode).toBe(1);
  });

  it('are reported exactly and nothing is executed (non-root, scans inside containers)', async () => {
    const svc = makeService(homes);
    await svc.add('pw', labUrl(info.ssh.passwordUser), { password: labSecret(info.ssh.passwordFile), fingerprints: [info.ssh.hostKeyFingerprint] });
    const conn = await svc.open('pw', {});
    let inv;
    try {
      inv = await discoverHost(conn);
    } finally {
      conn.close();
    }
    const ids = inv.stacks.find((s) => s.name === project)?.items.map((i) => i.id) ?? [];
    expect(ids).toContain(`${project}/sqlite:${volume}/${sqliteName}`);
    for (const where of [marker, `/PWNED-${tag}`, join(process.cwd(), `PWNED-${tag}`)]) expect(existsSync(where)).toBe(false);
  });
});
