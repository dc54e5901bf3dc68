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
