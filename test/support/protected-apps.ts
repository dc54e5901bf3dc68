import { startEchoApp } from './echo-app.js';
import { freePort } from './ports.js';
import { startTestService, type TestService } from './service.js';

/** What the echo app answers behind a proxy: the path and headers that reached it. */
export interface Echo {
  path: string;
  headers: Record<string, string>;
}

export interface AppSite {
  port: number;
  appAddress: string;
  appOrigin: string;
}

export interface ProtectedApps {
  env: TestService;
  /** Open to every active user. */
  wiki: string;
  /** For admins only. */
  reports: string;
  /** One site per app, each in front of the echo app, for a proxy to serve. */
  sites: AppSite[];
  frontdoorAddress: string;
  close(): Promise<void>;
}

/** The service with two protected apps (forward auth), and the echo app a proxy puts behind them. */
export async function startProtectedApps(extraEnv: Record<string, string> = {}): Promise<ProtectedApps> {
  const echo = await startEchoApp();
  const [wikiPort, reportsPort] = [await freePort(), await freePort()];
  const wiki = `http://localhost:${wikiPort}`;
  const reports = `http://localhost:${reportsPort}`;
  const env = await startTestService({
    TRUST_PROXY: '127.0.0.1',
    PROTECTED_APPS: JSON.stringify([
      { origin: wiki, name: 'Wiki' },
      { origin: reports, name: 'Reports', role: 'admin' },
    ]),
    ...extraEnv,
  });
  return {
    env,
    wiki,
    reports,
    sites: [
      { port: wikiPort, appAddress: echo.address, appOrigin: wiki },
      { port: reportsPort, appAddress: echo.address, appOrigin: reports },
    ],
    frontdoorAddress: `127.0.0.1:${new URL(env.url).port}`,
    close: async () => {
      await env.close();
      await echo.close();
    },
  };
}
