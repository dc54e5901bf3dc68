/** The value of a hidden form field in a page, e.g. the `_csrf` token of its Log out form. */
export function fieldValue(body: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(body);
  if (!match) throw new Error(`no field ${name} in the page`);
  return match[1];
}

/** A form POST body with the page's CSRF token. */
export function csrfForm(body: string, fields: Record<string, string> = {}): { body: URLSearchParams; headers: Record<string, string> } {
  return {
    body: new URLSearchParams({ _csrf: fieldValue(body, '_csrf'), ...fields }),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  };
}

/** The "Open … Studio" button of a handoff page: its label, and the form it posts. */
export function openButton(body: string): { text: string; action: string; csrf: string } {
  const match = /<form id="open-form" method="post" action="([^"]*)"[^>]*>\s*<input type="hidden" name="_csrf" value="([^"]*)">\s*<button id="open-studio" type="submit">([^<]*)<\/button>/.exec(body);
  if (!match) throw new Error(`no Open … Studio button in:\n${body.slice(0, 1500)}`);
  return { action: match[1], csrf: match[2], text: match[3] };
}

/**
 * Clicks "Open … Studio" the way a browser without JavaScript does: posts the form with its CSRF
 * token and returns where the answer sends the browser (not followed: it is the Studio's URL).
 */
export async function clickOpen(browser: { request(url: string, init?: RequestInit): Promise<Response> }, page: { url: string; body: string }): Promise<{ status: number; href: URL; text: string }> {
  const button = openButton(page.body);
  const response = await browser.request(new URL(button.action, page.url).toString(), {
    method: 'POST',
    body: new URLSearchParams({ _csrf: button.csrf }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'null' },
  });
  const location = response.headers.get('location');
  await response.arrayBuffer();
  if (!location) throw new Error(`Open … Studio answered HTTP ${response.status} without a redirect`);
  return { status: response.status, href: new URL(location), text: button.text };
}
