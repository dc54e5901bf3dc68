import { randomInt } from 'node:crypto';

/**
 * RFC 8628 §6.1's alphabet: consonants only, so no code spells a word, and none of 0/O, 1/I/L,
 * 5/S, 8/B look-alikes between letters and digits. 20^8 ≈ 2^34.6 codes, and guessing is rate-limited.
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;

/** A fresh user code (no dash), each character drawn uniformly from the CSPRNG. */
export function newUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/** `XXXX-XXXX`, as shown to people and as they type it. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * What a person typed, as a stored code: case, dashes and spaces ignored. Undefined when it cannot
 * be a code at all (wrong length or a character outside the alphabet), so no lookup is made for it.
 */
export function normalizeUserCode(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length > 32) return undefined;
  const code = raw.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== USER_CODE_LENGTH) return undefined;
  for (const char of code) if (!USER_CODE_ALPHABET.includes(char)) return undefined;
  return code;
}
