import { type Address, type Hex, isAddressEqual, numberToHex, recoverAddress, type Signature } from 'viem';
import { UnrecoverableSignatureError } from '../errors/errors.ts';
import { secp256k1Order } from './parseDerSignature.ts';

/**
 * Turns a raw ECDSA (r, s) over `digest` into an Ethereum signature: s in the lower half of the
 * order (EIP-2, nodes refuse high s), r and s padded to 32 bytes, and the recovery bit found by
 * recovering `address` from each of the two candidates.
 */
export async function toEthereumSignature(
  digest: Hex,
  raw: { r: bigint; s: bigint },
  address: Address,
): Promise<Signature & { v: bigint; yParity: number }> {
  const s = raw.s > secp256k1Order / 2n ? secp256k1Order - raw.s : raw.s;
  const r = numberToHex(raw.r, { size: 32 });
  const sHex = numberToHex(s, { size: 32 });
  for (const yParity of [0, 1]) {
    const recovered = await recoverAddress({ hash: digest, signature: { r, s: sHex, yParity } }).catch(() => undefined);
    if (recovered && isAddressEqual(recovered, address)) return { r, s: sHex, yParity, v: BigInt(27 + yParity) };
  }
  throw new UnrecoverableSignatureError(`the signature recovers to neither parity as ${address}`);
}
