import { decodeFunctionData, encodeFunctionData, parseAbiItem } from 'viem';
import { describe, expect, it } from 'vitest';
import { maxListedIssues, ValidationError } from '../../functions/lib/errors/errors.ts';
import { encodeCall, maxCallDataBytes } from '../../functions/lib/transactions/encodeCall.ts';
import { normalizeRequest, transactionRequestSchema } from '../../functions/lib/transactions/requestSchema.ts';

const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

/** The field paths a refused call names. */
function pathsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.details.map((d) => d.path);
    throw error;
  }
  return [];
}

describe('encodeCall', () => {
  it('encodes exactly what viem encodes, and keeps the canonical arguments', () => {
    const call = encodeCall('transfer(address to, uint256 amount)', [to.toLowerCase(), '0x3e8']);
    const abi = [parseAbiItem('function transfer(address to, uint256 amount)')];
    expect(call.data).toBe(encodeFunctionData({ abi, functionName: 'transfer', args: [to, 1000n] }));
    expect(call.args).toEqual([to, '1000']);
    expect(call.function).toBe('transfer(address to, uint256 amount)');
    expect(decodeFunctionData({ abi, data: call.data }).args).toEqual([to, 1000n]);
  });

  it('takes the signature with or without the function keyword, returns and modifiers', () => {
    const a = encodeCall('function approve(address,uint256) external returns (bool)', [to, 5]);
    const b = encodeCall('approve(address spender, uint256 value)', [to, '5']);
    expect(a.data).toBe(b.data);
  });

  it('encodes arrays, tuples, bytes, bool, string and signed integers', () => {
    const sig = 'f((uint8 a, address b)[] xs, bytes32 h, bytes raw, bool ok, string s, int16 n)';
    const call = encodeCall(sig, [[[1, to]], `0x${'ab'.repeat(32)}`, '0xDEAD', true, 'hi', '-0x10']);
    const abi = [parseAbiItem(`function ${sig}`)];
    expect(decodeFunctionData({ abi, data: call.data }).args).toEqual([
      [{ a: 1, b: to }],
      `0x${'ab'.repeat(32)}`,
      '0xdead',
      true,
      'hi',
      -16,
    ]);
    expect(call.args).toEqual([[['1', to]], `0x${'ab'.repeat(32)}`, '0xdead', true, 'hi', '-16']);
  });

  it.each([
    ['not a signature', [], 'function'],
    ['event Transfer(address,uint256)', [to, 1], 'function'],
    ['transfer(address,uint256)', [to], 'args'],
    ['transfer(address,uint256)', ['0x70997970c51812dc3A010C7d01b50e0d17dc79C8', 1], 'args.0'], // bad checksum
    ['transfer(address,uint256)', [to, '-1'], 'args.1'],
    ['transfer(address,uint256)', [to, ''], 'args.1'], // never read as 0
    ['transfer(address,uint256)', [to, 1.5], 'args.1'],
    ['transfer(address,uint256)', [to, 2 ** 60], 'args.1'], // a number that lost its precision
    ['transfer(address,uint256)', [to, `0x1${'0'.repeat(64)}`], 'args.1'],
    ['f(uint8)', [256], 'args.0'],
    ['f(int8)', ['-129'], 'args.0'],
    ['f(bool)', ['true'], 'args.0'],
    ['f(bytes32)', ['0x12'], 'args.0'],
    ['f(bytes)', ['hello'], 'args.0'],
    ['f(string)', [1], 'args.0'],
    ['f(uint256[2])', [['1']], 'args.0'],
    ['f(uint256[])', [['1', 'x']], 'args.0.1'],
    ['f((uint256,bool))', [['1']], 'args.0'],
    ['f((uint256,bool))', [['1', 'no']], 'args.0.1'],
  ])('refuses %s with %j, naming %s', (sig, args, path) => {
    expect(pathsOf(() => encodeCall(sig, args))).toContain(path);
  });

  it.each([
    ['f(uint256,string)', ['1', 'a\ud800'], 'args.1'], // a lone high surrogate
    ['f(string)', ['\udc00b'], 'args.0'], // a lone low surrogate
    ['f(string)', ['\udc00\ud800'], 'args.0'], // the pair the wrong way round
    ['f(string[])', [['ok', 'x\ud83d']], 'args.0.1'],
    ['f((uint8,string))', [['1', '\ud800']], 'args.0.1'],
  ])('refuses %s with a string that is not well-formed Unicode, %j, naming %s', (sig, args, path) => {
    // act: viem would encode U+FFFD in its place, while the request would be stored as given
    const paths = pathsOf(() => encodeCall(sig, args));
    // assess
    expect(paths).toEqual([path]);
  });

  it('says what is wrong with such a string, and takes a well-formed one with astral characters', () => {
    expect(() => encodeCall('f(string)', ['\ud800'])).toThrow(
      expect.objectContaining({
        details: [
          { path: 'args.0', message: 'must be well-formed Unicode: a lone surrogate (\\ud800-\\udfff) is not text' },
        ],
      }),
    );
    expect(encodeCall('f(string)', ['\ud83d\ude00 é']).args).toEqual(['\ud83d\ude00 é']);
  });

  it('refuses arguments nested deeper than 8 levels (DynamoDB keeps at most 32)', () => {
    const nest = (levels: number): unknown => (levels === 0 ? '1' : [nest(levels - 1)]);
    expect(encodeCall(`f(uint256${'[]'.repeat(7)})`, [nest(7)]).args).toEqual([nest(7)]);
    expect(pathsOf(() => encodeCall(`f(uint256${'[]'.repeat(9)})`, [nest(9)]))).toEqual([`args${'.0'.repeat(9)}`]);
  });

  it('names every wrong argument at once', () => {
    expect(pathsOf(() => encodeCall('f(address,uint256,bool)', ['x', 'y', 'z']))).toEqual([
      'args.0',
      'args.1',
      'args.2',
    ]);
  });

  it('lists at most the first issues of many wrong arguments, and counts the rest', () => {
    // act
    let error: unknown;
    try {
      encodeCall('f(uint256[])', [Array.from({ length: 5000 }, () => 'x')]);
    } catch (e) {
      error = e;
    }
    // assess
    expect(error).toBeInstanceOf(ValidationError);
    if (!(error instanceof ValidationError)) return;
    expect(error.details.map((d) => d.path)).toEqual(Array.from({ length: maxListedIssues }, (_, i) => `args.0.${i}`));
    expect(error.message).toMatch(/check args\.0\.0, .*args\.0\.19 \(and 4980 more issues, not listed/);
    expect(error.message.length).toBeLessThan(1000);
  });

  it('refuses call data larger than the limit', () => {
    const n = maxCallDataBytes / 32 + 1;
    expect(pathsOf(() => encodeCall('f(uint256[])', [Array.from({ length: n }, () => '1')]))).toEqual(['args']);
  });
});

describe('the request schema with function and args', () => {
  const parse = (body: unknown) => {
    const r = transactionRequestSchema.safeParse(body);
    return r.success ? r.data : r.error.issues.map((i) => i.path.join('.'));
  };

  it('refuses data together with function, and args without function', () => {
    expect(parse({ to, data: '0x', function: 'f()' })).toEqual(['function']);
    expect(parse({ to, args: [] })).toEqual(['args']);
  });

  it('stores both forms: the encoded data, the signature and the canonical arguments', () => {
    const req = transactionRequestSchema.parse({ to, function: 'transfer(address to, uint256 amount)', args: [to, 7] });
    expect(normalizeRequest(req, 31337)).toEqual({
      to,
      value: '0',
      chainId: 31337,
      data: encodeCall('transfer(address,uint256)', [to, 7]).data,
      function: 'transfer(address to, uint256 amount)',
      args: [to, '7'],
    });
  });
});
