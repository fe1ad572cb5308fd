/// <reference lib="es2024.string" />
// String.prototype.isWellFormed is ES2024 (Node 20+); the project's lib is ES2023.
import { type AbiFunction, type AbiParameter, encodeFunctionData, getAddress, isAddress, parseAbiItem } from 'viem';
import { type FieldIssue, ValidationError } from '../errors/errors.ts';

/** Call data encoded from a signature and arguments; at most this many bytes (the stored item must stay small). */
export const maxCallDataBytes = 32 * 1024;

/** What a string with a lone surrogate is told: viem would encode U+FFFD in its place, the store keep it as given. */
export const notWellFormed = 'must be well-formed Unicode: a lone surrogate (\\ud800-\\udfff) is not text';

/** How deep arrays and tuples may nest in one argument. */
const maxDepth = 8;

export type EncodedCall = {
  /** The signature as the client gave it, trimmed. */
  function: string;
  /** The arguments in canonical JSON: integers as decimal strings, checksummed addresses, lowercase hex. */
  args: unknown[];
  data: `0x${string}`;
};

type Coerced = { value: unknown; normal: unknown };

const integer = /^(-?)(0x[0-9a-fA-F]+|[0-9]+)$/;
const hexBytes = /^0x([0-9a-fA-F]{2})*$/;

function parseFunction(signature: string): AbiFunction {
  const text = /^function\s/.test(signature) ? signature : `function ${signature}`;
  let item: ReturnType<typeof parseAbiItem>;
  try {
    item = parseAbiItem(text);
  } catch (error) {
    const why = error instanceof Error ? (error.message.split('\n')[0] ?? '') : '';
    throw new ValidationError('the function signature does not parse', [
      {
        path: 'function',
        message: `must be a Solidity function signature such as transfer(address to, uint256 amount): ${why}`,
      },
    ]);
  }
  if (item.type !== 'function') {
    throw new ValidationError('the signature is not of a function', [
      { path: 'function', message: `must be a function signature, not ${item.type}` },
    ]);
  }
  return item;
}

/** Checks one argument against its ABI type; returns what viem encodes and the canonical JSON form. */
function coerce(
  param: AbiParameter,
  input: unknown,
  path: string,
  depth: number,
  issues: FieldIssue[],
): Coerced | undefined {
  const fail = (message: string) => {
    issues.push({ path, message });
    return undefined;
  };
  if (depth > maxDepth) return fail(`nests deeper than ${maxDepth} levels`);
  const array = param.type.match(/^(.*)\[(\d*)\]$/);
  if (array) {
    const [, inner = '', size = ''] = array;
    if (!Array.isArray(input)) return fail(`must be an array (${param.type})`);
    if (size !== '' && input.length !== Number(size)) return fail(`must have exactly ${size} elements`);
    const element = { ...param, type: inner } as AbiParameter;
    return coerceAll(
      input.map((v, i) => [element, v, `${path}.${i}`] as const),
      depth + 1,
      issues,
    );
  }
  if (param.type === 'tuple' && 'components' in param) {
    if (!Array.isArray(input)) return fail('must be an array of the tuple’s components, in order');
    if (input.length !== param.components.length)
      return fail(`must have exactly ${param.components.length} components`);
    return coerceAll(
      param.components.map((c, i) => [c, input[i], `${path}.${i}`] as const),
      depth + 1,
      issues,
    );
  }
  const int = param.type.match(/^(u?)int(\d*)$/);
  if (int) {
    const unsigned = int[1] === 'u';
    const bits = BigInt(int[2] || 256);
    const digits = typeof input === 'string' ? input.match(integer) : null;
    let n: bigint;
    if (typeof input === 'number' && Number.isSafeInteger(input)) n = BigInt(input);
    else if (digits) n = (digits[1] === '-' ? -1n : 1n) * BigInt(digits[2] ?? '0');
    else return fail(`must be an integer (${param.type}): a decimal or 0x string, or a number below 2^53`);
    const min = unsigned ? 0n : -(2n ** (bits - 1n));
    const max = unsigned ? 2n ** bits - 1n : 2n ** (bits - 1n) - 1n;
    if (n < min || n > max) return fail(`must fit in ${param.type}`);
    return { value: n, normal: n.toString() };
  }
  if (param.type === 'address') {
    if (typeof input !== 'string' || !isAddress(input, { strict: true })) {
      return fail('must be a 20-byte 0x address (mixed case must be a valid EIP-55 checksum)');
    }
    const address = getAddress(input);
    return { value: address, normal: address };
  }
  if (param.type === 'bool') {
    return typeof input === 'boolean' ? { value: input, normal: input } : fail('must be true or false');
  }
  if (param.type === 'string') {
    if (typeof input !== 'string') return fail('must be a string');
    return input.isWellFormed() ? { value: input, normal: input } : fail(notWellFormed);
  }
  const bytes = param.type.match(/^bytes(\d*)$/);
  if (bytes) {
    if (typeof input !== 'string' || !hexBytes.test(input)) {
      return fail('must be 0x-prefixed hex with an even number of digits');
    }
    if (bytes[1] && (input.length - 2) / 2 !== Number(bytes[1])) return fail(`must be exactly ${bytes[1]} bytes`);
    const hex = input.toLowerCase();
    return { value: hex, normal: hex };
  }
  return fail(`type ${param.type} is not supported`);
}

function coerceAll(
  items: ReadonlyArray<readonly [AbiParameter, unknown, string]>,
  depth: number,
  issues: FieldIssue[],
): Coerced | undefined {
  const before = issues.length;
  const out = items.map(([param, value, path]) => coerce(param, value, path, depth, issues));
  if (issues.length > before) return undefined;
  return { value: out.map((c) => c?.value), normal: out.map((c) => c?.normal) };
}

/**
 * Encodes a call from a Solidity signature (`transfer(address to, uint256 amount)`) and JSON
 * arguments, checking each argument against its type so an error names `args.<i>`.
 */
export function encodeCall(signature: string, args: unknown[]): EncodedCall {
  const trimmed = signature.trim();
  const fn = parseFunction(trimmed);
  if (args.length !== fn.inputs.length) {
    const expected = fn.inputs.map((p) => `${p.type}${p.name ? ` ${p.name}` : ''}`).join(', ');
    throw new ValidationError(`the call needs ${fn.inputs.length} arguments`, [
      { path: 'args', message: `must have exactly ${fn.inputs.length} elements (${expected})` },
    ]);
  }
  const issues: FieldIssue[] = [];
  const coerced = coerceAll(
    fn.inputs.map((p, i) => [p, args[i], `args.${i}`] as const),
    1,
    issues,
  );
  if (!coerced || !Array.isArray(coerced.value) || !Array.isArray(coerced.normal)) {
    throw ValidationError.naming(`the arguments do not fit ${fn.name}`, issues);
  }
  let data: `0x${string}`;
  try {
    data = encodeFunctionData({ abi: [fn], functionName: fn.name, args: coerced.value });
  } catch (error) {
    const why = error instanceof Error ? (error.message.split('\n')[0] ?? '') : '';
    throw new ValidationError('the arguments could not be encoded', [{ path: 'args', message: why }]);
  }
  if ((data.length - 2) / 2 > maxCallDataBytes) {
    throw new ValidationError('the encoded call is too large', [
      { path: 'args', message: `encode to more than ${maxCallDataBytes} bytes of call data` },
    ]);
  }
  return { function: trimmed, args: coerced.normal, data };
}
