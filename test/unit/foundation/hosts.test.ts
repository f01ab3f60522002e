import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { createBackend, type BackendHandle } from '../../../src/main/backend';
import { startServer, type RunningServer } from '../../../src/main/server';
import { METHOD_NAMES } from '../../../src/shared/api';
import { decodeMessage, encodeMessage } from '../../../src/shared/codec';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-home-'));
let handle: BackendHandle;
let server: RunningServer;
const staticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-static-'));
fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Hark</title>');

beforeAll(async () => {
  handle = createBackend({ host: 'browser', homeDir: home });
  server = await startServer({ handle, staticDir, maxRequestBytes: 1 << 20 });
});
afterAll(async () => {
  await server.close();
  handle.close();
  fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(staticDir, { recursive: true, force: true });
});

function connect(token: string | null, headers: Record<string, string> = {}): Promise<WebSocket> {
  const url = `ws://127.0.0.1:${server.port}/ws${token === null ? '' : `?token=${token}`}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function call(ws: WebSocket, method: string, params: unknown, id = Math.floor(Math.random() * 1e9)): Promise<{ ok: boolean; value?: unknown; error?: { code: string; field?: string } }> {
  return new Promise((resolve) => {
    const onMsg = (data: Buffer) => {
      const msg = decodeMessage(new Uint8Array(data)) as { id?: number; result?: never };
      if (msg.id === id) {
        ws.off('message', onMsg);
        resolve(msg.result!);
      }
    };
    ws.on('message', onMsg);
    ws.send(encodeMessage({ id, method, params }));
  });
}

describe('browser host', () => {
  it('binds to 127.0.0.1 by default and prints a URL with the token', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token).toMatch(/^[0-9a-f]{48}$/);
  });

  it('refuses HTTP requests without the right token and serves the page with it', async () => {
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${server.port}/?token=wrong`)).status).toBe(401);
    const ok = await fetch(server.url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(ok.headers.get('set-cookie')).toContain('HttpOnly');
    expect((await fetch(`http://127.0.0.1:${server.port}/../../etc/passwd?token=${server.token}`)).status).toBe(404);
  });

  it('refuses WebSocket upgrades without the right token or from a foreign origin', async () => {
    await expect(connect(null)).rejects.toThrow(/401/);
    await expect(connect('nope')).rejects.toThrow(/401/);
    await expect(connect(server.token, { Origin: 'http://evil.example' })).rejects.toThrow(/401/);
    const ws = await connect(null, { Cookie: `hark_token=${server.token}` });
    ws.close();
  });

  it('round-trips a method and validates requests', async () => {
    const ws = await connect(server.token);
    const info = await call(ws, 'app.info', {});
    expect(info).toMatchObject({ ok: true, value: { name: 'Hark', host: 'browser', project: null } });
    const bad = await call(ws, 'clips.waveform', { clipId: -1 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_request', field: 'clipId' } });
    const noProject = await call(ws, 'clips.list', {});
    expect(noProject).toMatchObject({ ok: false, error: { code: 'no_project' } });
    ws.close();
  });

  it('survives malformed frames and oversized requests and keeps answering', async () => {
    const ws = await connect(server.token);
    ws.send(Buffer.from([1, 2, 3]));
    ws.send('not binary at all');
    ws.send(encodeMessage({ id: 1, method: { evil: true }, params: 5 }));
    const info = await call(ws, 'app.info', {});
    expect(info.ok).toBe(true);
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send(Buffer.alloc(2 << 20)); // over maxRequestBytes: the socket is closed, the server stays up
    expect(await closed).toBe(1009);
    const again = await connect(server.token);
    expect((await call(again, 'app.info', {})).ok).toBe(true);
    again.close();
  });

  it('pushes events to connected clients', async () => {
    const ws = await connect(server.token);
    const got = new Promise<unknown>((resolve) =>
      ws.on('message', (d: Buffer) => {
        const m = decodeMessage(new Uint8Array(d)) as { event?: string; payload?: unknown };
        if (m.event === 'project.changed') resolve(m.payload);
      }),
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-proj-'));
    const created = await call(ws, 'project.create', { path: dir, name: 'Line 3' });
    expect(created.ok).toBe(true);
    expect(await got).toMatchObject({ project: { name: 'Line 3' } });
    expect(await call(ws, 'project.recent', {})).toMatchObject({ ok: true, value: [{ name: 'Line 3', exists: true }] });
    ws.close();
    await call(await connect(server.token), 'project.close', {});
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('Electron host binding', () => {
  it('binds every contract method to ipcMain and applies the security settings', async () => {
    const handled: string[] = [];
    const windows: { opts: { webPreferences: Record<string, unknown> }; openHandler?: (d: { url: string }) => unknown; navHandlers: ((e: { preventDefault: () => void }, url: string) => void)[] }[] = [];
    vi.doMock('electron', () => {
      class BrowserWindow {
        webContents: Record<string, unknown>;
        constructor(public opts: { webPreferences: Record<string, unknown> }) {
          const w = { opts, navHandlers: [] as ((e: { preventDefault: () => void }, url: string) => void)[], openHandler: undefined as undefined | ((d: { url: string }) => unknown) };
          windows.push(w);
          this.webContents = {
            setWindowOpenHandler: (h: (d: { url: string }) => unknown) => (w.openHandler = h),
            on: (ev: string, h: (e: { preventDefault: () => void }, url: string) => void) => ev === 'will-navigate' && w.navHandlers.push(h),
            send: () => undefined,
          };
        }
        once() {}
        on() {}
        loadFile() {
          return Promise.resolve();
        }
        loadURL() {
          return Promise.resolve();
        }
        isDestroyed() {
          return false;
        }
        static getAllWindows() {
          return [];
        }
      }
      return {
        app: { whenReady: () => Promise.resolve(), on: () => undefined, quit: () => undefined },
        BrowserWindow,
        ipcMain: { handle: (ch: string) => handled.push(ch) },
        session: { defaultSession: { webRequest: { onHeadersReceived: () => undefined }, setPermissionRequestHandler: () => undefined } },
        shell: { openExternal: () => Promise.resolve() },
      };
    });
    process.env.HARK_HOME = home;
    await import('../../../src/main/index');
    await new Promise((r) => setTimeout(r, 10));
    expect(handled.sort()).toEqual(METHOD_NAMES.map((n) => `hark:${n}`).sort());
    expect(windows).toHaveLength(1);
    expect(windows[0].opts.webPreferences).toMatchObject({ contextIsolation: true, nodeIntegration: false, sandbox: true });
    expect(windows[0].openHandler?.({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    let prevented = false;
    windows[0].navHandlers[0]({ preventDefault: () => (prevented = true) }, 'https://example.com/phish');
    expect(prevented).toBe(true);
    vi.doUnmock('electron');
  });
});
