import { STUDIOS, TOKEN_CLIENTS, type TokenClient } from '../desktop-handoff/studio-clients.js';

/** The clients that may ask for a device code (public clients: the `client_id` is their only name). */
export const DEVICE_CLIENTS = TOKEN_CLIENTS;

export function isDeviceClient(value: unknown): value is TokenClient {
  return typeof value === 'string' && (DEVICE_CLIENTS as readonly string[]).includes(value);
}

/** The name a person recognises on the confirmation page. */
export function deviceClientTitle(client: TokenClient): string {
  return client === 'cli' ? 'Command-line tool' : STUDIOS[client].title;
}
