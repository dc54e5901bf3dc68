import { describe, expect, it } from 'vitest';
import { fieldsNeedingSecretAgain, type SecretDestinationChange, type SecretHolder } from './secret-destination.js';

describe('fieldsNeedingSecretAgain', () => {
  const stored: SecretHolder = { issuer: 'https://idp.example.com', authenticatesWithSecret: true };
  const cases: [string, SecretHolder, SecretDestinationChange, string[]][] = [
    ['a new issuer without the secret', stored, { issuer: 'https://elsewhere.example' }, ['issuer']],
    ['a new issuer that differs only by a trailing slash', stored, { issuer: 'https://idp.example.com/' }, ['issuer']],
    ['a new issuer with the secret', stored, { issuer: 'https://elsewhere.example', clientSecret: 's' }, []],
    ['the same issuer again (a form sends every field)', stored, { issuer: 'https://idp.example.com' }, []],
    ['no issuer in the change', stored, {}, []],
    ['a new secret alone', stored, { clientSecret: 's' }, []],
    ['a new issuer with a switch to client_secret_basic, without the secret', stored, { issuer: 'https://elsewhere.example', clientAuth: 'client_secret_basic' }, ['issuer']],
    ['a new issuer with a switch to private_key_jwt, which drops the secret', stored, { issuer: 'https://elsewhere.example', clientAuth: 'private_key_jwt' }, []],
    ['a new issuer for a private_key_jwt provider (no secret to send)', { ...stored, authenticatesWithSecret: false }, { issuer: 'https://elsewhere.example', clientAuth: 'private_key_jwt' }, []],
    ['a new issuer for a provider without a stored secret', { ...stored, authenticatesWithSecret: false }, { issuer: 'https://elsewhere.example' }, []],
  ];

  it.each(cases)('%s', (_name, current, changes, expected) => {
    expect(fieldsNeedingSecretAgain(current, changes)).toEqual(expected);
  });
});
