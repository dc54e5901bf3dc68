import { describe, expect, it } from 'vitest';
import { buildPlan } from './build-plan.mjs';

describe('what the build redoes', () => {
  it.each([
    // inputs, compiled, bundled: modification times (0: no stamp yet)
    { case: 'a plain build always builds', newestInputMs: 10, compiledMs: 20, bundledMs: 30, ifChanged: false, bundle: true, plan: { compile: true, bundle: true } },
    { case: 'nothing changed', newestInputMs: 10, compiledMs: 20, bundledMs: 30, ifChanged: true, bundle: true, plan: { compile: false, bundle: false } },
    { case: 'a fresh clone', newestInputMs: 10, compiledMs: 0, bundledMs: 0, ifChanged: true, bundle: true, plan: { compile: true, bundle: true } },
    { case: 'a source edited', newestInputMs: 40, compiledMs: 20, bundledMs: 30, ifChanged: true, bundle: true, plan: { compile: true, bundle: true } },
    { case: 'a source edited, for a command line', newestInputMs: 40, compiledMs: 20, bundledMs: 30, ifChanged: true, bundle: false, plan: { compile: true, bundle: false } },
    { case: 'compiled for a command line since the last bundle', newestInputMs: 10, compiledMs: 40, bundledMs: 30, ifChanged: true, bundle: true, plan: { compile: false, bundle: true } },
    { case: 'nothing changed, for a command line', newestInputMs: 10, compiledMs: 40, bundledMs: 30, ifChanged: true, bundle: false, plan: { compile: false, bundle: false } },
    { case: 'compiled but never bundled', newestInputMs: 10, compiledMs: 20, bundledMs: 0, ifChanged: true, bundle: true, plan: { compile: false, bundle: true } },
  ])('$case', ({ plan, case: _case, ...times }) => {
    expect(buildPlan(times)).toEqual(plan);
  });
});
