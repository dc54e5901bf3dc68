/**
 * A User-Agent header in a few words, for a table cell: "Chrome 131 on Linux", "Safari 17 on
 * iPhone", "curl 8.5". The page keeps the full string for the hover; this only has to be right for
 * the browsers and tools people use, and falls back to the first product token for the rest.
 */
export function summariseUserAgent(userAgent: string | null | undefined): string {
  const ua = (userAgent ?? '').trim();
  if (!ua) return 'unknown';
  const browser = browserOf(ua);
  const system = systemOf(ua);
  if (browser) return system ? `${browser} on ${system}` : browser;
  const product = /^([A-Za-z][\w.-]*)(?:\/(\d+(?:\.\d+)?))?/.exec(ua);
  if (!product) return ua.slice(0, 40);
  return product[2] ? `${product[1]} ${product[2]}` : product[1];
}

/** Checked in this order: Edge and Opera say "Chrome" too, Chrome says "Safari", Firefox on iOS says "Safari". */
const BROWSERS: Array<[name: string, pattern: RegExp]> = [
  ['Edge', /\bEdg(?:e|A|iOS)?\/(\d+)/],
  ['Opera', /\bOPR\/(\d+)/],
  ['Samsung Internet', /\bSamsungBrowser\/(\d+)/],
  ['Firefox', /\b(?:Firefox|FxiOS)\/(\d+)/],
  ['Headless Chrome', /\bHeadlessChrome\/(\d+)/],
  ['Chrome', /\b(?:Chrome|CriOS)\/(\d+)/],
  ['Safari', /\bVersion\/(\d+)(?:\.\d+)*(?: Mobile\/\w+)? Safari\//],
];

function browserOf(ua: string): string | undefined {
  for (const [name, pattern] of BROWSERS) {
    const match = pattern.exec(ua);
    if (match) return `${name} ${match[1]}`;
  }
  return undefined;
}

const SYSTEMS: Array<[name: string, pattern: RegExp]> = [
  ['Android', /\bAndroid\b/],
  ['iPhone', /\biPhone\b/],
  ['iPad', /\biPad\b/],
  ['ChromeOS', /\bCrOS\b/],
  ['Windows', /\bWindows\b/],
  ['macOS', /\bMac OS X\b|\bMacintosh\b/],
  ['Linux', /\bLinux\b|\bX11\b/],
];

function systemOf(ua: string): string | undefined {
  return SYSTEMS.find(([, pattern]) => pattern.test(ua))?.[0];
}
