import { spawn } from 'node:child_process';

/**
 * Opens a URL in the person's browser where there is a desktop to show it (macOS, or an X11 /
 * Wayland session); elsewhere (SSH, CI, containers) the printed URL is the way. Failures are ignored.
 */
export function openInDesktopBrowser(url: string, env: Record<string, string | undefined>, platform: NodeJS.Platform = process.platform): boolean {
  const command = platform === 'darwin' ? 'open' : platform !== 'win32' && (env.DISPLAY || env.WAYLAND_DISPLAY) ? 'xdg-open' : undefined;
  if (!command) return false;
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}
