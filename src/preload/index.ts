// Preload: exposes window.hark, a typed bridge built from the contract. The raw IpcRendererEvent
// never reaches the renderer; subscriptions return their unsubscribe function.
import { contextBridge, ipcRenderer } from 'electron';
import { EVENT_NAMES, METHOD_NAMES, type EventName, type MethodName } from '../shared/api';
import type { Result } from '../shared/rpc';
import { IPC_EVENT_CHANNEL, ipcChannel } from '../main/hosts/ipc-channels';
import type { HarkBridge } from './hark';

const methods = new Set<string>(METHOD_NAMES);
const events = new Set<string>(EVENT_NAMES);

const bridge: HarkBridge = {
  host: 'electron',
  invoke(name: string, req: unknown): Promise<Result<unknown>> {
    if (!methods.has(name)) return Promise.resolve({ ok: false, error: { code: 'unknown_method', message: `unknown method: ${name}` } });
    return ipcRenderer.invoke(ipcChannel(name as MethodName), req) as Promise<Result<unknown>>;
  },
  subscribe(event: string, listener: (payload: unknown) => void): () => void {
    if (!events.has(event)) throw new Error(`unknown event: ${event}`);
    const wrapped = (_e: Electron.IpcRendererEvent, name: EventName, payload: unknown) => {
      if (name === event) listener(payload);
    };
    ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('hark', bridge);
