import { getAddress, isAddress } from 'viem';
import { z } from 'zod';

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

/** The body of `POST /transactions`. */
export const transactionRequestSchema = z
  .object({
    to: address,
    value: uint256.default('0'),
    data: hexData.default('0x'),
    chainId: z.number().int().positive().optional(),
    gas: uint256.refine((s) => BigInt(s) > 0n, 'must be greater than 0').optional(),
  })
  .strict();

export type TransactionRequest = z.infer<typeof transactionRequestSchema>;

/** The request in the canonical form we store: checksummed address, decimal value and gas. */
export type NormalizedRequest = {
  to: string;
  value: string;
  data: string;
  chainId: number;
  gas?: string;
};

/** Normalizes a validated request, filling the default chain. */
export function normalizeRequest(req: TransactionRequest, defaultChainId: number): NormalizedRequest {
  return {
    to: getAddress(req.to),
    value: BigInt(req.value).toString(),
    data: req.data.toLowerCase(),
    chainId: req.chainId ?? defaultChainId,
    ...(req.gas === undefined ? {} : { gas: BigInt(req.gas).toString() }),
  };
}
