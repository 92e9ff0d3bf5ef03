// SignInBudget with an injected clock: per-address and node-wide budgets,
// successes given back, refusals coded with retryAfter.
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../server/protocol';
import { SignInBudget } from '../../../server/services/sign-in-budget';

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function refusal(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('SignInBudget', () => {
  it('refuses an address over its budget with RATE_LIMITED and retryAfter; other addresses are unaffected', () => {
    const c = clock();
    const budget = new SignInBudget({ perAddress: 3, total: 0, maxHashQueue: 0 }, c.now);
    for (let i = 0; i < 3; i++) budget.take('10.0.0.1');
    const err = refusal(() => budget.take('10.0.0.1'));
    expect(err.code).toBe('RATE_LIMITED');
    // 3 per minute: a token every 20 s.
    expect(err.retryAfter).toBe(20);
    budget.take('10.0.0.2');
    c.advance(20_000);
    budget.take('10.0.0.1');
  });

  it('gives the tokens of a successful attempt back', () => {
    const budget = new SignInBudget({ perAddress: 2, total: 2, maxHashQueue: 0 }, clock().now);
    for (let i = 0; i < 10; i++) budget.take('10.0.0.1').succeeded();
    budget.take('10.0.0.1');
    budget.take('10.0.0.1');
    expect(refusal(() => budget.take('10.0.0.1')).code).toBe('RATE_LIMITED');
  });

  it('refuses every address with SERVER_BUSY once the node-wide budget is spent, without charging the address', () => {
    const c = clock();
    const budget = new SignInBudget({ perAddress: 1, total: 2, maxHashQueue: 0 }, c.now);
    budget.take('10.0.0.1');
    budget.take('10.0.0.2');
    const err = refusal(() => budget.take('10.0.0.3'));
    expect(err.code).toBe('SERVER_BUSY');
    expect(err.retryAfter).toBe(30);
    // 30 s later the node has a token again; 10.0.0.3 still has its own (a charged one would be half refilled).
    c.advance(30_000);
    budget.take('10.0.0.3');
  });

  it('0 means no limit', () => {
    const budget = new SignInBudget({ perAddress: 0, total: 0, maxHashQueue: 0 }, clock().now);
    for (let i = 0; i < 1000; i++) budget.take('10.0.0.1');
  });
});
