import { GetPublicKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import {
  type Hex,
  hashMessage,
  hashTypedData,
  hexToBytes,
  keccak256,
  type LocalAccount,
  serializeSignature,
  serializeTransaction,
  toHex,
} from 'viem';
import { publicKeyToAddress, toAccount } from 'viem/accounts';
import { type KmsFailure, KmsSignerError } from '../errors/errors.ts';
import { classifyKmsError } from './classifyKmsError.ts';
import { parseDerSignature } from './parseDerSignature.ts';
import { oids, publicKeyFromSpki } from './publicKeyFromSpki.ts';
import { toEthereumSignature } from './toEthereumSignature.ts';

/** A viem account whose private key never leaves KMS; `sign` signs a bare 32-byte hash. */
export type KmsAccount = LocalAccount<'kms'> & { sign: NonNullable<LocalAccount['sign']> };

type Operation = 'GetPublicKey' | 'Sign';

/**
 * A viem account backed by a KMS `ECC_SECG_P256K1` key: the address is derived once from
 * `GetPublicKey`; every signature is KMS `Sign` over the keccak digest (`MessageType: DIGEST`),
 * made canonical for Ethereum. Signs transactions of every type, messages and typed data.
 */
export async function createKmsSigner(kms: KMSClient, keyId: string): Promise<KmsAccount> {
  const fail = (operation: Operation, reason: KmsFailure, detail: string, cause?: unknown) =>
    new KmsSignerError({ keyId, operation, reason, detail }, cause === undefined ? undefined : { cause });
  const call = async <T>(operation: Operation, send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      const name = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw fail(operation, classifyKmsError(error), name, error);
    }
  };

  const key = await call('GetPublicKey', () => kms.send(new GetPublicKeyCommand({ KeyId: keyId })));
  // Checked before the bytes: a NIST P-256 key parses fine and would sign fine, for an address nobody controls.
  if (key.KeySpec !== undefined && key.KeySpec !== 'ECC_SECG_P256K1')
    throw fail('GetPublicKey', 'wrong_key_spec', `the key spec is ${key.KeySpec}; Ethereum needs ECC_SECG_P256K1`);
  if (key.KeyUsage !== undefined && key.KeyUsage !== 'SIGN_VERIFY')
    throw fail('GetPublicKey', 'wrong_key_spec', `the key usage is ${key.KeyUsage}; signing needs SIGN_VERIFY`);
  if (!key.PublicKey) throw fail('GetPublicKey', 'malformed_response', 'no public key in the answer');
  let spki: ReturnType<typeof publicKeyFromSpki>;
  try {
    spki = publicKeyFromSpki(key.PublicKey);
  } catch (error) {
    throw fail('GetPublicKey', 'malformed_response', error instanceof Error ? error.message : String(error), error);
  }
  if (spki.algorithm !== oids.ecPublicKey || spki.curve !== oids.secp256k1)
    throw fail(
      'GetPublicKey',
      'wrong_key_spec',
      `the public key is ${spki.algorithm} on curve ${spki.curve ?? 'none'}, not secp256k1 (${oids.secp256k1})`,
    );
  if (spki.publicKey.length !== 65 || spki.publicKey[0] !== 0x04)
    throw fail('GetPublicKey', 'malformed_response', 'the public key is not an uncompressed point');
  const publicKey = toHex(spki.publicKey);
  const address = publicKeyToAddress(publicKey);

  const signHash = async (hash: Hex) => {
    const out = await call('Sign', () =>
      kms.send(
        new SignCommand({
          KeyId: keyId,
          Message: hexToBytes(hash),
          MessageType: 'DIGEST',
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      ),
    );
    if (!out.Signature) throw fail('Sign', 'malformed_response', 'no signature in the answer');
    let raw: { r: bigint; s: bigint };
    try {
      raw = parseDerSignature(out.Signature);
    } catch (error) {
      throw fail('Sign', 'malformed_response', error instanceof Error ? error.message : String(error), error);
    }
    try {
      return await toEthereumSignature(hash, raw, address);
    } catch (error) {
      throw fail('Sign', 'not_our_signature', `the signature does not recover to ${address}`, error);
    }
  };

  const sign = async ({ hash }: { hash: Hex }) => serializeSignature(await signHash(hash));
  const account = toAccount({
    address,
    sign,
    async signMessage({ message }) {
      return serializeSignature(await signHash(hashMessage(message)));
    },
    async signTypedData(typedData) {
      return serializeSignature(await signHash(hashTypedData(typedData)));
    },
    async signTransaction(transaction, options) {
      const serializer = options?.serializer ?? serializeTransaction;
      // EIP-4844: the signature covers the payload without the sidecars (the network wrapper).
      const signable = transaction.type === 'eip4844' ? { ...transaction, sidecars: false } : transaction;
      const signature = await signHash(keccak256(await serializer(signable)));
      return serializer(transaction, signature);
    },
  });
  return { ...account, sign, publicKey, source: 'kms' };
}
