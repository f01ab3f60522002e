// Browser host: the same backend over WebSocket on 127.0.0.1, with a per-start token.
// Used by `hark serve`, by `npm start` where Electron is missing, and by the end-to-end tests.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeMessage, encodeMessage } from '../shared/codec';
import type { BackendHandle } from './backend';
import { dispatch } from './hosts/dispatch';
import { CONTENT_SECURITY_POLICY } from './hosts/security';

export interface ServerOptions {
  handle: BackendHandle;
  host?: string;
  port?: number;
  /** built renderer (index.html and assets); when absent only the WebSocket is served */
  staticDir?: string | null;
  token?: string;
  maxRequestBytes?: number;
}

export interface RunningServer {
  url: string;
  token: string;
  port: number;
  host: string;
  close(): Promise<void>;
}

const COOKIE = 'hark_token';
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.ico': 'image/x-icon',
};

function sameToken(a: string | null | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: http.IncomingMessage): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return null;
}

/** The request target as a URL, or null when it does not parse (a raw client can send anything). */
function requestUrl(req: http.IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://local');
  } catch {
    return null;
  }
}

function requestToken(req: http.IncomingMessage): string | null {
  return requestUrl(req)?.searchParams.get('token') ?? cookieToken(req);
}

function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (!origin) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false; // 'null' (sandboxed frames, file:) and garbage are foreign
  }
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const host = opts.host ?? '127.0.0.1';
  const maxRequestBytes = opts.maxRequestBytes ?? 16 * 1024 * 1024;
  const staticDir = opts.staticDir && fs.existsSync(path.join(opts.staticDir, 'index.html')) ? path.resolve(opts.staticDir) : null;
  const { handle } = opts;

  const server = http.createServer((req, res) => {
    const common = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, common).end('method not allowed');
      return;
    }
    if (!sameToken(requestToken(req), token)) {
      res.writeHead(401, { ...common, 'Content-Type': 'text/plain; charset=utf-8' }).end('Hark: missing or wrong token. Open the URL that `hark serve` printed.');
      return;
    }
    const url = requestUrl(req);
    if (!url) {
      res.writeHead(400, { ...common, 'Content-Type': 'text/plain; charset=utf-8' }).end('bad request: malformed request target');
      return;
    }
    if (url.searchParams.has('token')) {
      // move the token into a same-site cookie so assets and the socket carry it, then drop it from the URL bar
      res.setHeader('Set-Cookie', `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    }
    if (!staticDir) {
      res.writeHead(404, { ...common, 'Content-Type': 'text/plain; charset=utf-8' }).end('the renderer is not built: run `npm run build`');
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400, { ...common, 'Content-Type': 'text/plain; charset=utf-8' }).end('bad request: malformed percent-encoding');
      return;
    }
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = path.resolve(staticDir, '.' + rel);
    if (!file.startsWith(staticDir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { ...common, 'Content-Type': 'text/plain; charset=utf-8' }).end('not found');
      return;
    }
    const ext = path.extname(file);
    const headers: Record<string, string> = { ...common, 'Content-Type': MIME[ext] ?? 'application/octet-stream' };
    if (ext === '.html') headers['Content-Security-Policy'] = CONTENT_SECURITY_POLICY;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).on('error', () => res.destroy()).pipe(res); // a file gone since the stat must not take the host down
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxRequestBytes });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy()); // a client that resets mid-handshake must not take the host down
    if (!sameToken(requestToken(req), token) || !sameOrigin(req.headers.origin, req.headers.host)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const clients = new Set<WebSocket>();
  const unsubscribe = handle.events.subscribe((event, payload) => {
    const frame = encodeMessage({ event, payload });
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(frame);
  });

  wss.on('connection', (ws) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
    ws.on('message', async (data, isBinary) => {
      let id: unknown = null;
      try {
        const bytes = isBinary ? new Uint8Array(data as Buffer) : new Uint8Array(Buffer.from(String(data)));
        const msg = decodeMessage(bytes) as { id?: unknown; method?: unknown; params?: unknown };
        if (!msg || typeof msg !== 'object') throw new Error('not an object');
        id = typeof msg.id === 'number' || typeof msg.id === 'string' ? msg.id : null;
        const result = await dispatch(handle.backend, msg.method, msg.params, { host: 'browser' });
        ws.send(encodeMessage({ id, result }));
      } catch (e) {
        const message = `malformed request: ${e instanceof Error ? e.message : String(e)}`;
        if (ws.readyState === ws.OPEN) ws.send(encodeMessage({ id, result: { ok: false, error: { code: 'invalid_request', message } } }));
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 0);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    token,
    port,
    host,
    close: async () => {
      unsubscribe();
      for (const ws of clients) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
