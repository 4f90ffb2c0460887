import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningBridge, startBridge, tokenProtocolPrefix } from '../../../src-main/bridge/bridge-server';
import { resolveStaticPath } from '../../../src-main/bridge/static-files';
import { createEngine } from '../../../src-main/engine/engine';

function get(port: number, path: string, host = `127.0.0.1:${port}`): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += String(d)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function openSocket(bridge: RunningBridge, opts: { token?: string; origin?: string } = {}): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/api`, [`${tokenProtocolPrefix}${opts.token ?? bridge.token}`], {
    origin: opts.origin ?? `http://127.0.0.1:${bridge.port}`,
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function nextFrame(ws: WebSocket, predicate: (f: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const frame = JSON.parse(String(data)) as Record<string, unknown>;
      if (predicate(frame)) {
        ws.off('message', onMessage);
        resolve(frame);
      }
    };
    ws.on('message', onMessage);
  });
}

describe('loopback bridge', () => {
  const root = mkdtempSync(join(tmpdir(), 'lifeboat-bridge-'));
  const engine = createEngine({ door: 'bridge', home: join(root, 'home') });
  let bridge: RunningBridge;

  beforeAll(async () => {
    mkdirSync(join(root, 'renderer', 'assets'), { recursive: true });
    writeFileSync(join(root, 'renderer', 'index.html'), '<!doctype html><title>Lifeboat</title>');
    writeFileSync(join(root, 'renderer', 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(root, 'secret.txt'), 'do not serve');
    bridge = await startBridge({ engine, rendererDir: join(root, 'renderer') });
  });
  afterAll(async () => bridge.close());

  it('listens on 127.0.0.1 with a random token in the URL fragment', () => {
    expect(bridge.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${bridge.port}/#token=[A-Za-z0-9_-]{32}$`));
  });

  it('serves the renderer with a strict CSP', async () => {
    const index = await get(bridge.port, '/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('<title>Lifeboat</title>');
    expect(String(index.headers['content-security-policy'])).toContain("default-src 'self'");
    expect((await get(bridge.port, '/assets/app.js')).headers['content-type']).toContain('javascript');
  });

  it('never serves files outside the renderer directory', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/%00']) {
      const res = await get(bridge.port, path);
      expect(res.body).not.toContain('do not serve');
    }
    expect(resolveStaticPath('/srv/r', '/../../etc/passwd')).toBe('/srv/r/etc/passwd');
    expect(resolveStaticPath('/srv/r', '/%E0%A4%A')).toBeUndefined();
  });

  it('refuses requests for other host names (DNS rebinding)', async () => {
    expect((await get(bridge.port, '/', 'evil.example:80')).status).toBe(403);
  });

  it('serves the contract over the socket', async () => {
    const ws = await openSocket(bridge);
    ws.send(JSON.stringify({ kind: 'request', id: 1, method: 'version', input: {} }));
    const frame = await nextFrame(ws);
    expect(frame).toMatchObject({ kind: 'result', id: 1, output: { name: 'lifeboat', door: 'bridge' } });
    ws.send(JSON.stringify({ kind: 'request', id: 2, method: 'nope', input: {} }));
    expect(await nextFrame(ws)).toMatchObject({ kind: 'error', id: 2, error: { code: 'bad-input' } });
    ws.close();
  });

  it('forwards engine events to connected clients', async () => {
    const ws = await openSocket(bridge);
    const frame = nextFrame(ws, (f) => f.kind === 'event');
    engine.emit('jobProgress', { jobId: 'x', phase: 'test', label: 'Testing', bytesDone: 1, rate: 1 });
    expect(await frame).toMatchObject({ kind: 'event', event: 'jobProgress', payload: { jobId: 'x' } });
    ws.close();
  });

  it('refuses sockets with a wrong token or a foreign origin', async () => {
    await expect(openSocket(bridge, { token: 'x'.repeat(32) })).rejects.toThrow(/403/);
    await expect(openSocket(bridge, { origin: 'http://evil.example' })).rejects.toThrow(/403/);
  });

  it('closes the socket on a malformed frame', async () => {
    const ws = await openSocket(bridge);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('not json');
    expect(await closed).toBe(1003);
  });
});
