// The renderer's one client of the contract. The transport is picked once, here: the Electron
// preload bridge when present, otherwise the browser host's WebSocket. No other renderer code
// knows which host it runs in.
import type { EventMap, EventName, HarkClient, MethodName, Req, Res } from '../../shared/api';
import { decodeMessage, encodeMessage } from '../../shared/codec';
import type { Result, RpcError } from '../../shared/rpc';

export class HarkCallError extends Error {
  readonly code: RpcError['code'];
  readonly field?: string;
  constructor(err: RpcError) {
    super(err.message);
    this.code = err.code;
    this.field = err.field;
  }
}

interface Transport {
  host: 'electron' | 'browser';
  invoke(name: string, req: unknown): Promise<Result<unknown>>;
  subscribe(event: string, listener: (payload: unknown) => void): () => void;
}

class SocketTransport implements Transport {
  readonly host = 'browser' as const;
  private ws: WebSocket | null = null;
  private opening: Promise<WebSocket> | null = null;
  private nextId = 1;
  private pending = new Map<number, (r: Result<unknown>) => void>();
  private listeners = new Map<string, Set<(payload: unknown) => void>>();

  private connect(): Promise<WebSocket> {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) return Promise.resolve(this.ws);
    if (this.opening) return this.opening;
    this.opening = new Promise<WebSocket>((resolve, reject) => {
      const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
      const ws = new WebSocket(`${proto}//${location.host}/ws`);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => {
        this.ws = ws;
        this.opening = null;
        resolve(ws);
      };
      ws.onerror = () => {
        this.opening = null;
        reject(new HarkCallError({ code: 'unauthorized', message: 'cannot reach the Hark backend (is `hark serve` running, and did you open the URL it printed?)' }));
      };
      ws.onclose = () => {
        this.ws = null;
        for (const [, done] of this.pending) done({ ok: false, error: { code: 'internal', message: 'connection to the Hark backend closed' } });
        this.pending.clear();
      };
      ws.onmessage = (ev) => {
        const msg = decodeMessage(new Uint8Array(ev.data as ArrayBuffer)) as { id?: number; result?: Result<unknown>; event?: string; payload?: unknown };
        if (msg.event) {
          for (const l of this.listeners.get(msg.event) ?? []) l(msg.payload);
        } else if (typeof msg.id === 'number') {
          const done = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          done?.(msg.result ?? { ok: false, error: { code: 'internal', message: 'empty reply' } });
        }
      };
    });
    return this.opening;
  }

  async invoke(name: string, req: unknown): Promise<Result<unknown>> {
    const ws = await this.connect();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      ws.send(encodeMessage({ id, method: name, params: req }));
    });
  }

  subscribe(event: string, listener: (payload: unknown) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    void this.connect().catch(() => undefined); // events need the socket even before the first call
    return () => set.delete(listener);
  }
}

function pickTransport(): Transport {
  return window.hark ?? new SocketTransport();
}

const transport = pickTransport();

export const hostKind = transport.host;

export const hark: HarkClient = {
  async call<K extends MethodName>(name: K, req: Req<K>): Promise<Res<K>> {
    const r = await transport.invoke(name, req);
    if (!r.ok) throw new HarkCallError(r.error);
    return r.value as Res<K>;
  },
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void {
    return transport.subscribe(event, listener as (p: unknown) => void);
  },
};
