import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Programs some tests run that npm does not install: Debian packages. Without one, its tests are
 * skipped and the run ends with one line saying which package to install; with
 * REQUIRE_SYSTEM_PACKAGES=1 (as .ci/run sets) a missing package fails the run instead.
 */
export interface SystemPackage {
  /** The program, as people call it. */
  name: string;
  /** The Debian package that installs it. */
  aptPackage: string;
  /** The environment variable that names another path. */
  pathVariable: string;
  defaultPath: string;
}

export const NGINX: SystemPackage = { name: 'nginx', aptPackage: 'nginx-light', pathVariable: 'NGINX_PATH', defaultPath: '/usr/sbin/nginx' };
export const CADDY: SystemPackage = { name: 'caddy', aptPackage: 'caddy', pathVariable: 'CADDY_PATH', defaultPath: '/usr/bin/caddy' };
export const CHROMIUM: SystemPackage = { name: 'chromium', aptPackage: 'chromium', pathVariable: 'CHROMIUM_PATH', defaultPath: '/usr/bin/chromium' };
export const GLEWLWYD: SystemPackage = { name: 'glewlwyd', aptPackage: 'glewlwyd', pathVariable: 'GLEWLWYD_PATH', defaultPath: '/usr/bin/glewlwyd' };
/** Initialises Glewlwyd's database from the SQL script its package ships. */
export const SQLITE3: SystemPackage = { name: 'sqlite3', aptPackage: 'sqlite3', pathVariable: 'SQLITE3_PATH', defaultPath: '/usr/bin/sqlite3' };

export const REQUIRE_VARIABLE = 'REQUIRE_SYSTEM_PACKAGES';

/** Where the global setup collects the lines of the packages skipped in this run (one file each). */
export const SKIPPED_DIR_VARIABLE = 'FRONTDOOR_TEST_SKIPPED_DIR';

type Environment = Record<string, string | undefined>;

export function systemPackagePath(pkg: SystemPackage, env: Environment = process.env): string {
  return env[pkg.pathVariable] || pkg.defaultPath;
}

/** The one line a run ends with when a package is missing (or its error, when the package is required). */
export function missingPackageLine(pkg: SystemPackage, path: string, required = false): string {
  const install = `Install it with "apt-get install -y --no-install-recommends ${pkg.aptPackage}" (or set ${pkg.pathVariable})`;
  if (required) return `${pkg.name} not found at ${path}, and ${REQUIRE_VARIABLE}=1 makes that a failure. ${install}.`;
  return `${pkg.name} not found at ${path}: its tests were skipped. ${install}; with ${REQUIRE_VARIABLE}=1 this is a failure.`;
}

/**
 * The packages among `packages` that are not installed. Under REQUIRE_SYSTEM_PACKAGES=1 a missing
 * one throws (the test file fails to load, with the line as its error).
 */
export function missingPackages(packages: SystemPackage[], env: Environment = process.env, exists: (path: string) => boolean = existsSync): SystemPackage[] {
  const missing = packages.filter((pkg) => !exists(systemPackagePath(pkg, env)));
  if (missing.length > 0 && env[REQUIRE_VARIABLE] === '1') {
    throw new Error(missing.map((pkg) => missingPackageLine(pkg, systemPackagePath(pkg, env), true)).join('\n'));
  }
  return missing;
}

/**
 * For `describe.skipIf(lacks(NGINX))`: true when a package is missing, after noting its line for
 * the end of the run (once, however many test files skip for it).
 */
export function lacks(...packages: SystemPackage[]): boolean {
  const missing = missingPackages(packages);
  for (const pkg of missing) noteSkipped(pkg, missingPackageLine(pkg, systemPackagePath(pkg)));
  return missing.length > 0;
}

/** Notes a package's line for the end of the run; a second note of the same package replaces the first. */
export function noteSkipped(pkg: SystemPackage, line: string, env: Environment = process.env): void {
  const dir = env[SKIPPED_DIR_VARIABLE];
  // Outside the configured runner (no global setup): say it at once.
  if (!dir) return void process.stderr.write(`${line}\n`);
  writeFileSync(join(dir, pkg.name), line);
}

/** Called by the global setup: a folder the test files note their skips in, and what prints them at the end. */
export function collectSkippedPackages(dir: string, env: Environment = process.env): () => string[] {
  mkdirSync(dir, { recursive: true });
  env[SKIPPED_DIR_VARIABLE] = dir;
  return () =>
    readdirSync(dir)
      .sort()
      .map((file) => readFileSync(join(dir, file), 'utf8'));
}
