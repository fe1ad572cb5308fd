import { KMSClient } from '@aws-sdk/client-kms';
import { createKmsSigner } from '../functions/lib/chain/createKmsSigner.ts';

const usage =
  'usage: npm run signer-address -- <SignerKeyArn from the stack outputs> [<SignerKey2Arn> ...] (or the ARNs comma-separated, as in KMS_KEY_IDS)\n';

/**
 * `npm run signer-address -- <SignerKeyArn> [<SignerKey2Arn> ...]`: the Ethereum address of each KMS key
 * of the signer pool, the addresses to fund. One key: its address alone, as scripts read it; several: one
 * `<arn> <address>` line each, in the order given. Uses your AWS credentials (kms:GetPublicKey); each key's
 * region comes from its ARN. A key that fails is named on stderr and the exit code is 1; the others still print.
 */
async function main(args: string[]): Promise<void> {
  const keyIds = [
    ...new Set(
      args
        .filter((a) => !a.startsWith('-'))
        .flatMap((a) => a.split(','))
        .map((a) => a.trim())
        .filter((a) => a !== ''),
    ),
  ];
  if (keyIds.length === 0) {
    process.stderr.write(usage);
    process.exit(2);
  }
  const clients = new Map<string, KMSClient>();
  const clientFor = (keyId: string) => {
    const region = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(keyId)?.[1] ?? '';
    const client = clients.get(region) ?? new KMSClient(region ? { region } : {});
    clients.set(region, client);
    return client;
  };
  const results = await Promise.allSettled(keyIds.map((keyId) => createKmsSigner(clientFor(keyId), keyId)));
  let failed = false;
  results.forEach((result, i) => {
    const keyId = keyIds[i];
    if (result.status === 'rejected') {
      failed = true;
      const error = result.reason;
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    } else
      process.stdout.write(keyIds.length === 1 ? `${result.value.address}\n` : `${keyId} ${result.value.address}\n`);
  });
  if (failed) process.exit(1);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
