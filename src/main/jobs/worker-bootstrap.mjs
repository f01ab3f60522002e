// Development and CLI runs execute TypeScript directly: register tsx in this worker, then load the entry.
import { register } from 'tsx/esm/api';

register();
await import('./worker-entry.ts');
