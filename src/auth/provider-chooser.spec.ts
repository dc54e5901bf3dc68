import { describe, expect, it } from 'vitest';
import { chooseProvider, type ChooserOption } from './provider-chooser.js';

const ACME: ChooserOption = { id: 'acme', displayName: 'Acme', emailDomains: ['acme.com'] };
const CORP: ChooserOption = { id: 'default', displayName: 'Corp', emailDomains: [] };

describe('chooseProvider', () => {
  it('goes straight to the only provider', () => {
    expect(chooseProvider([CORP], {})).toEqual({ kind: 'start', providerId: 'default' });
  });

  it('shows the chooser for several providers and nothing remembered', () => {
    expect(chooseProvider([CORP, ACME], {})).toEqual({ kind: 'choose' });
  });

  it('routes an email by domain (subdomains included) with a login hint', () => {
    expect(chooseProvider([CORP, ACME], { email: 'Jane@ACME.com' })).toEqual({ kind: 'start', providerId: 'acme', loginHint: 'Jane@ACME.com' });
    expect(chooseProvider([CORP, ACME], { email: 'jo@eu.acme.com' })).toMatchObject({ providerId: 'acme' });
    expect(chooseProvider([CORP, ACME], { email: 'jo@notacme.com' })).toMatchObject({ kind: 'choose', notice: expect.stringContaining('notacme.com') });
    expect(chooseProvider([CORP, ACME], { email: 'not an email' })).toMatchObject({ kind: 'choose', notice: expect.stringContaining('not an email address') });
  });

  it('skips the chooser for the provider used last, unless asked or it is gone', () => {
    expect(chooseProvider([CORP, ACME], { lastProviderId: 'acme' })).toEqual({ kind: 'start', providerId: 'acme' });
    expect(chooseProvider([CORP, ACME], { lastProviderId: 'acme', forceChooser: true })).toEqual({ kind: 'choose' });
    expect(chooseProvider([CORP, ACME], { lastProviderId: 'removed' })).toEqual({ kind: 'choose' });
  });

  it('shows the chooser instead of the provider used last when its last check failed', () => {
    expect(chooseProvider([CORP, ACME], { lastProviderId: 'acme', unavailableIds: new Set(['acme']) })).toEqual({ kind: 'choose' });
    expect(chooseProvider([CORP, ACME], { lastProviderId: 'acme', unavailableIds: new Set(['default']) })).toEqual({ kind: 'start', providerId: 'acme' });
    expect(chooseProvider([CORP, ACME], { email: 'jo@acme.com', unavailableIds: new Set(['acme']) })).toMatchObject({ kind: 'choose', notice: expect.stringContaining('Acme, which signs in acme.com, is unavailable') });
  });

  it('says so when no provider is enabled', () => {
    expect(chooseProvider([], {})).toEqual({ kind: 'none' });
  });
});
