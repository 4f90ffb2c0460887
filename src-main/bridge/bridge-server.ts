import { randomBytes, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServerFrame } from '../api/wire';
import { clientFrameSchema } from '../api/wire';
import { toErrorPayload } from '../api/errors';
import type { Engine } from '../engine/engine';
import { serveStatic } from './static-files';

/** Subprotocol prefix that carries the token (browsers cannot set headers on WebSockets). */
export const tokenProtocolPrefix = 'lifeboat-token.';

/** Options of the loopback bridge. */
export interface BridgeOptions {
  readonly engine: Engine;
  /** Built renderer (dist/renderer). */
  readonly rendererDir: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Fixed token for tests; random otherwise. */
  readonly token?: string;
}

/** A running bridge; `url` already carries the token in its fragment (never sent to servers). */
export interface RunningBridge {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** DNS-rebinding and cross-site guard: only our own loopback origin may talk to the bridge. */
export function isAllowedOrigin(req: IncomingMessage, port: number): boolean {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  const host = req.headers.host ?? '';
  if (!hosts.includes(host)) return false;
  const origin = req.headers.origin;
  return origin === undefined || hosts.some((h) => origin === `http://${h}`);
}

/**
 * Serves the renderer and the engine contract to a normal browser on 127.0.0.1, so the app
 * works headless and the end-to-end tests drive the real renderer against the real engine.
 */
export async function startBridge(options: BridgeOptions): Promise<RunningBridge> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  let port = 0;
  const server = createServer((req, res) => {
    if (!isAllowedOrigin(req, port)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden: wrong host or origin');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    serveStatic(options.rendererDir, req.url ?? '/', res).catch(() => res.writeHead(500).end());
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 4 * 1024 * 1024,
    handleProtocols: (protocols) => {
      for (const p of protocols) {
        if (p.startsWith(tokenProtocolPrefix) && sameToken(p.slice(tokenProtocolPrefix.length), token)) return p;
      }
      return false;
    },
  });
  server.on('upgrade', (req, socket, head) => {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
    const authorised = offered.some((p) => p.startsWith(tokenProtocolPrefix) && sameToken(p.slice(tokenProtocolPrefix.length), token));
    if (req.url !== '/api' || !isAllowedOrigin(req, port) || !authorised) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, options.engine));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/#token=${token}`,
    port,
    token,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function serveSocket(ws: WebSocket, engine: Engine): void {
  const pending = new Map<number, AbortController>();
  const send = (frame: ServerFrame) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };
  const unsubscribe = engine.onEvent((event, payload) => send({ kind: 'event', event, payload }));
  ws.on('close', () => {
    unsubscribe();
    for (const controller of pending.values()) controller.abort();
    pending.clear();
  });
  ws.on('message', (data) => {
    let frame;
    try {
      frame = clientFrameSchema.parse(JSON.parse(String(data)));
    } catch {
      ws.close(1003, 'malformed frame');
      return;
    }
    if (frame.kind === 'cancel') {
      pending.get(frame.id)?.abort();
      return;
    }
    const controller = new AbortController();
    const { id } = frame;
    pending.set(id, controller);
    engine
      .call(frame.method, frame.input, { signal: controller.signal })
      .then((output) => send({ kind: 'result', id, output }))
      .catch((err: unknown) => send({ kind: 'error', id, error: toErrorPayload(err) }))
      .finally(() => pending.delete(id));
  });
}
