import { getAddress, isAddress } from 'viem';
import * as z from 'zod';
import { ValidationError } from '../errors/errors.ts';
import { encodeCall, notWellFormed } from './encodeCall.ts';
import { intrinsicGas } from './intrinsicGas.ts';

const maxUint256 = 2n ** 256n - 1n;

const address = z.string().refine((s) => isAddress(s, { strict: true }), {
  message: 'must be a 20-byte 0x address (mixed case must be a valid EIP-55 checksum)',
});

const hexData = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, 'must be 0x-prefixed hex with an even number of digits');

const integerText = /^(0x[0-9a-fA-F]+|[0-9]+)$/;

const uint256 = z
  .string()
  .regex(integerText, { message: 'must be a non-negative integer: decimal digits or 0x hex', abort: true })
  .refine((s) => BigInt(s) <= maxUint256, 'must fit in uint256');

// Below 21000, the intrinsic gas of a plain transfer, no node accepts a transaction: it would only
// take a nonce and cost a filler. Above 2^64-1 a node cannot even decode it (the gas limit is a uint64).
const minGas = 21_000n;
const maxGas = 2n ** 64n - 1n;

const gasLimit = z
  .string()
  .regex(integerText, { message: 'must be a non-negative integer: decimal digits or 0x hex', abort: true })
  .refine(
    (s) => BigInt(s) >= minGas && BigInt(s) <= maxGas,
    `must be at least ${minGas} and at most ${maxGas} (2^64-1)`,
  );

/** The body of `POST /transactions`. */
export const transactionRequestSchema = z
  .strictObject({
    to: address.meta({
      description: 'recipient; mixed case must be a valid EIP-55 checksum',
      example: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    }),
    value: uint256.default('0').meta({ description: 'wei, as decimal digits or 0x hex, within uint256' }),
    data: hexData.optional().meta({ description: 'call data; default 0x. Not together with function' }),
    function: z
      .string()
      .min(1)
      .max(1024)
      .refine((s) => s.isWellFormed(), notWellFormed)
      .optional()
      .meta({
        description: 'a Solidity function signature whose call is encoded with args, instead of data',
        example: 'transfer(address to, uint256 amount)',
      }),
    args: z.array(z.unknown()).optional().meta({
      description:
        'the arguments of function, in order: integers as decimal or 0x strings (or numbers below 2^53), tuples as arrays',
    }),
    chainId: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({ description: 'one of the configured chains; default CHAIN_ID' }),
    gas: gasLimit.optional().meta({
      description: 'gas limit, as decimal digits or 0x hex, at least 21000 and at most 2^64-1; estimated when absent',
    }),
    from: address.optional().meta({
      description:
        'the signer that signs it: one of the deployment’s signers; by default the healthy one with the fewest unmined transactions',
      example: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
    }),
    validUntil: z.iso
      .datetime({ offset: true, message: 'must be an ISO 8601 date and time, such as 2026-12-01T12:00:00Z' })
      .optional()
      .meta({
        description:
          'not mined by then, it is canceled: never signed if it was not yet, else its nonce is used by a zero-value transfer to the sender; in the future, within 30 days',
        example: '2026-12-01T12:00:00Z',
      }),
    callbackUrl: z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
      .max(2048)
      .optional()
      .meta({
        description:
          'each status change is posted here, signed as Standard Webhooks says; https, and a public address (default: the client’s, if one is configured)',
        example: 'https://example.com/hooks/transactions',
      }),
  })
  .superRefine((req, ctx) => {
    if (req.data !== undefined && req.function !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['function'], message: 'give either data or function, not both' });
    }
    if (req.args !== undefined && req.function === undefined) {
      ctx.addIssue({ code: 'custom', path: ['args'], message: 'only with function' });
    }
  })
  .meta({ id: 'TransactionRequest' });

export type TransactionRequest = z.infer<typeof transactionRequestSchema>;

/** The request in the canonical form we store: checksummed address, decimal value and gas, encoded data. */
export type NormalizedRequest = {
  to: string;
  value: string;
  data: string;
  chainId: number;
  gas?: string;
  function?: string;
  args?: unknown[];
  /** ISO 8601 in UTC. */
  validUntil?: string;
  /** The signer the request names, checksummed. */
  from?: string;
  /** Where its events are posted (checked against the webhook policy before it is accepted). */
  callbackUrl?: string;
};

/** How far ahead `validUntil` may lie. */
export const maxValidityMs = 30 * 24 * 3600 * 1000;

/** Normalizes a validated request, filling the default chain and encoding `function` and `args` into `data`. */
export function normalizeRequest(req: TransactionRequest, defaultChainId: number): NormalizedRequest {
  const call = req.function === undefined ? undefined : encodeCall(req.function, req.args ?? []);
  const data = (call?.data ?? req.data ?? '0x').toLowerCase();
  // A gas limit under what the data itself needs is refused by every node: it would only take a nonce.
  const least = intrinsicGas(data);
  if (req.gas !== undefined && BigInt(req.gas) < least) {
    throw ValidationError.naming('the gas limit is too low for the call data', [
      { path: 'gas', message: `must be at least ${least}: 21000, plus 16 per non-zero and 4 per zero byte of data` },
    ]);
  }
  return {
    to: getAddress(req.to),
    value: BigInt(req.value).toString(),
    data,
    chainId: req.chainId ?? defaultChainId,
    ...(req.gas === undefined ? {} : { gas: BigInt(req.gas).toString() }),
    ...(call ? { function: call.function, args: call.args } : {}),
    ...(req.validUntil === undefined ? {} : { validUntil: new Date(req.validUntil).toISOString() }),
    ...(req.from === undefined ? {} : { from: getAddress(req.from) }),
    ...(req.callbackUrl === undefined ? {} : { callbackUrl: new URL(req.callbackUrl).href }),
  };
}
