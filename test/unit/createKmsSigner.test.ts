import { secp256k1 } from '@noble/curves/secp256k1';
import {
  type Hex,
  hexToBytes,
  keccak256,
  parseSignature,
  recoverMessageAddress,
  recoverTransactionAddress,
  recoverTypedDataAddress,
  type TransactionSerializable,
  type TransactionSerialized,
  toHex,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyRpcError } from '../../functions/lib/chain/classifyRpcError.ts';
import { createKmsSigner, type KmsAccount } from '../../functions/lib/chain/createKmsSigner.ts';
import { secp256k1Order } from '../../functions/lib/chain/parseDerSignature.ts';
import { KmsSignerError, MalformedDerError } from '../../functions/lib/errors/errors.ts';
import { type FakeKms, kmsStyleSignature, startFakeKms, throttled } from '../support/fakeKms.ts';

// A test key of our own (not anvil's), so the fake and the reference account agree on nothing by accident.
const privateKey = keccak256(toHex('kms signer unit test key'));
const reference = privateKeyToAccount(privateKey);

/** The first digest (keccak of "probe <i>") whose raw, KMS-style signature satisfies `wanted`. */
function findDigest(wanted: (raw: { r: bigint; s: bigint }) => boolean): Hex {
  for (let i = 0; i < 100_000; i++) {
    const digest = keccak256(toHex(`probe ${i}`));
    const raw = secp256k1.sign(hexToBytes(digest), hexToBytes(privateKey), { lowS: false });
    if (wanted(raw)) return digest;
  }
  throw new Error('no digest found');
}

let kms: FakeKms;
let signer: KmsAccount;

beforeAll(async () => {
  kms = await startFakeKms({ privateKey });
  signer = await createKmsSigner(kms.client(), kms.keyId);
});

afterAll(async () => {
  await kms?.stop();
});

const base = {
  chainId: 31337,
  to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  value: 1000n,
  data: '0x1234',
  gas: 21_000n,
  nonce: 7,
} as const;

