import { describe, expect, it } from 'vitest';
import { classifyTokenAnswer, type TokenAnswer } from './token-answer.js';

describe('classifyTokenAnswer', () => {
  const cases: [string, number, Record<string, unknown> | undefined, TokenAnswer][] = [
    ['invalid_grant (the usual refusal of an unknown code)', 400, { error: 'invalid_grant' }, { verdict: 'accepted', error: 'invalid_grant' }],
    ["Glewlwyd's 403 invalid_code", 403, { error: 'invalid_code' }, { verdict: 'accepted', error: 'invalid_code' }],
    ['any other error about the code', 400, { error: 'expired_code', error_description: 'x' }, { verdict: 'accepted', error: 'expired_code' }],
    ['invalid_client', 400, { error: 'invalid_client' }, { verdict: 'rejected', error: 'invalid_client' }],
    ['invalid_client with 401', 401, { error: 'invalid_client' }, { verdict: 'rejected', error: 'invalid_client' }],
    ['a bare 401', 401, undefined, { verdict: 'rejected' }],
    ['a 401 that names the code', 401, { error: 'invalid_grant' }, { verdict: 'rejected', error: 'invalid_grant' }],
    ['unauthorized_client', 400, { error: 'unauthorized_client' }, { verdict: 'not_allowed', error: 'unauthorized_client' }],
    ['unsupported_grant_type', 400, { error: 'unsupported_grant_type' }, { verdict: 'grant_refused', error: 'unsupported_grant_type' }],
    ['invalid_request with its description', 400, { error: 'invalid_request', error_description: 'redirect_uri mismatch' }, { verdict: 'invalid_request', description: 'redirect_uri mismatch' }],
    ['invalid_request without description', 400, { error: 'invalid_request' }, { verdict: 'invalid_request' }],
    ['server_error with 400', 400, { error: 'server_error' }, { verdict: 'unclassified', error: 'server_error' }],
    ['temporarily_unavailable', 503, { error: 'temporarily_unavailable' }, { verdict: 'unclassified', error: 'temporarily_unavailable' }],
    ['invalid_grant with a 5xx', 500, { error: 'invalid_grant' }, { verdict: 'unclassified', error: 'invalid_grant' }],
    ['a web page', 200, undefined, { verdict: 'unclassified' }],
    ['a 404 without an OAuth error', 404, { message: 'not found' }, { verdict: 'unclassified' }],
    ['a 2xx with tokens', 200, { access_token: 'x' }, { verdict: 'unclassified' }],
    ['an error that is not a string', 400, { error: 42 }, { verdict: 'unclassified' }],
    ['an error with characters OAuth does not allow', 400, { error: 'bad"code' }, { verdict: 'unclassified' }],
  ];

  it.each(cases)('%s', (_name, status, body, expected) => {
    expect(classifyTokenAnswer(status, body)).toEqual(expected);
  });
});
