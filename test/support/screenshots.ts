import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/** The README's screenshots live here; only a run with UPDATE_SCREENSHOTS=1 writes them. */
export const DOCS = join(import.meta.dirname, '..', '..', 'docs');
/** The width the documented screenshots are taken at. */
export const SCREENSHOT_VIEWPORT = { width: 1280, height: 800 };

/**
 * Where a test's screenshots go: `docs/` when UPDATE_SCREENSHOTS=1 (to refresh the README's
 * pictures, then commit them), otherwise a temporary folder (SCREENSHOT_DIR to choose it), so an
 * ordinary run never changes the repository.
 */
export function screenshotDir(): string {
  if (process.env.UPDATE_SCREENSHOTS === '1') return DOCS;
  const dir = process.env.SCREENSHOT_DIR || join(tmpdir(), 'frontdoor-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A full-page PNG of `page` named `name`.png, in screenshotDir(). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshotDir(), `${name}.png`), fullPage: true });
}
