import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { ValidationError } from '../../functions/lib/errors/errors.ts';
import { intrinsicGas } from '../../functions/lib/transactions/intrinsicGas.ts';
import { normalizeRequest, transactionRequestSchema } from '../../functions/lib/transactions/requestSchema.ts';

const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const paths = (body: unknown) => {
  const r = transactionRequestSchema.safeParse(body);
  return r.success
    ? []
    : r.error.issues.map((i) => (i.code === 'unrecognized_keys' ? i.keys.join() : i.path.join('.')));
};

describe('transactionRequestSchema', () => {
  it('accepts a minimal request and fills defaults', () => {
    const r = transactionRequestSchema.parse({ to });
    expect(normalizeRequest(r, 31337)).toEqual({ to, value: '0', data: '0x', chainId: 31337 });
  });

  it('normalizes hex value and gas to decimal and the address to its checksum', () => {
    const r = transactionRequestSchema.parse({ to: to.toLowerCase(), value: '0x10', gas: '0x5208', chainId: 1 });
    expect(normalizeRequest(r, 31337)).toEqual({ to, value: '16', data: '0x', chainId: 1, gas: '21000' });
  });

  it.each([
    [{ to: '0x70997970c51812dc3A010C7d01b50e0d17dc79C8' }, 'to'], // wrong checksum
    [{ to: '0x1234' }, 'to'],
    [{}, 'to'],
    [{ to, value: '-1' }, 'value'],
    [{ to, value: '1.5' }, 'value'],
    [{ to, value: `0x1${'0'.repeat(64)}` }, 'value'], // 2^256
    [{ to, data: '0x123' }, 'data'],
    [{ to, data: 'abcd' }, 'data'],
    [{ to, gas: '0' }, 'gas'],
    [{ to, gas: '1' }, 'gas'], // below the 21000 of the plainest transfer: it would only burn a nonce
    [{ to, gas: '20999' }, 'gas'],
    [{ to, gas: `0x1${'0'.repeat(16)}` }, 'gas'], // 2^64: a node cannot decode it
    [{ to, gas: `0x${'f'.repeat(64)}` }, 'gas'], // 2^256-1
    [{ to, chainId: 1.5 }, 'chainId'],
    [{ to, nonce: 1 }, 'nonce'],
  ])('rejects %j naming %s', (body, path) => {
    expect(paths(body)).toContain(path);
  });

  it('accepts gas from 21000 to 2^64-1, and names both bounds when it refuses', () => {
    expect(paths({ to, gas: '21000' })).toEqual([]);
    expect(paths({ to, gas: `0x${'f'.repeat(16)}` })).toEqual([]);
    const r = transactionRequestSchema.safeParse({ to, gas: '1' });
    expect(r.error?.issues.map((i) => i.message)).toEqual([
      'must be at least 21000 and at most 18446744073709551615 (2^64-1)',
    ]);
  });

  it('says in the OpenAPI document what gas may be', () => {
    const { $defs } = z.toJSONSchema(transactionRequestSchema, { io: 'input' });
    expect($defs?.TransactionRequest?.properties?.gas).toMatchObject({
      description: expect.stringMatching(/21000.*2\^64-1/),
    });
  });

  it('refuses a function signature that is not well-formed Unicode, saying so', () => {
    const r = transactionRequestSchema.safeParse({ to, function: 'f(string)\ud800' });
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['function', 'must be well-formed Unicode: a lone surrogate (\\ud800-\\udfff) is not text'],
    ]);
  });

  it('accepts the largest uint256', () => {
    expect(paths({ to, value: `0x${'f'.repeat(64)}` })).toEqual([]);
  });
});

describe('the gas limit against the call data', () => {
  it('is refused, naming gas and the least it may be, when under what the data needs (EIP-2028)', () => {
    // 21000 + two non-zero bytes (16 each) + one zero byte (4) = 21036.
    const r = transactionRequestSchema.parse({ to, data: '0xff0001', gas: '21035' });
    let error: unknown;
    try {
      normalizeRequest(r, 31337);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details).toEqual([{ path: 'gas', message: expect.stringContaining('21036') }]);
    const enough = transactionRequestSchema.parse({ to, data: '0xff0001', gas: '21036' });
    expect(normalizeRequest(enough, 31337).gas).toBe('21036');
  });

  it('counts an encoded call too: transfer(address,uint256) needs more than 21000', () => {
    const r = transactionRequestSchema.parse({
      to,
      function: 'transfer(address to, uint256 amount)',
      args: [to, '1'],
      gas: '21000',
    });
    expect(() => normalizeRequest(r, 31337)).toThrowError(ValidationError);
    expect(intrinsicGas(normalizeRequest({ ...r, gas: undefined }, 31337).data)).toBeGreaterThan(21_000n);
  });
});
