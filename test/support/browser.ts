/**
 * Just enough of a browser for end-to-end tests over HTTP: a cookie jar (cookies are per host
 * name, not per port, as in a real browser), redirects followed by hand so each hop can be seen,
 * and HTML forms submitted the way a person would.
 */
export interface Hop {
  url: string;
  status: number;
  location?: string;
}

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  body: string;
  hops: Hop[];
}

interface StoredCookie {
  value: string;
  expires?: number;
  /** The Set-Cookie line it came from, attributes included. */
  line?: string;
}

export class TestBrowser {
  private readonly jar = new Map<string, Map<string, StoredCookie>>();

  /** One request, no redirect followed. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(target.hostname);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    this.store(target.hostname, response.headers.getSetCookie());
    return response;
  }

  /** Requests a URL and follows redirects (at most 20) to the page that finally renders. */
  async open(url: string, init: RequestInit = {}): Promise<Page> {
    const hops: Hop[] = [];
    let current = url;
    let response = await this.request(current, init);
    for (let i = 0; i < 20 && response.status >= 300 && response.status < 400; i++) {
      const location = response.headers.get('location')!;
      hops.push({ url: current, status: response.status, location });
      await response.arrayBuffer();
      current = new URL(location, current).toString();
      response = await this.request(current);
    }
    return { url: current, status: response.status, headers: response.headers, body: await response.text(), hops };
  }

  /** Submits the first form of a page (or the one whose action contains `actionPart`), like pressing its button. */
  submit(page: Page, fields: Record<string, string> = {}, actionPart?: string): Promise<Page> {
    const form = findForm(page.body, actionPart);
    const body = new URLSearchParams({ ...form.fields, ...fields });
    return this.open(new URL(form.action || page.url, page.url).toString(), {
      method: form.method,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(page.url).origin },
      body,
    });
  }

  cookie(hostname: string, name: string): string | undefined {
    return this.jar.get(hostname)?.get(name)?.value;
  }

  /** The Set-Cookie line that last set this cookie (HttpOnly, SameSite, Expires and so on). */
  setCookieLine(hostname: string, name: string): string | undefined {
    return this.jar.get(hostname)?.get(name)?.line;
  }

  setCookie(hostname: string, name: string, value: string): void {
    if (!this.jar.has(hostname)) this.jar.set(hostname, new Map());
    this.jar.get(hostname)!.set(name, { value });
  }

  clearCookies(): void {
    this.jar.clear();
  }

  private cookieHeader(hostname: string): string {
    const cookies = this.jar.get(hostname);
    if (!cookies) return '';
    const now = Date.now();
    return [...cookies]
      .filter(([, cookie]) => cookie.expires === undefined || cookie.expires > now)
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join('; ');
  }

  private store(hostname: string, setCookies: string[]): void {
    if (!this.jar.has(hostname)) this.jar.set(hostname, new Map());
    const cookies = this.jar.get(hostname)!;
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const index = pair.indexOf('=');
      const name = pair.slice(0, index);
      const value = pair.slice(index + 1);
      const expiresAttr = attributes.find((a) => a.toLowerCase().startsWith('expires='));
      const maxAgeAttr = attributes.find((a) => a.toLowerCase().startsWith('max-age='));
      const expires = maxAgeAttr ? Date.now() + Number(maxAgeAttr.slice(8)) * 1000 : expiresAttr ? Date.parse(expiresAttr.slice(8)) : undefined;
      if (expires !== undefined && expires <= Date.now()) cookies.delete(name);
      else cookies.set(name, { value, expires, line });
    }
  }
}

export interface ParsedForm {
  action: string;
  method: string;
  fields: Record<string, string>;
}

export function findForm(html: string, actionPart?: string): ParsedForm {
  const forms = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].map(([, attributes, inner]) => ({
    action: decodeEntities(attribute(attributes, 'action') ?? ''),
    method: (attribute(attributes, 'method') ?? 'get').toUpperCase(),
    fields: Object.fromEntries(
      [...inner.matchAll(/<input\b([^>]*)>/gi)]
        .map(([, input]) => [attribute(input, 'name'), decodeEntities(attribute(input, 'value') ?? '')] as const)
        .filter((entry): entry is readonly [string, string] => Boolean(entry[0])),
    ),
  }));
  const form = actionPart ? forms.find((candidate) => candidate.action.includes(actionPart)) : forms[0];
  if (!form) throw new Error(`no form${actionPart ? ` with action containing ${actionPart}` : ''} in page:\n${html.slice(0, 2000)}`);
  return form;
}

function attribute(attributes: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(attributes);
  return match ? (match[2] ?? match[3] ?? match[4]) : undefined;
}

function decodeEntities(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
