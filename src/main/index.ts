// Electron host: a sandboxed window and the backend bound to ipcMain by iterating the contract.
// Only this file and the preload know about Electron.
import { app, BrowserWindow, ipcMain, session, shell, type IpcMainInvokeEvent } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { METHOD_NAMES } from '../shared/api';
import { createBackend } from './backend';
import { dispatch } from './hosts/dispatch';
import { CONTENT_SECURITY_POLICY, WEB_PREFERENCES } from './hosts/security';
import { ipcChannel, IPC_EVENT_CHANNEL } from './hosts/ipc-channels';

const here = path.dirname(fileURLToPath(import.meta.url));
const handle = createBackend({ host: 'electron' });
const rendererUrl = process.env.ELECTRON_RENDERER_URL; // set by electron-vite in dev
const indexHtml = path.join(here, '../renderer/index.html');

function isAppUrl(url: string): boolean {
  if (rendererUrl) return url.startsWith(rendererUrl);
  try {
    return new URL(url).protocol === 'file:' && fileURLToPath(url) === indexHtml;
  } catch {
    return false;
  }
}

function trusted(event: IpcMainInvokeEvent): boolean {
  const url = event.senderFrame?.url;
  return typeof url === 'string' && isAppUrl(url.split('#')[0].split('?')[0]) ;
}

for (const name of METHOD_NAMES) {
  ipcMain.handle(ipcChannel(name), async (event, req: unknown) => {
    if (!trusted(event)) return { ok: false, error: { code: 'unauthorized', message: 'request from an untrusted frame' } };
    return dispatch(handle.backend, name, req, { host: 'electron' });
  });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'Hark',
    show: false,
    backgroundColor: '#12161c',
    webPreferences: { ...WEB_PREFERENCES, preload: path.join(here, '../preload/index.cjs') },
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url); // documentation links open in the system browser
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e, url) => {
    if (!isAppUrl(url)) e.preventDefault();
  });
  const unsubscribe = handle.events.subscribe((event, payload) => {
    if (!win.isDestroyed()) win.webContents.send(IPC_EVENT_CHANNEL, event, payload);
  });
  win.on('closed', unsubscribe);
  if (rendererUrl) void win.loadURL(rendererUrl);
  else void win.loadFile(indexHtml);
  return win;
}

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (e) => e.preventDefault());
});

void app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, cb) => cb(false));
  const demo = process.env.HARK_PROJECT;
  if (demo) {
    try {
      handle.openProject(demo);
    } catch {
      // the renderer shows the project picker
    }
  }
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  handle.close();
  if (process.platform !== 'darwin') app.quit();
});
