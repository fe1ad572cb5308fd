import { HttpRequestError, RpcRequestError, TimeoutError } from 'viem';
import { describe, expect, it } from 'vitest';
import { classifyRpcError, defaultRules } from '../../functions/lib/chain/classifyRpcError.ts';

/** A node's JSON-RPC error as viem wraps it. */
const rpcError = (message: string, code = -32000) =>
  new RpcRequestError({ body: { method: 'eth_sendRawTransaction' }, error: { code, message }, url: 'http://node' });

describe('classifyRpcError', () => {
  it.each([
    ['already known', 'known'],
    ['known transaction: 0xabc', 'known'],
    ['Transaction with the same hash was already imported.', 'known'],
    ['AlreadyKnown', 'known'],
    ['nonce too low: next nonce 5, tx nonce 3', 'nonceUsed'],
    ['OldNonce', 'nonceUsed'],
    ['replacement transaction underpriced', 'replacement'],
    ['txpool is full', 'transient'],
    ['transaction underpriced', 'transient'],
    ['max fee per gas less than block base fee: address 0x1, maxFeePerGas: 1 baseFee: 7', 'transient'],
    ['FeeTooLow', 'transient'],
    ['nonce too high', 'transient'],
    ['tx nonce exceeds next nonce', 'transient'],
    ['NonceGap', 'transient'],
    ['header not found', 'transient'],
    ['rate limit reached', 'transient'],
    ['insufficient funds for gas * price + value: balance 0', 'permanent'],
    ['intrinsic gas too low: have 20000, want 21000', 'permanent'],
    ['exceeds block gas limit', 'permanent'],
    ['intrinsic gas too high -- tx.gas_limit > env.block.gas_limit', 'permanent'], // revm (anvil, reth)
    ['invalid sender', 'permanent'],
    ['oversized data', 'permanent'],
    ['transaction type not supported', 'permanent'],
    ['something nobody has seen before', 'unknown'],
  ] as const)('%s -> %s', (message, expected) => {
    expect(classifyRpcError(rpcError(message)).class).toBe(expected);
  });

  it('matches case-insensitively', () => {
    expect(classifyRpcError(rpcError('ALREADY KNOWN')).class).toBe('known');
    expect(classifyRpcError(rpcError('Insufficient Funds for gas')).class).toBe('permanent');
  });

  it('prefers "replacement transaction underpriced" over the plain underpriced rule', () => {
    expect(classifyRpcError(rpcError('replacement transaction underpriced')).class).toBe('replacement');
  });

  it.each([408, 425, 429, 500, 502, 503, 504])('HTTP %d is transient', (status) => {
    const error = new HttpRequestError({ url: 'http://node', status, body: { method: 'eth_sendRawTransaction' } });
    expect(classifyRpcError(error).class).toBe('transient');
  });

  it('an HTTP 400 with no known message is not called transient', () => {
    const error = new HttpRequestError({ url: 'http://node', status: 400, body: {} });
    expect(classifyRpcError(error).class).toBe('unknown');
  });

  it('JSON-RPC -32005 (limit exceeded) is transient', () => {
    expect(classifyRpcError(rpcError('request cannot be served', -32005)).class).toBe('transient');
  });

  it('timeouts are transient', () => {
    expect(classifyRpcError(new TimeoutError({ body: {}, url: 'http://node' })).class).toBe('transient');
  });

  it('refused and reset connections are transient, from the cause chain', () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8545'), { code: 'ECONNREFUSED' }),
    });
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(classifyRpcError(new HttpRequestError({ url: 'http://node', cause: refused })).class).toBe('transient');
    expect(classifyRpcError(reset).class).toBe('transient');
  });

  it("keeps the node's own words as the reason", () => {
    const c = classifyRpcError(rpcError('insufficient funds for gas * price + value: balance 0, tx cost 5'));
    expect(c.reason).toBe('insufficient funds for gas * price + value: balance 0, tx cost 5');
  });

  it('an operator can extend the table', () => {
    const rules = [{ match: 'L2 sequencer is down', class: 'transient' as const, label: 'sequencer' }, ...defaultRules];
    expect(classifyRpcError(rpcError('L2 sequencer is down'), rules)).toMatchObject({
      class: 'transient',
      label: 'sequencer',
    });
  });
});
