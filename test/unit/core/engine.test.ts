import { describe, expect, it } from 'vitest';
import { requestNames, isRequestName, eventNames, subscriberName } from '../../../src-main/api/contract';
import { LifeboatError, toErrorPayload } from '../../../src-main/api/errors';
import { buildNamedApi } from '../../../src-main/api/named-api';
import { createEngine } from '../../../src-main/engine/engine';
import { packageVersion } from '../../../src-main/engine/paths';

describe('engine', () => {
  const engine = createEngine({ door: 'cli', home: '/tmp/lifeboat-unit-home' });

  it('answers version with the package version and the door it serves', async () => {
    const info = await engine.call('version', {});
    expect(info.name).toBe('lifeboat');
    expect(info.version).toBe(packageVersion());
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.door).toBe('cli');
    expect(info.home).toBe('/tmp/lifeboat-unit-home');
    // `npm ci` builds ssh2's native crypto (package.json allowScripts); losing it would make
    // every transfer about a third slower without any other symptom.
    expect(info.sshCrypto).toBe('native');
  });

  it('echoes the ping nonce', async () => {
    const pong = await engine.call('ping', { nonce: 'abc' });
    expect(pong).toMatchObject({ pong: true, nonce: 'abc' });
    expect(Date.parse(pong.at)).not.toBeNaN();
  });

  it('treats a missing input as empty for requests without input', async () => {
    await expect(engine.call('version', undefined)).resolves.toMatchObject({ name: 'lifeboat' });
  });

  it('refuses unknown requests with bad-input', async () => {
    await expect(engine.call('rm -rf /', {})).rejects.toMatchObject({ code: 'bad-input' });
    await expect(engine.call('__proto__', {})).rejects.toMatchObject({ code: 'bad-input' });
    await expect(engine.call('toString', {})).rejects.toMatchObject({ code: 'bad-input' });
  });

  it('validates input at the boundary and reports where it is wrong', async () => {
    const err = await engine.call('ping', { nonce: 42 }).catch((e: unknown) => e);
    expect(toErrorPayload(err)).toMatchObject({ code: 'bad-input', message: expect.stringContaining('nonce') });
    const extra = await engine.call('version', { sneaky: true }).catch((e: unknown) => e);
    expect(toErrorPayload(extra).code).toBe('bad-input');
  });

  it('refuses work when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(engine.call('ping', {}, { signal: controller.signal })).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('validates events against the contract before publishing', () => {
    const seen: string[] = [];
    const off = engine.onEvent((event) => seen.push(event));
    engine.emit('jobProgress', { jobId: 'j1', phase: 'dump', label: 'Dumping', bytesDone: 10, rate: 5 });
    expect(() => engine.emit('jobProgress', { jobId: 'j1', phase: 'dump', label: 'x', bytesDone: -1, rate: 0 })).toThrow();
    off();
    engine.emit('jobProgress', { jobId: 'j1', phase: 'dump', label: 'Dumping', bytesDone: 20, rate: 5 });
    expect(seen).toEqual(['jobProgress']);
  });
});

describe('contract', () => {
  it('lists every request and recognises only those', () => {
    expect(requestNames).toContain('version');
    expect(requestNames).toContain('ping');
    expect(isRequestName('version')).toBe(true);
    expect(isRequestName('constructor')).toBe(false);
    expect(isRequestName(7)).toBe(false);
  });

  it('builds one named function per request and one subscriber per event', async () => {
    const calls: Array<[string, unknown]> = [];
    const api = buildNamedApi({
      request: async (method, input) => {
        calls.push([method, input]);
        return { ok: method };
      },
      subscribe: () => () => undefined,
    });
    for (const name of requestNames) expect(typeof (api as Record<string, unknown>)[name]).toBe('function');
    for (const event of eventNames) expect(typeof (api as Record<string, unknown>)[subscriberName(event)]).toBe('function');
    expect(subscriberName('jobProgress')).toBe('onJobProgress');
    await api.version();
    expect(calls).toEqual([['version', {}]]);
    expect(Object.isFrozen(api)).toBe(true);
    expect('invoke' in api).toBe(false);
  });

  it('turns internal errors into payloads that say it is a bug, without stacks', () => {
    const payload = toErrorPayload(new Error('boom'));
    expect(payload).toEqual({ code: 'internal', message: 'boom', hint: expect.stringContaining('bug') });
    expect(toErrorPayload(new LifeboatError('timeout', 'slow', 'retry'))).toEqual({ code: 'timeout', message: 'slow', hint: 'retry' });
  });
});
