import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM, systemPackagePath } from './system-packages.js';

/** Debian's chromium, or the one CHROMIUM_PATH names. Never a downloaded browser. */
export const CHROMIUM_PATH = systemPackagePath(CHROMIUM);

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** A headless Chromium for browser tests; the caller closes it. */
export async function launchChromium(): Promise<Browser> {
  try {
    return await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  } catch (error) {
    throw new Error(
      `Could not start Chromium at ${CHROMIUM_PATH} (install Debian's package with "apt-get install -y --no-install-recommends chromium", or set CHROMIUM_PATH): ${(error as Error).message}`,
      { cause: error },
    );
  }
}
