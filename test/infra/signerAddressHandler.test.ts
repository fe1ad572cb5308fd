import type { CdkCustomResourceEvent } from 'aws-lambda';
import { keccak256, toHex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignerAddressHandler, type SignerAddressProperties } from '../../infra/stack/signerAddressHandler.ts';
import { type FakeKms, startFakeKms } from '../support/fakeKms.ts';

let kms: FakeKms;
let p256: FakeKms;

beforeAll(async () => {
  [kms, p256] = await Promise.all([
    startFakeKms({ privateKey: keccak256(toHex('signer address resource key')) }),
    startFakeKms({ privateKey: keccak256(toHex('unused')), keySpec: 'ECC_NIST_P256' }),
  ]);
});

afterAll(async () => {
  await Promise.all([kms?.stop(), p256?.stop()]);
});

/** The event CloudFormation (through the Provider framework) sends for a `Custom::SignerAddress`. */
function event(
  requestType: 'Create' | 'Update' | 'Delete',
  keyId: string,
): CdkCustomResourceEvent<SignerAddressProperties> {
  const common = {
    ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:provider',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/',
    StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/TxBroadcaster/1',
    RequestId: 'request-1',
    LogicalResourceId: 'SignerKeyAddress',
    ResourceType: 'Custom::SignerAddress',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:provider', KeyId: keyId },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  if (requestType === 'Update')
    return {
      ...common,
      RequestType: 'Update',
      PhysicalResourceId: '0xold',
      OldResourceProperties: common.ResourceProperties,
    };
  return { ...common, RequestType: 'Delete', PhysicalResourceId: '0xold' };
}

describe('Custom::SignerAddress handler', () => {
  it('answers the key’s Ethereum address on create and update, as the broadcaster derives it', async () => {
    const handler = createSignerAddressHandler(kms.client(), 'us-east-1');
    for (const type of ['Create', 'Update'] as const) {
      const answer = await handler(event(type, kms.keyId));
      expect(answer, type).toEqual({ PhysicalResourceId: kms.address, Data: { Address: kms.address } });
    }
    expect(kms.calls.map((c) => c.operation)).toEqual(['GetPublicKey', 'GetPublicKey']);
  });

  it('deletes nothing: the key is kept, and KMS is not called', async () => {
    const before = kms.calls.length;
    const handler = createSignerAddressHandler(kms.client(), 'us-east-1');
    expect(await handler(event('Delete', kms.keyId))).toEqual({ PhysicalResourceId: '0xold' });
    expect(kms.calls.length).toBe(before);
  });

  it('fails the deploy, saying why, for a key in another region or a key that is not secp256k1', async () => {
    const elsewhere = createSignerAddressHandler(kms.client(), 'eu-west-1');
    await expect(elsewhere(event('Create', kms.keyId))).rejects.toThrowError(
      /is in us-east-1 and the stack in eu-west-1: .*use a key \(or a multi-Region replica\) in eu-west-1/,
    );
    const wrongCurve = createSignerAddressHandler(p256.client(), 'us-east-1');
    await expect(wrongCurve(event('Create', p256.keyId))).rejects.toThrowError(/ECC_SECG_P256K1/);
    const missing = createSignerAddressHandler(kms.client({ maxAttempts: 1 }), 'us-east-1');
    await expect(missing(event('Create', 'arn:aws:kms:us-east-1:111122223333:key/nope'))).rejects.toThrowError(
      /NotFoundException/,
    );
  });
});
