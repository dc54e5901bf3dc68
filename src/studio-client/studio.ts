#!/usr/bin/env node
import { openInDesktopBrowser } from './open-browser.js';
import { runStudio } from './studio-cli.js';

const interrupted = new AbortController();
process.once('SIGINT', () => interrupted.abort());

const code = await runStudio(process.argv.slice(2), {
  env: process.env,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  openBrowser: (url) => {
    openInDesktopBrowser(url, process.env);
  },
  signal: interrupted.signal,
});
process.exit(code);
