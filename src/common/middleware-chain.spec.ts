import type { NextFunction, Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { chain } from './middleware-chain.js';

describe('chain', () => {
  const req = {} as Request;
  const res = {} as Response;

  it('runs the handlers in order, then calls next once', () => {
    const seen: string[] = [];
    const calls: unknown[] = [];
    const handler = (name: string) => (_req: Request, _res: Response, next: NextFunction) => {
      seen.push(name);
      next();
    };
    chain(handler('a'), handler('b'), handler('c'))(req, res, (error?: unknown) => calls.push(error));
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(calls).toEqual([undefined]);
  });

  it('skips the rest on an error and hands it on', () => {
    const seen: string[] = [];
    const failure = new Error('bad body');
    const calls: unknown[] = [];
    chain(
      (_req, _res, next) => next(failure),
      () => seen.push('never'),
    )(req, res, (error?: unknown) => calls.push(error));
    expect(seen).toEqual([]);
    expect(calls).toEqual([failure]);
  });

  it('stops where a handler answers without calling next', () => {
    const calls: unknown[] = [];
    chain(
      () => undefined,
      () => calls.push('never'),
    )(req, res, () => calls.push('next'));
    expect(calls).toEqual([]);
  });
});
