// IPC channel names, derived from the contract so no channel is written by hand.
import type { MethodName } from '../../shared/api';

export const ipcChannel = (name: MethodName): string => `hark:${name}`;
export const IPC_EVENT_CHANNEL = 'hark:event';
