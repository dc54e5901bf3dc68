import { describe, expect, it } from 'vitest';
import type { Readiness } from './provider-health.service.js';
import { publicProviderReason, publicReadiness } from './public-readiness.js';

describe('publicProviderReason', () => {
  it.each([
    [{ step: 'discovery', code: 'discovery_unreachable' }, 'discovery_unreachable', 'could not be reached'],
    [{ step: 'jwks', code: 'jwks_timeout' }, 'jwks_timeout', 'could not be reached'],
    [{ step: 'discovery', code: 'discovery_http_error' }, 'discovery_http_error', 'configuration document could not be read'],
    [{ step: 'issuer', code: 'issuer_mismatch' }, 'issuer_mismatch', 'names itself differently'],
    [{ step: 'client', code: 'client_rejected' }, 'client_rejected', 'does not accept the client settings'],
    [{ step: 'test', code: 'test_running' }, 'test_running', 'still being checked'],
    [{ step: 'client', code: 'Client "front-door" at https://idp' }, 'client_failed', 'does not accept the client settings'],
    [{ step: 'new-step', code: 'new_step_failed' }, 'new_step_failed', 'cannot be used right now'],
  ])('%o → %s', (failure, reason, sentence) => {
    const answer = publicProviderReason(failure);
    expect(answer.reason).toBe(reason);
    expect(answer.reasonMessage).toContain(sentence);
    expect(answer.reasonMessage).toContain('details in LifeTime');
  });
});

describe('publicReadiness', () => {
  const failing = {
    id: 'corp',
    displayName: 'Corp',
    ready: false,
    reason: 'client client_rejected: The token endpoint https://idp.internal:8443/token refused client "front-door"',
    failure: { step: 'client', code: 'client_rejected' },
  };

  it("drops every provider's admin sentence and says why in a code and a sentence naming nothing", () => {
    const readiness: Readiness = { ready: false, reason: `identity provider corp: ${failing.reason}`, providers: [failing] };
    const answer = publicReadiness(readiness);
    expect(answer).toEqual({
      ready: false,
      reason: { reason: 'client_rejected', reasonMessage: expect.stringContaining('does not accept') },
      providers: [{ id: 'corp', displayName: 'Corp', ready: false, reason: 'client_rejected', reasonMessage: expect.stringContaining('does not accept') }],
    });
    expect(JSON.stringify(answer)).not.toMatch(/idp\.internal|front-door|https?:/);
  });

  it('says nothing when ready, however another provider fails', () => {
    const answer = publicReadiness({ ready: true, reason: 'identity provider corp: …', providers: [{ id: 'ok', displayName: 'OK', ready: true }, failing] });
    expect(answer.reason).toBeUndefined();
    expect(answer.providers[0]).toEqual({ id: 'ok', displayName: 'OK', ready: true });
    expect(answer.providers[1].reason).toBe('client_rejected');
  });

  it('names no_provider when none is enabled', () => {
    expect(publicReadiness({ ready: false, reason: 'no identity provider is enabled', providers: [] }).reason?.reason).toBe('no_provider');
  });
});
