// The shape of window.hark as the preload exposes it (envelopes, not thrown errors).
import type { Result } from '../shared/rpc';

export interface HarkBridge {
  host: 'electron';
  invoke(name: string, req: unknown): Promise<Result<unknown>>;
  subscribe(event: string, listener: (payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    hark?: HarkBridge;
  }
}
