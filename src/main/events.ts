// Main-side event bus: the backend emits, each host forwards to its clients.
import type { EventMap, EventName } from '../shared/api';

type Listener = (name: EventName, payload: EventMap[EventName]) => void;

export class EventBus {
  private listeners = new Set<Listener>();

  emit<E extends EventName>(name: E, payload: EventMap[E]): void {
    for (const l of this.listeners) {
      try {
        l(name, payload);
      } catch {
        // a broken subscriber must not stop the others or the backend
      }
    }
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
