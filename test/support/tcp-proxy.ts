import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real server (here PostgreSQL) that a test can freeze (connections
 * accepted, nothing forwarded either way: a hung server) and stop (connections refused: a server
 * that is down), then bring back, on the same port.
 */
export interface TcpProxy {
  port: number;
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let frozen = false;
  let port = 0;
  const pairs = new Set<[Socket, Socket | undefined]>();
  const waiting: Socket[] = [];

  const join = (client: Socket) => {
    const upstream = connect(target.port, target.host);
    const pair: [Socket, Socket | undefined] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  };

  let server: Server = createServer();
  const listen = async () => {
    server = createServer((client) => {
      if (frozen) {
        // Accepted and left unanswered, as a frozen server does.
        waiting.push(client);
        client.on('error', () => undefined);
        return;
      }
      join(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    port = (server.address() as { port: number }).port;
  };
  await listen();

  const dropAll = () => {
    for (const [client, upstream] of pairs) {
      client.destroy();
      upstream?.destroy();
    }
    pairs.clear();
    for (const client of waiting.splice(0)) client.destroy();
  };

  return {
    get port() {
      return port;
    },
    freeze() {
      frozen = true;
      for (const [client, upstream] of pairs) {
        // Unpiped and paused: bytes stay buffered here until thaw, in both directions.
        client.unpipe();
        upstream?.unpipe();
        client.pause();
        upstream?.pause();
      }
    },
    thaw() {
      frozen = false;
      for (const [client, upstream] of pairs) {
        if (!upstream) continue;
        client.pipe(upstream);
        upstream.pipe(client);
      }
      for (const client of waiting.splice(0)) if (!client.destroyed) join(client);
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        dropAll();
      });
    },
    start: listen,
    async close() {
      frozen = false;
      if (server.listening) await new Promise<void>((resolve) => {
        server.close(() => resolve());
        dropAll();
      });
      dropAll();
    },
  };
}
