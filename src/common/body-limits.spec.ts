import { describe, expect, it } from 'vitest';
import { jsonDepth, MAX_JSON_DEPTH, refuseDeepJson } from './body-limits.js';

describe('jsonDepth', () => {
  it('counts nesting of arrays and objects', () => {
    expect(jsonDepth(Buffer.from('{}'))).toBe(1);
    expect(jsonDepth(Buffer.from('{"a":[1,{"b":[]}]}'))).toBe(4);
    expect(jsonDepth(Buffer.from('"plain"'))).toBe(0);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonDepth(Buffer.from('{"a":"[[[[{{{{"}'))).toBe(1);
    expect(jsonDepth(Buffer.from('{"a":"\\"[[[["}'))).toBe(1);
  });

  it('stops counting once past the limit', () => {
    expect(jsonDepth(Buffer.from('['.repeat(45_000)), 32)).toBe(33);
  });
});

describe('refuseDeepJson', () => {
  it('lets a body at the limit through and refuses one level more with a 400', () => {
    expect(() => refuseDeepJson({} as never, {}, Buffer.from('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH)))).not.toThrow();
    expect(() => refuseDeepJson({} as never, {}, Buffer.from('['.repeat(MAX_JSON_DEPTH + 1)))).toThrow(expect.objectContaining({ status: 400 }));
  });
});
