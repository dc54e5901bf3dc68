import type { Role } from '../users/user.entity.js';

/** The management consoles. A console is data: adding one is one entry here. */
export interface ConsoleDefinition {
  path: string;
  title: string;
  description: string;
  /** The role a user needs; undefined means any active user. */
  role?: Role;
  /** The console has its own controller and pages (LifeTime); the generic placeholder page skips it. */
  ownPages?: boolean;
}

export const CONSOLES: readonly ConsoleDefinition[] = [
  { path: 'servicecenter', title: 'Service Center', description: 'Manage and monitor this environment.' },
  { path: 'lifetime', title: 'LifeTime', description: 'Manage the infrastructure, teams and application lifecycle.', role: 'admin', ownPages: true },
];

/** Express route patterns for every console and every path below it. */
export const CONSOLE_ROUTES = CONSOLES.filter((console) => !console.ownPages).flatMap((console) => [`/${console.path}`, `/${console.path}/*rest`]);

export function consoleForPath(path: string): ConsoleDefinition | undefined {
  const first = path.split('/')[1]?.toLowerCase();
  return CONSOLES.find((console) => console.path === first);
}
