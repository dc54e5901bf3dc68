import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CADDY, CHROMIUM, collectSkippedPackages, GLEWLWYD, missingPackageLine, missingPackages, NGINX, noteSkipped, SKIPPED_DIR_VARIABLE, SQLITE3, systemPackagePath } from './system-packages.js';

const installed = (...paths: string[]) => (path: string) => paths.includes(path);

describe('system packages the tests need', () => {
  it.each([
    [NGINX, '/usr/sbin/nginx', 'nginx not found at /usr/sbin/nginx: its tests were skipped. Install it with "apt-get install -y --no-install-recommends nginx-light" (or set NGINX_PATH); with REQUIRE_SYSTEM_PACKAGES=1 this is a failure.'],
    [CADDY, '/opt/caddy', 'caddy not found at /opt/caddy: its tests were skipped. Install it with "apt-get install -y --no-install-recommends caddy" (or set CADDY_PATH); with REQUIRE_SYSTEM_PACKAGES=1 this is a failure.'],
    [CHROMIUM, '/usr/bin/chromium', 'chromium not found at /usr/bin/chromium: its tests were skipped. Install it with "apt-get install -y --no-install-recommends chromium" (or set CHROMIUM_PATH); with REQUIRE_SYSTEM_PACKAGES=1 this is a failure.'],
    [GLEWLWYD, '/usr/bin/glewlwyd', 'glewlwyd not found at /usr/bin/glewlwyd: its tests were skipped. Install it with "apt-get install -y --no-install-recommends glewlwyd" (or set GLEWLWYD_PATH); with REQUIRE_SYSTEM_PACKAGES=1 this is a failure.'],
    [SQLITE3, '/usr/bin/sqlite3', 'sqlite3 not found at /usr/bin/sqlite3: its tests were skipped. Install it with "apt-get install -y --no-install-recommends sqlite3" (or set SQLITE3_PATH); with REQUIRE_SYSTEM_PACKAGES=1 this is a failure.'],
  ])('names %s, its Debian package and the command that installs it, in one line', (pkg, path, line) => {
    expect(missingPackageLine(pkg, path)).toBe(line);
    expect(line).not.toContain('\n');
  });

  it.each([
    { env: {}, paths: ['/usr/sbin/nginx', '/usr/bin/caddy'], missing: [] },
    { env: {}, paths: ['/usr/bin/caddy'], missing: [NGINX] },
    { env: { NGINX_PATH: '/nowhere/nginx' }, paths: ['/usr/sbin/nginx', '/usr/bin/caddy'], missing: [NGINX] },
    { env: { NGINX_PATH: '/opt/nginx', CADDY_PATH: '' }, paths: ['/opt/nginx'], missing: [CADDY] },
    { env: { REQUIRE_SYSTEM_PACKAGES: '1' }, paths: ['/usr/sbin/nginx', '/usr/bin/caddy'], missing: [] },
    { env: { REQUIRE_SYSTEM_PACKAGES: '0' }, paths: [], missing: [NGINX, CADDY] },
  ])('finds $missing.length missing with $env', ({ env, paths, missing }) => {
    expect(missingPackages([NGINX, CADDY], env, installed(...paths))).toEqual(missing);
  });

  it('fails instead of skipping under REQUIRE_SYSTEM_PACKAGES=1, naming each missing package and its install command', () => {
    const env = { REQUIRE_SYSTEM_PACKAGES: '1', CADDY_PATH: '/nowhere/caddy' };
    expect(() => missingPackages([NGINX, CADDY], env, installed('/usr/sbin/nginx'))).toThrow(
      'caddy not found at /nowhere/caddy, and REQUIRE_SYSTEM_PACKAGES=1 makes that a failure. Install it with "apt-get install -y --no-install-recommends caddy" (or set CADDY_PATH).',
    );
    expect(() => missingPackages([NGINX, CADDY], env, installed())).toThrow(/nginx not found.*\n.*caddy not found/);
  });

  it('reads the path from its variable, an empty one meaning the default', () => {
    expect(systemPackagePath(CHROMIUM, { CHROMIUM_PATH: '/snap/bin/chromium' })).toBe('/snap/bin/chromium');
    expect(systemPackagePath(CHROMIUM, { CHROMIUM_PATH: '' })).toBe('/usr/bin/chromium');
  });

  describe('the lines a run ends with', () => {
    let dir: string | undefined;
    afterEach(async () => dir && rm(dir, { recursive: true, force: true }));

    it('are one per package however many test files noted it', async () => {
      dir = await mkdtemp(join(tmpdir(), 'frontdoor-skipped-spec-'));
      const env: Record<string, string | undefined> = {};
      const lines = collectSkippedPackages(join(dir, 'run'), env);
      expect(env[SKIPPED_DIR_VARIABLE]).toBe(join(dir, 'run'));
      expect(lines()).toEqual([]);
      // Seven browser test files skip for chromium, one for nginx too: two lines.
      for (let file = 0; file < 7; file++) noteSkipped(CHROMIUM, missingPackageLine(CHROMIUM, '/usr/bin/chromium'), env);
      noteSkipped(NGINX, missingPackageLine(NGINX, '/usr/sbin/nginx'), env);
      expect(lines()).toEqual([missingPackageLine(CHROMIUM, '/usr/bin/chromium'), missingPackageLine(NGINX, '/usr/sbin/nginx')]);
    });
  });
});
