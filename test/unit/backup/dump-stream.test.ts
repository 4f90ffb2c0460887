import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type DumpVerifier, checkedDump, sizeAnomaly } from '../../../src-main/backup/dump-stream';
import type { PreviousItem } from '../../../src-main/backup/source';
import type { RemoteExit, RemoteProcess } from '../../../src-main/hosts/remote-process';

/** A remote process that prints `chunks` and exits with `code`. */
function fakeProc(chunks: Buffer[], code: number | null, stderr = ''): RemoteProcess & { killed: boolean } {
  const proc = {
    stdout: Readable.from(chunks),
    done: Promise.resolve<RemoteExit>({ code, stderr }),
    killed: false,
    kill: async () => {
      proc.killed = true;
    },
  };
  return proc;
}

function previous(size: number): PreviousItem {
  return { snapshot: { id: 'a', time: '2026-01-01T00:00:00.000Z' } as PreviousItem['snapshot'], item: { size } as PreviousItem['item'] };
}

async function drain(source: AsyncIterable<Buffer>): Promise<number> {
  let n = 0;
  for await (const c of source) n += c.length;
  return n;
}

describe('checkedDump', () => {
  it('passes a good dump through', async () => {
    const info: Record<string, string> = {};
    const warnings: string[] = [];
    expect(await drain(checkedDump(fakeProc([Buffer.alloc(1000, 1), Buffer.alloc(500, 2)], 0), { what: 'd', info, warnings }))).toBe(1500);
    expect(warnings).toEqual([]);
    expect(info.warnings).toBeUndefined();
  });

  it('rejects a non-zero exit with the last line of stderr, after the bytes went through', async () => {
    await expect(drain(checkedDump(fakeProc([Buffer.alloc(100)], 3, 'noise\npg_dump: error: disk full\n'), { what: 'pg_dump of "x"', info: {}, warnings: [] }))).rejects.toThrow('pg_dump of "x" failed (exit 3): pg_dump: error: disk full');
  });

  it('rejects an empty dump even when the tool exited 0', async () => {
    await expect(drain(checkedDump(fakeProc([], 0), { what: 'd', info: {}, warnings: [] }))).rejects.toThrow('empty dump (0 bytes)');
  });

  it('rejects a dump whose tail lacks the completion marker', async () => {
    const checkTail = (t: string) => (t.includes('-- Dump completed') ? undefined : 'cut off');
    await expect(drain(checkedDump(fakeProc([Buffer.from('CREATE TABLE x;\n')], 0), { what: 'd', info: {}, warnings: [], checkTail }))).rejects.toThrow('d: cut off');
    expect(await drain(checkedDump(fakeProc([Buffer.from('x'.repeat(2000)), Buffer.from('\n-- Dump completed on 2026\n')], 0), { what: 'd', info: {}, warnings: [], checkTail }))).toBeGreaterThan(2000);
  });

  it('warns on the item and in the run when the dump is under half the last one', async () => {
    const info: Record<string, string> = {};
    const warnings: string[] = [];
    await drain(checkedDump(fakeProc([Buffer.alloc(400)], 0), { what: 'd', info, warnings, previous: previous(1000) }));
    expect(warnings[0]).toMatch(/under half the last one \(1000 B on 2026-01-01\)/);
    expect(JSON.parse(info.warnings ?? '[]')).toEqual(warnings);
    expect(sizeAnomaly(500, previous(1000), 'd')).toEqual({});
    expect(sizeAnomaly(499, previous(1000), 'd').warning).toBeDefined();
    expect(sizeAnomaly(1, undefined, 'd')).toEqual({});
  });

  it('fails when the verifier rejects, and aborts it and kills the tool when the consumer stops early', async () => {
    const calls: string[] = [];
    const verifier = (ok: boolean): DumpVerifier => ({
      write: async () => void calls.push('write'),
      finish: async () => {
        calls.push('finish');
        if (!ok) throw new Error('pg_restore rejected the dump');
      },
      abort: async () => void calls.push('abort'),
    });
    await expect(drain(checkedDump(fakeProc([Buffer.alloc(10)], 0), { what: 'd', info: {}, warnings: [], verifier: verifier(false) }))).rejects.toThrow('rejected');
    expect(calls).toEqual(['write', 'finish']);
    calls.length = 0;
    const proc = fakeProc([Buffer.alloc(10), Buffer.alloc(10)], 0);
    for await (const _ of checkedDump(proc, { what: 'd', info: {}, warnings: [], verifier: verifier(true) })) break;
    expect(calls).toEqual(['write', 'abort']);
    expect(proc.killed).toBe(true);
  });
});
