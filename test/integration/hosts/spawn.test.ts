import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerSpawn } from '../../../src-main/hosts/docker-spawn';
import type { HostConnection } from '../../../src-main/hosts/host-service';
import { labInfo } from '../../helpers/lab';
import { labUrl, makeService, tempHomes } from './hosts-helpers';

async function drain(stream: NodeJS.ReadableStream, delayEveryMs = 0): Promise<{ bytes: number; sha: string; text: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let text = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    hash.update(chunk);
    if (text.length < 1000) text += chunk.toString('utf8');
    if (delayEveryMs > 0) await new Promise((r) => setTimeout(r, delayEveryMs));
  }
  return { bytes, sha: hash.digest('hex'), text };
}

describe('streaming remote processes on the lab', () => {
  const homes = tempHomes();
  let conn: HostConnection;

  beforeAll(async () => {
    const service = makeService(homes);
    await service.add('lab', labUrl(), { identityFile: labInfo().ssh.identityFile, fingerprints: [labInfo().ssh.hostKeyFingerprint] });
    conn = await service.open('lab', {});
  });
  afterAll(() => {
    conn?.close();
    homes.cleanup();
  });

  it('streams a large SSH command output with its exit code, byte for byte', async () => {
    const proc = await conn.spawn!(`head -c 50000000 /dev/zero | tr '\\0' 'x'; echo done >&2; exit 7`);
    const out = await drain(proc.stdout);
    const exit = await proc.done;
    expect(out.bytes).toBe(50_000_000);
    expect(exit.code).toBe(7);
    expect(exit.stderr).toContain('done');
  });

  it('keeps memory flat with a slow reader (backpressure reaches the server)', async () => {
    const before = process.memoryUsage().rss;
    const proc = await conn.spawn!('head -c 64000000 /dev/urandom');
    let peak = before;
    const out = await (async () => {
      let n = 0;
      for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
        n += chunk.length;
        if (n % (8 * 2 ** 20) < chunk.length) {
          peak = Math.max(peak, process.memoryUsage().rss);
          await new Promise((r) => setTimeout(r, 30));
        }
      }
      return n;
    })();
    expect(out).toBe(64_000_000);
    expect((await proc.done).code).toBe(0);
    expect(peak - before).toBeLessThan(48 * 2 ** 20);
  });

  it('kills the remote SSH process on abort', async () => {
    const marker = `lifeboat-spawn-${process.pid}-${Date.now()}`;
    const controller = new AbortController();
    const proc = await conn.spawn!(`sh -c 'while :; do echo ${marker}; sleep 0.05; done'`, { signal: controller.signal });
    const reader = drain(proc.stdout);
    await new Promise((r) => setTimeout(r, 300));
    controller.abort();
    await reader.catch(() => undefined);
    await proc.done;
    await new Promise((r) => setTimeout(r, 300));
    // The bracket keeps the pattern from matching the shell that runs pgrep.
    const left = await conn.exec!(`pgrep -f '[l]${marker.slice(1)}' || true`);
    expect(left.stdout.toString().trim()).toBe('');
  });

  it('streams from inside a container, passing secrets only through the environment', async () => {
    const proc = await containerSpawn(conn.docker, 'lab-standalone', ['sh', '-c', 'printf "%s" "$LIFEBOAT_TEST_SECRET"; ps -o args | grep -c sword[f]ish >&2; exit 0'], {
      env: ['LIFEBOAT_TEST_SECRET=swordfish'],
    });
    const out = await drain(proc.stdout);
    const exit = await proc.done;
    expect(out.text).toBe('swordfish');
    expect(exit.code).toBe(0);
    // No process carries the secret in its arguments (the bracket keeps grep from matching itself).
    expect(exit.stderr.trim()).toBe('0');
  });

  it('reports a container command failure with its exit code and stderr', async () => {
    const proc = await containerSpawn(conn.docker, 'lab-standalone', ['sh', '-c', 'echo partial; echo "disk full" >&2; exit 3']);
    const out = await drain(proc.stdout);
    const exit = await proc.done;
    expect(out.text).toBe('partial\n');
    expect(exit).toMatchObject({ code: 3, stderr: expect.stringContaining('disk full') });
  });

  it('stops the process inside the container on kill', async () => {
    const proc = await containerSpawn(conn.docker, 'lab-standalone', ['sh', '-c', 'while :; do echo lifeboat-kill-me; sleep 0.05; done']);
    const reader = drain(proc.stdout, 0);
    await new Promise((r) => setTimeout(r, 300));
    await proc.kill();
    await reader.catch(() => undefined);
    const exit = await proc.done;
    expect(exit.signal).toBe('TERM');
    const check = await containerSpawn(conn.docker, 'lab-standalone', ['sh', '-c', 'ps -o args | grep -v grep | grep -c lifeboat-kill-me || true']);
    expect((await drain(check.stdout)).text.trim()).toBe('0');
  });
});
