import { KMSClient } from '@aws-sdk/client-kms';
import type { CdkCustomResourceEvent, CdkCustomResourceResponse } from 'aws-lambda';
import { createKmsSigner } from '../../functions/lib/chain/createKmsSigner.ts';

/** What the stack gives each `Custom::SignerAddress` resource: the key whose address it reports. */
export type SignerAddressProperties = { ServiceToken: string; KeyId: string };

/** What the resource answers: `Fn::GetAtt [<resource>, Address]`, the address to fund. */
export type SignerAddressData = { Address: string };

/**
 * The `Custom::SignerAddress` resource's handler, run by the custom-resources Provider at deploy time:
 * the Ethereum address of a KMS key, derived from its public key exactly as the broadcaster derives it
 * (`createKmsSigner`: publicKeyFromSpki, then viem's publicKeyToAddress), after the same checks, so a key
 * that is not secp256k1 SIGN_VERIFY, or that the functions' region cannot reach, fails the deploy saying so.
 * Deleting it deletes nothing: the key is kept (RETAIN), or was never the stack's.
 */
export function createSignerAddressHandler(kms: KMSClient, region: string | undefined) {
  return async (
    event: CdkCustomResourceEvent<SignerAddressProperties>,
  ): Promise<CdkCustomResourceResponse<SignerAddressData>> => {
    if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
    const keyId = event.ResourceProperties.KeyId;
    const keyRegion = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(keyId)?.[1];
    if (keyRegion && region && keyRegion !== region)
      throw new Error(
        `the key ${keyId} is in ${keyRegion} and the stack in ${region}: the functions call KMS in their own region, so use a key (or a multi-Region replica) in ${region}`,
      );
    const signer = await createKmsSigner(kms, keyId);
    return { PhysicalResourceId: signer.address, Data: { Address: signer.address } };
  };
}

/** The Lambda entry point: KMS in the function's own region. */
export const handler = createSignerAddressHandler(new KMSClient({}), process.env.AWS_REGION);
