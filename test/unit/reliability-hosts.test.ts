// Issue 11, point 3: the browser host refuses everything without its token (HTTP and WebSocket
// upgrade), binds 127.0.0.1, limits request sizes, and stays up and answering through 10,000
// requests fuzzed from the contract's schemas; the Electron host's security settings hold.
// The host under test is `hark serve` in its own process, as a user runs it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listDcase } from '../../src/main/data/import/dcase';
import { importListing } from '../../src/main/data/import/importer';
import { CONTENT_SECURITY_POLICY, WEB_PREFERENCES } from '../../src/main/hosts/security';
import { startServer } from '../../src/main/server';
import { createBackend } from '../../src/main/backend';
import { Store } from '../../src/main/store/store';
import { METHOD_NAMES } from '../../src/shared/api';
import { goodWav } from '../fixtures/bad/make';
import { Client, fuzzHttp, rawHttp, runFuzz, startServe, type ServeChild } from '../reliability/host';
import { recordSuiteFigures } from '../reliability/figures';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-rel-hosts-'));
const project = path.join(work, 'project');
const sandbox = path.join(work, 'sandbox');
let clipIds: number[] = [];
let srv: ServeChild;

beforeAll(async () => {
  // a small real project: six 1 s clips, so fuzzed clip calls reach the store and the audio engine
  const pkg = path.join(work, 'pkg');
  for (let i = 0; i < 6; i++) {
    const split = i < 3 ? 'train' : 'test';
    const f = path.join(pkg, 'fan', split, `section_00_source_${split}_${i % 2 ? 'anomaly' : 'normal'}_000${i}_a_${i % 3}.wav`);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, goodWav(1, i + 1, 300 + 50 * i));
  }
  const store = Store.create(project, 'fuzz');
  await importListing(store, listDcase(pkg));
  clipIds = store.clips.list({}, 'id', false, 0, 100).rows.map((r) => r.id);
  store.close();
  fs.mkdirSync(sandbox);
  fs.mkdirSync(path.join(work, 'home'));
  srv = await startServe({ home: path.join(work, 'home'), project });
});

