import { KMSClient } from '@aws-sdk/client-kms';
import { createKmsSigner } from '../functions/lib/chain/createKmsSigner.ts';

/**
 * `npm run signer-address -- <SignerKeyArn>`: prints the Ethereum address of the stack's KMS key,
 * the address to fund. Uses your AWS credentials (kms:GetPublicKey); the region comes from the ARN.
 */
async function main(args: string[]): Promise<void> {
  const keyId = args.find((a) => !a.startsWith('-'));
  if (!keyId) {
    process.stderr.write('usage: npm run signer-address -- <SignerKeyArn from the stack outputs>\n');
    process.exit(2);
  }
  const region = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(keyId)?.[1];
  const signer = await createKmsSigner(new KMSClient(region ? { region } : {}), keyId);
  process.stdout.write(`${signer.address}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
