import { describe, expect, it } from 'vitest';
import { crossSiteReason, type RequestOrigin } from './cross-site.js';

const OWN = 'https://frontdoor.example.com';

describe('crossSiteReason', () => {
  it.each<[string, RequestOrigin]>([
    ['this origin', { origin: OWN }],
    ['this origin, same-origin fetch metadata', { origin: OWN, secFetchSite: 'same-origin' }],
    ['Origin null (Chromium under no-referrer)', { origin: 'null', secFetchSite: 'same-origin' }],
    ['Origin null without fetch metadata', { origin: 'null' }],
    ['no headers at all (an old browser or a script: the token decides)', {}],
    ['typed into the address bar', { secFetchSite: 'none' }],
  ])('lets %s through', (_, request) => {
    expect(crossSiteReason(request, OWN)).toBeUndefined();
  });

  it.each<[string, RequestOrigin, string]>([
    ['another site', { origin: 'https://evil.example' }, 'Origin https://evil.example'],
    ['another port of this host', { origin: 'https://frontdoor.example.com:8443' }, 'Origin https://frontdoor.example.com:8443'],
    ['http instead of https', { origin: 'http://frontdoor.example.com' }, 'Origin http://frontdoor.example.com'],
    ['a sibling subdomain (same site, other origin)', { origin: 'https://wiki.example.com', secFetchSite: 'same-site' }, 'Origin https://wiki.example.com'],
    ['a cross-site fetch with Origin null', { origin: 'null', secFetchSite: 'cross-site' }, 'Sec-Fetch-Site: cross-site'],
    ['a cross-site fetch claiming this origin', { origin: OWN, secFetchSite: 'Cross-Site' }, 'Sec-Fetch-Site: cross-site'],
    ['cross-site fetch metadata alone', { secFetchSite: 'cross-site' }, 'Sec-Fetch-Site: cross-site'],
  ])('refuses %s', (_, request, reason) => {
    expect(crossSiteReason(request, OWN)).toBe(reason);
  });
});
