/** What a browser says about where a request comes from. */
export interface RequestOrigin {
  /** The `Origin` header; `null` (the string) is what Chromium sends on form posts under `Referrer-Policy: no-referrer`. */
  origin?: string;
  /** The `Sec-Fetch-Site` header: `same-origin`, `same-site`, `cross-site` or `none`. */
  secFetchSite?: string;
}

/**
 * Why a state-changing request must be refused as sent by another site, or undefined when nothing
 * says so. `Origin: null` passes: it names no site, and the session's CSRF token still has to be
 * right. Any named origin must be this service's own; `Sec-Fetch-Site: cross-site` is refused
 * whatever the `Origin` says. Old browsers without either header are left to the token.
 */
export function crossSiteReason(request: RequestOrigin, ownOrigin: string): string | undefined {
  if (request.secFetchSite?.trim().toLowerCase() === 'cross-site') return 'Sec-Fetch-Site: cross-site';
  const origin = request.origin?.trim();
  if (origin !== undefined && origin !== 'null' && origin !== ownOrigin) return `Origin ${origin.slice(0, 100)}`;
  return undefined;
}