const transactions: Record<string, TransactionSerializable> = {
  legacy: { ...base, type: 'legacy', gasPrice: 2_000_000_000n },
  eip2930: {
    ...base,
    type: 'eip2930',
    gasPrice: 2_000_000_000n,
    accessList: [{ address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', storageKeys: [toHex(1, { size: 32 })] }],
  },
  eip1559: { ...base, type: 'eip1559', maxFeePerGas: 3_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n },
};

describe('createKmsSigner', () => {
  it('derives the address from GetPublicKey once, and signs with Sign over the digest', async () => {
    expect(signer.address).toBe(reference.address);
    expect(signer.publicKey).toBe(reference.publicKey);
    const before = kms.calls.length;
    await signer.signMessage({ message: 'one' });
    await signer.signMessage({ message: 'two' });
    const made = kms.calls.slice(before);
    expect(made.map((c) => c.operation)).toEqual(['Sign', 'Sign']);
    expect(made[0]?.input).toMatchObject({
      KeyId: kms.keyId,
      MessageType: 'DIGEST',
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
    expect(kms.calls.filter((c) => c.operation === 'GetPublicKey')).toHaveLength(1);
  });

  for (const [type, tx] of Object.entries(transactions)) {
    it(`signs a ${type} transaction byte for byte as the key itself would`, async () => {
      const signed = await signer.signTransaction(tx);
      // RFC 6979 is deterministic: after low-s normalisation KMS's signature is the key's own.
      expect(signed).toBe(await reference.signTransaction(tx));
      expect(await recoverTransactionAddress({ serializedTransaction: signed as TransactionSerialized })).toBe(
        reference.address,
      );
    });
  }

  it('signs messages and typed data', async () => {
    const message = 'hello from KMS';
    const signature = await signer.signMessage({ message });
    expect(signature).toBe(await reference.signMessage({ message }));
    expect(await recoverMessageAddress({ message, signature })).toBe(reference.address);

    const typedData = {
      domain: { name: 'Broadcaster', version: '1', chainId: 1 },
      types: { Mail: [{ name: 'contents', type: 'string' }] },
      primaryType: 'Mail',
      message: { contents: 'hi' },
    } as const;
    const typed = await signer.signTypedData(typedData);
    expect(typed).toBe(await reference.signTypedData(typedData));
    expect(await recoverTypedDataAddress({ ...typedData, signature: typed })).toBe(reference.address);
  });

  it('moves a high s into the lower half (EIP-2) and still recovers our address', async () => {
    const hash = findDigest((raw) => raw.s > secp256k1Order / 2n);
    // prepare: KMS really answers a high s for this digest
    const kmsRaw = secp256k1.Signature.fromDER(kmsStyleSignature(privateKey, hexToBytes(hash)));
    expect(kmsRaw.s > secp256k1Order / 2n).toBe(true);

    const signature = parseSignature(await signer.sign({ hash }));
    expect(BigInt(signature.s)).toBe(secp256k1Order - kmsRaw.s);
    expect(BigInt(signature.s) <= secp256k1Order / 2n).toBe(true);
    expect(await signer.sign({ hash })).toBe(await reference.sign({ hash }));
  });

  it('pads a short r and a short s to 32 bytes', async () => {
    const short = 2n ** 248n;
    const low = (s: bigint) => (s > secp256k1Order / 2n ? secp256k1Order - s : s);
    for (const hash of [findDigest((raw) => raw.r < short), findDigest((raw) => low(raw.s) < short)]) {
      const der = kmsStyleSignature(privateKey, hexToBytes(hash));
      expect(der.length).toBeLessThan(72); // KMS sends fewer bytes than two full integers
      const signature = await signer.sign({ hash });
      expect(signature).toHaveLength(2 + 65 * 2);
      expect(signature).toBe(await reference.sign({ hash }));
    }
  });

  it('refuses a malformed DER signature with a clear, permanent error', async () => {
    kms.tamperNext((der) => der.subarray(0, der.length - 1));
    const error = await signer.signMessage({ message: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsSignerError);
    expect(error).toMatchObject({ reason: 'malformed_response', transient: false, operation: 'Sign' });
    expect((error as KmsSignerError).cause).toBeInstanceOf(MalformedDerError);
    expect(String(error)).toMatch(/malformed DER ECDSA signature/);
  });

  it('refuses a signature that does not recover to our address', async () => {
    const other = keccak256(toHex('someone else'));
    kms.tamperNext(() => kmsStyleSignature(other, hexToBytes(keccak256(toHex('x')))));
    await expect(signer.signMessage({ message: 'x' })).rejects.toMatchObject({
      name: 'KmsSignerError',
      reason: 'not_our_signature',
      transient: false,
    });
  });

  it('refuses a key that is not secp256k1', async () => {
    const p256 = await startFakeKms({ privateKey, keySpec: 'ECC_NIST_P256' });
    try {
      const error = await createKmsSigner(p256.client(), p256.keyId).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KmsSignerError);
      expect(error).toMatchObject({ reason: 'wrong_key_spec', operation: 'GetPublicKey', transient: false });
      expect(String(error)).toMatch(/ECC_NIST_P256.*ECC_SECG_P256K1/);
    } finally {
      await p256.stop();
    }
  });

  it('rides out a brief throttle through the SDK’s retries', async () => {
    kms.failNext('Sign', throttled, 1);
    const before = kms.calls.length;
    expect(await signer.signMessage({ message: 'x' })).toBe(await reference.signMessage({ message: 'x' }));
    expect(kms.calls.slice(before).map((c) => c.operation)).toEqual(['Sign', 'Sign']);
  });

  it('reports sustained throttling as a transient KmsSignerError that the retry logic retries', async () => {
    const impatient = await createKmsSigner(kms.client({ maxAttempts: 1 }), kms.keyId);
    kms.failNext('Sign', throttled, 1);
    const error = await impatient.signMessage({ message: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsSignerError);
    expect(error).toMatchObject({ reason: 'throttled', transient: true, code: 'kms_throttled' });
    expect((error as KmsSignerError).cause).toMatchObject({ name: 'ThrottlingException' });
    expect(String(error)).toMatch(/KMS Sign with key .* failed \(throttled\): ThrottlingException: Rate exceeded/);
    expect(classifyRpcError(error).class).toBe('transient');
  });

  it('reports a missing key as permanent', async () => {
    const error = await createKmsSigner(kms.client({ maxAttempts: 1 }), 'alias/nope').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'KmsSignerError', reason: 'rejected', transient: false });
    expect(String(error)).toMatch(/NotFoundException/);
  });
});