afterAll(async () => {
  await srv?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const TOKEN_VARIANTS = (t: string): [string, string][] => [
  ['no token', ''],
  ['empty token', '?token='],
  ['wrong token of the same length', `?token=${'0'.repeat(t.length)}`],
  ['one character changed', `?token=${t.slice(0, -1)}${t.endsWith('a') ? 'b' : 'a'}`],
  ['a prefix of the token', `?token=${t.slice(0, 24)}`],
  ['the token plus one character', `?token=${t}0`],
  ['the token in upper case', `?token=${t.toUpperCase()}`],
  ['the token under another name', `?tok=${t}`],
  ['the token percent-encoded with a trailing space', `?token=${t}%20`],
];

describe('browser host: refusals', () => {
  it('refuses every HTTP request without the right token, on every path and method', async () => {
    const paths = ['/', '/index.html', '/assets/app.js', '/ws', '/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/%zz'];
    const refused: string[] = [];
    for (const p of paths) {
      for (const [what, q] of TOKEN_VARIANTS(srv.token)) {
        for (const method of ['GET', 'HEAD']) {
          const status = await rawHttp(srv.port, `${method} ${p}${q} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nConnection: close\r\n\r\n`);
          if (!/^HTTP\/1\.1 401 /.test(status)) refused.push(`${method} ${p} (${what}) -> ${status}`);
        }
        const value = decodeURIComponent(q.replace(/^\?[a-z]+=/, ''));
        if (value.trim() === srv.token) continue; // only the query name (or trailing white space, which HTTP strips) was wrong: as a cookie it is the right token
        const cookie = await rawHttp(srv.port, `GET ${p} HTTP/1.1\r\nHost: x\r\nCookie: hark_token=${value}\r\nConnection: close\r\n\r\n`);
        if (!/^HTTP\/1\.1 401 /.test(cookie)) refused.push(`GET ${p} (cookie, ${what}) -> ${cookie}`);
      }
      for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
        const status = await rawHttp(srv.port, `${method} ${p}?token=${srv.token} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
        if (!/^HTTP\/1\.1 405 /.test(status)) refused.push(`${method} ${p} -> ${status}`);
      }
    }
    expect(refused).toEqual([]);
    // the right token is let in (the renderer is not built here: 404 after the token check)
    expect(await rawHttp(srv.port, `GET /?token=${srv.token} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 (200|404) /);
  });

  it('refuses every WebSocket upgrade without the right token or from a foreign or malformed origin', async () => {
    const failures: string[] = [];
    const upgrade = (q: string, extra = '') =>
      rawHttp(srv.port, `GET /ws${q} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`);
    for (const [what, q] of TOKEN_VARIANTS(srv.token)) {
      const s = await upgrade(q);
      if (!/ 401 /.test(s)) failures.push(`${what} -> ${s}`);
      const value = decodeURIComponent(q.replace(/^\?[a-z]+=/, ''));
      if (value.trim() === srv.token) continue;
      const c = await upgrade('', `Cookie: hark_token=${value}\r\n`);
      if (!/ 401 /.test(c)) failures.push(`cookie, ${what} -> ${c}`);
    }
    // a sandboxed frame sends Origin: null; garbage origins once crashed the host (new URL threw)
    for (const origin of ['http://evil.example', 'null', 'garbage', 'http://[::1', `http://127.0.0.1:${srv.port + 1}`, 'file://']) {
      const s = await upgrade(`?token=${srv.token}`, `Origin: ${origin}\r\n`);
      if (!/ 401 /.test(s)) failures.push(`origin ${origin} -> ${s}`);
    }
    expect(failures).toEqual([]);
    expect(await upgrade(`?token=${srv.token}`, `Origin: http://127.0.0.1:${srv.port}\r\n`)).toMatch(/ 101 /);
    expect(srv.alive()).toBe(true);
  });

  it('binds 127.0.0.1 by default: not reachable on the machine\'s other addresses', async () => {
    const external = Object.values(os.networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && a.family === 'IPv4')
      .map((a) => a!.address);
    const net = await import('node:net');
    for (const addr of external) {
      const reached = await new Promise<boolean>((resolve) => {
        const s = net.connect(srv.port, addr, () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
      expect(reached, `port ${srv.port} answers on ${addr}`).toBe(false);
    }
    // the library default as well, not only the CLI's
    const handle = createBackend({ host: 'browser', homeDir: path.join(work, 'home2') });
    const s = await startServer({ handle });
    expect(s.host).toBe('127.0.0.1');
    await s.close();
    handle.close();
  });

  it('limits request sizes and stays up: oversized frames, headers and request lines', async () => {
    // the WebSocket payload limit (16 MiB by default): over it the socket closes with 1009
    const c = await Client.connect(srv.port, srv.token);
    const closed = c.closed;
    c.ws.send(Buffer.alloc(16 * 1024 * 1024 + 1));
    expect(await closed).toBe(1009);
    // just under it a request is read and refused for what it says
    const c2 = await Client.connect(srv.port, srv.token);
    const big = await c2.call('clips.setVerdict', { clipIds: Array.from({ length: 100_001 }, (_, i) => i), verdict: 'normal' });
    expect(big).toMatchObject({ ok: false, error: { code: 'invalid_request', field: 'clipIds' } });
    c2.close();
    // HTTP: headers over Node's 16 KiB limit, a 64 KiB request line, 2000 header lines
    expect(await rawHttp(srv.port, `GET /?token=${srv.token} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).toMatch(/ 431 /);
    expect(await rawHttp(srv.port, `GET /${'a'.repeat(65_536)} HTTP/1.1\r\nHost: x\r\n\r\n`)).toMatch(/ 4(14|31|00) /);
    expect(await rawHttp(srv.port, `GET / HTTP/1.1\r\n${Array.from({ length: 2000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\n`)).toMatch(/ 4\d\d /);
    const after = await Client.connect(srv.port, srv.token);
    expect((await after.call('app.info', {})).ok).toBe(true);
    after.close();
  });

  it('survives 500 malformed raw HTTP requests without letting one through', async () => {
    const fig = await fuzzHttp(srv.port, 500, 11);
    recordSuiteFigures('http-fuzz', fig);
    expect(fig.leaks).toEqual([]);
    expect(srv.alive()).toBe(true);
    const c = await Client.connect(srv.port, srv.token);
    expect((await c.call('app.info', {})).ok).toBe(true);
    c.close();
  });
});

describe('browser host: fuzzed requests', () => {
  it('answers 10,000 requests fuzzed from the contract, each with its envelope, and stays up', async () => {
    const before = srv.memory();
    const client = await Client.connect(srv.port, srv.token);
    const fig = await runFuzz(client, { count: 10_000, seed: 2026, ctx: { sandbox, clipIds }, project });
    const info = await client.call('app.info', {});
    client.close();
    const after = srv.memory();
    recordSuiteFigures('fuzz', { ...fig, validationMismatches: fig.validationMismatches.length, internalErrors: fig.internalErrors.length, unanswered: fig.unanswered.length, hostRssMb: { before: before.rssMb, after: after.rssMb, peak: after.peakMb } });
    expect(fig.unanswered).toEqual([]);
    expect(fig.answered).toBe(10_000);
    expect(fig.validationMismatches).toEqual([]);
    expect(fig.internalErrors).toEqual([]);
    expect(fig.byKind.mutated + fig.byKind.method + fig.byKind.frame).toBeGreaterThan(6000);
    expect(srv.alive()).toBe(true);
    expect(info).toMatchObject({ ok: true, value: { name: 'Hark', host: 'browser' } });
    // nothing escaped the sandbox: fuzzed project.create calls wrote only under it
    expect(fs.readdirSync(work).sort()).toEqual(['home', 'pkg', 'project', 'sandbox']);
  }, 240_000);
});

describe('Electron host: security settings', () => {
  it('isolates and sandboxes the renderer, sets the CSP, denies navigation, new windows, permissions, webviews and foreign IPC', async () => {
    const ipc = new Map<string, (event: unknown, req: unknown) => Promise<unknown>>();
    const appHandlers = new Map<string, (...a: unknown[]) => void>();
    let headersHook: ((details: { responseHeaders: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void) | undefined;
    let permissionHook: ((wc: unknown, permission: string, cb: (granted: boolean) => void) => void) | undefined;
    const opened: string[] = [];
    const win: { prefs?: Record<string, unknown>; open?: (d: { url: string }) => { action: string }; nav: ((e: { preventDefault: () => void }, url: string) => void)[]; loaded?: string } = { nav: [] };
    vi.doMock('electron', () => {
      class BrowserWindow {
        webContents = {
          setWindowOpenHandler: (h: (d: { url: string }) => { action: string }) => (win.open = h),
          on: (ev: string, h: (e: { preventDefault: () => void }, url: string) => void) => ev === 'will-navigate' && win.nav.push(h),
          send: () => undefined,
        };
        constructor(opts: { webPreferences: Record<string, unknown> }) {
          win.prefs = opts.webPreferences;
        }
        once() {}
        on() {}
        loadFile(f: string) {
          win.loaded = f;
          return Promise.resolve();
        }
        loadURL(u: string) {
          win.loaded = u;
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
        app: { whenReady: () => Promise.resolve(), on: (ev: string, h: (...a: unknown[]) => void) => appHandlers.set(ev, h), quit: () => undefined },
        BrowserWindow,
        ipcMain: { handle: (ch: string, h: (event: unknown, req: unknown) => Promise<unknown>) => ipc.set(ch, h) },
        session: {
          defaultSession: {
            webRequest: { onHeadersReceived: (h: typeof headersHook) => (headersHook = h) },
            setPermissionRequestHandler: (h: typeof permissionHook) => (permissionHook = h),
          },
        },
        shell: { openExternal: (u: string) => (opened.push(u), Promise.resolve()) },
      };
    });
    delete process.env.ELECTRON_RENDERER_URL;
    process.env.HARK_HOME = path.join(work, 'electron-home');
    await import('../../src/main/index');
    await new Promise((r) => setTimeout(r, 20));

    // the renderer: isolated, sandboxed, no Node, web security on, no webviews, the bundled preload only
    expect(win.prefs).toMatchObject({ ...WEB_PREFERENCES, contextIsolation: true, nodeIntegration: false, sandbox: true, webSecurity: true, allowRunningInsecureContent: false, webviewTag: false });
    for (const k of ['nodeIntegrationInWorker', 'nodeIntegrationInSubFrames', 'enableRemoteModule', 'experimentalFeatures']) expect(win.prefs?.[k], k).not.toBe(true);
    expect(String(win.prefs?.preload)).toMatch(/preload[\\/]index\.cjs$/);
    expect(win.loaded).toMatch(/renderer[\\/]index\.html$/);

    // the CSP goes on every response, and it is strict: no inline or eval script, no plugins, no framing
    const res = await new Promise<Record<string, string[]>>((resolve) => headersHook!({ responseHeaders: { 'X-Other': ['1'] } }, (r) => resolve(r.responseHeaders)));
    expect(res['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
    expect(res['X-Other']).toEqual(['1']);
    const csp = Object.fromEntries(CONTENT_SECURITY_POLICY.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    expect(csp['default-src']).toEqual(["'self'"]);
    expect(csp['script-src']).toEqual(["'self'"]);
    expect(csp['object-src']).toEqual(["'none'"]);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
    expect(csp['connect-src']).toEqual(["'self'"]);
    // the built page carries the same script policy in its meta tag (file:// loads get no response headers)
    const html = fs.readFileSync(path.resolve(import.meta.dirname, '..', '..', 'src', 'renderer', 'index.html'), 'utf8');
    expect(html).toMatch(/http-equiv="Content-Security-Policy"[\s\S]*script-src 'self';/);
    expect(html).not.toMatch(/unsafe-eval/);

    // navigation away from the app and new windows are denied; only http(s) links go to the system browser
    for (const url of ['https://example.com/phish', 'file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,hi', 'about:blank']) {
      let prevented = false;
      for (const h of win.nav) h({ preventDefault: () => (prevented = true) }, url);
      expect(prevented, `navigation to ${url}`).toBe(true);
      expect(win.open!({ url })).toEqual({ action: 'deny' });
    }
    expect(opened).toEqual(['https://example.com/phish']);
    let allowedOwn = true;
    for (const h of win.nav) h({ preventDefault: () => (allowedOwn = false) }, `file://${String(win.loaded)}`);
    expect(allowedOwn).toBe(true);

    // every permission request (camera, microphone, notifications, ...) is refused
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      const granted = await new Promise<boolean>((resolve) => permissionHook!({}, p, resolve));
      expect(granted, p).toBe(false);
    }
    // <webview> cannot be attached in any web contents
    let webviewBlocked = false;
    const contentsHandlers = new Map<string, (e: { preventDefault: () => void }) => void>();
    appHandlers.get('web-contents-created')!({}, { on: (ev: string, h: (e: { preventDefault: () => void }) => void) => contentsHandlers.set(ev, h) });
    contentsHandlers.get('will-attach-webview')!({ preventDefault: () => (webviewBlocked = true) });
    expect(webviewBlocked).toBe(true);

    // IPC: every contract method is bound, and frames other than the app's own are refused
    expect([...ipc.keys()].sort()).toEqual(METHOD_NAMES.map((n) => `hark:${n}`).sort());
    const info = ipc.get('hark:app.info')!;
    for (const url of ['https://evil.example/', 'file:///tmp/other.html', 'about:blank', undefined]) {
      expect(await info({ senderFrame: url === undefined ? null : { url } }, {}), String(url)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    }
    expect(await info({ senderFrame: { url: `file://${String(win.loaded)}` } }, {})).toMatchObject({ ok: true, value: { host: 'electron' } });
    expect(await ipc.get('hark:clips.list')!({ senderFrame: { url: `file://${String(win.loaded)}` } }, { limit: -1 })).toMatchObject({ ok: false, error: { code: 'invalid_request', field: 'limit' } });
    vi.doUnmock('electron');
  });
});
