import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const CALLBACK_PATH = '/callback';
const CLOSE_GRACE_MS = 1_000;

/** The browser came back through the "Open … Studio" button with a one-time code. */
export interface LoopbackArrival {
  code: string;
  /** The page the browser shows once the Studio has tried the code. */
  respond(outcome: { ok: boolean; message: string }): void;
}

export interface LoopbackListener {
  /** `http://127.0.0.1:<port>/callback`, for the handoff's redirectUri. */
  redirectUri: string;
  /** Only a callback for this handoff is taken. */
  expect(handoffId: string): void;
  /** The first valid arrival; later ones are told it was already received. */
  arrival: Promise<LoopbackArrival>;
  close(): Promise<void>;
}

/**
 * A one-shot HTTP listener on the IPv4 loopback address and a port the system picks (RFC 8252
 * 7.3). Nothing outside this machine can reach it, and it takes only the handoff it waits for.
 */
export async function listenOnLoopback(studioTitle: string): Promise<LoopbackListener> {
  let expected: string | undefined;
  let arrived = false;
  let resolveArrival!: (arrival: LoopbackArrival) => void;
  const arrival = new Promise<LoopbackArrival>((resolve) => (resolveArrival = resolve));

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== CALLBACK_PATH) return send(res, 404, 'Not found', 'There is nothing here.');
    const handoff = url.searchParams.get('handoff');
    const code = url.searchParams.get('code');
    if (!expected || handoff !== expected || !code) {
      return send(res, 400, 'Not this login', `This link does not belong to the login ${studioTitle} is waiting for. Start the login again from ${studioTitle}.`);
    }
    if (arrived) return send(res, 200, `Back to ${studioTitle}`, `${studioTitle} already received this login. You can close this window and return to ${studioTitle}.`);
    arrived = true;
    resolveArrival({
      code,
      respond: ({ ok, message }) => send(res, ok ? 200 : 400, ok ? `Logged in to ${studioTitle}` : 'Login failed', message),
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    redirectUri: `http://127.0.0.1:${port}${CALLBACK_PATH}`,
    expect: (handoffId) => (expected = handoffId),
    arrival,
    close: () =>
      new Promise<void>((resolve) => {
        // Browsers keep spare connections open; past a moment they are cut rather than waited for.
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, title: string, message: string): void {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;background:#f4f6fa;color:#1d2433}main{max-width:36rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:10px}</style>
</head><body><main><h1>${escapeHtml(title)}</h1><p id="result">${escapeHtml(message)}</p></main></body></html>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    'referrer-policy': 'no-referrer',
    connection: 'close',
  });
  res.end(body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
