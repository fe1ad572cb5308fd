import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { secp256k1 } from '@noble/curves/secp256k1';
import {
  type Hex,
  hexToBytes,
  keccak256,
  parseEther,
  parseTransaction,
  serializeTransaction,
  type TransactionSerializable,
  toHex,
} from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKmsSigner, type KmsAccount } from '../../functions/lib/chain/createKmsSigner.ts';
import { secp256k1Order } from '../../functions/lib/chain/parseDerSignature.ts';
import { callApi } from '../support/callApi.ts';
import { deliver } from '../support/deliver.ts';
import { type FakeKms, kmsStyleSignature, startFakeKms } from '../support/fakeKms.ts';
import { loadHandlers } from '../support/loadHandlers.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';
import { asClient, tokenEnv } from '../support/tokens.ts';

const privateKey = keccak256(toHex('kms signer integration test key'));
const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

let stack: TestStack;
let kms: FakeKms;
let signer: KmsAccount;

beforeAll(async () => {
  [stack, kms] = await Promise.all([startTestStack(), startFakeKms({ privateKey })]);
  await stack.testClient.setBalance({ address: kms.address, value: parseEther('10') });
  signer = await createKmsSigner(kms.client(), kms.keyId);
});

afterAll(async () => {
  await Promise.all([stack?.stop(), kms?.stop()]);
});

/** The first of `candidates` whose raw KMS signature (before any normalisation) satisfies `wanted`. */
function findTransaction(
  candidates: (i: number) => TransactionSerializable,
  wanted: (raw: { r: bigint; s: bigint }) => boolean,
): TransactionSerializable {
  for (let i = 1; i < 20_000; i++) {
    const tx = candidates(i);
    const digest = hexToBytes(keccak256(serializeTransaction(tx)));
    if (wanted(secp256k1.Signature.fromDER(kmsStyleSignature(privateKey, digest)))) return tx;
  }
  throw new Error('no transaction found');
}

const highS = (raw: { s: bigint }) => raw.s > secp256k1Order / 2n;
const shortR = (raw: { r: bigint }) => raw.r < 2n ** 248n;

describe('KMS-signed transactions on a real chain', () => {
  it('anvil accepts every transaction type, including high-s and short-r signatures, from our address', async () => {
    const fees = { maxFeePerGas: 20_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n };
    const gasPrice = 20_000_000_000n;
    let nonce = await stack.chain.getTransactionCount({ address: kms.address });
    const cases: Array<[string, (nonce: number) => TransactionSerializable]> = [
      [
        'legacy, high s',
        (n) =>
          findTransaction(
            (i) => ({ chainId: 31337, nonce: n, to, value: BigInt(i), gas: 21_000n, gasPrice, type: 'legacy' }),
            highS,
          ),
      ],
      [
        'eip2930, high s',
        (n) =>
          findTransaction(
            (i) => ({
              chainId: 31337,
              nonce: n,
              to,
              value: BigInt(i),
              gas: 30_000n,
              gasPrice,
              accessList: [],
              type: 'eip2930',
            }),
            highS,
          ),
      ],
      [
        'eip1559, high s',
        (n) =>
          findTransaction(
            (i) => ({ chainId: 31337, nonce: n, to, value: BigInt(i), gas: 21_000n, ...fees, type: 'eip1559' }),
            highS,
          ),
      ],
      [
        'eip1559, short r',
        (n) =>
          findTransaction(
            (i) => ({ chainId: 31337, nonce: n, to, value: BigInt(i), gas: 21_000n, ...fees, type: 'eip1559' }),
            shortR,
          ),
      ],
    ];
    for (const [name, build] of cases) {
      // prepare: a transaction whose KMS signature is a hard case
      const tx = build(nonce);
      // act
      const serializedTransaction = await signer.signTransaction(tx);
      // anvil itself accepts a high s; geth and most nodes refuse it (EIP-2), so the bytes must carry a low s
      expect(BigInt(parseTransaction(serializedTransaction).s ?? '0x0') <= secp256k1Order / 2n, name).toBe(true);
      const hash = await stack.chain.sendRawTransaction({ serializedTransaction });
      // assess: mined, and the chain recovers our address as the sender
      const receipt = await stack.chain.waitForTransactionReceipt({ hash, timeout: 10_000 });
      expect(receipt.status, name).toBe('success');
      expect((await stack.chain.getTransaction({ hash })).from, name).toBe(kms.address.toLowerCase());
      nonce += 1;
    }
  });

  it('the broadcaster signs with KMS when KMS_KEY_ID is set, and the chain reports our address as sender', async () => {
    // prepare: the handlers' environment names the KMS key, and does not allow the local key
    const { api, broadcaster, updater } = await loadHandlers(stack, {
      ...tokenEnv,
      LOCAL_SIGNER_ALLOWED: 'false',
      KMS_KEY_ID: kms.keyId,
      AWS_ENDPOINT_URL_KMS: kms.url,
    });
    const signsBefore = kms.calls.filter((c) => c.operation === 'Sign').length;

    // act
    const posted = await callApi(api, 'POST', '/transactions', { body: { to, value: '12345' }, headers: asClient });
    const id: string = posted.body.id;
    const sent = await deliver(stack.sqs, stack.queues.requests, broadcaster);
    expect(sent.failures).toEqual([]);
    await deliver(stack.sqs, stack.queues.responses, updater);

    // assess
    const item = (
      await stack.doc.send(
        new GetCommand({ TableName: stack.tableName, Key: { pk: `tx#${id}` }, ConsistentRead: true }),
      )
    ).Item;
    expect(item).toMatchObject({ status: 'success', from: kms.address });
    const onChain = await stack.chain.getTransaction({ hash: item?.txHash as Hex });
    expect(onChain.from).toBe(kms.address.toLowerCase());
    expect(onChain.value).toBe(12345n);
    expect(kms.calls.filter((c) => c.operation === 'Sign').length - signsBefore).toBe(1);
  });
});
