import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { keccak256, toHex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeKms, startFakeKms } from '../support/fakeKms.ts';
import { spawnCapture } from '../support/spawnCapture.ts';

const root = resolve(import.meta.dirname, '../..');
/** The pool's keys: each fake holds one; the endpoint below answers for all three by ARN. */
let kms: FakeKms[];
const poolArns = [1, 2, 3].map((n) => `arn:aws:kms:us-east-1:111122223333:key/0b8e2c4a-pool-4b1e-9c3d-00000000000${n}`);
let endpoint: { url: string; server: Server };

/**
 * One KMS endpoint for several keys: each request goes to the fake whose key it names (the fakes all
 * hold their key under the same id, so the id is rewritten on the way). An unknown key goes to the first,
 * which answers NotFoundException as KMS does.
 */
async function routeByKey(byArn: Map<string, FakeKms>, fallback: FakeKms) {
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const input = JSON.parse(body || '{}') as { KeyId?: string };
    const target = byArn.get(String(input.KeyId)) ?? fallback;
    if (byArn.has(String(input.KeyId))) input.KeyId = target.keyId;
    const answer = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': String(req.headers['content-type']),
        'x-amz-target': String(req.headers['x-amz-target']),
      },
      body: JSON.stringify(input),
    });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' });
    res.end(await answer.text());
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the KMS router did not listen');
  return { url: `http://127.0.0.1:${address.port}`, server };
}

beforeAll(async () => {
  kms = await Promise.all(
    [1, 2, 3].map((n) => startFakeKms({ privateKey: keccak256(toHex(`signer address key ${n}`)) })),
  );
  const [first] = kms;
  if (!first) throw new Error('no fake KMS');
  endpoint = await routeByKey(new Map(kms.map((k, i) => [poolArns[i] ?? '', k])), first);
});

afterAll(async () => {
  endpoint?.server.close();
  endpoint?.server.closeAllConnections();
  await Promise.all((kms ?? []).map((k) => k.stop()));
});

/** Runs `npm run signer-address`'s entry point with only the environment a user would give it. */
const run = (args: string[]) =>
  spawnCapture(process.execPath, ['infra/signerAddress.ts', ...args], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_KMS: endpoint.url,
      AWS_EC2_METADATA_DISABLED: 'true',
    },
  });

const addresses = () => kms.map((k) => k.address);

describe('npm run signer-address', () => {
  it('prints the address of one KMS key alone, the one to fund, as scripts read it', async () => {
    const out = await run([poolArns[0] ?? '']);
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe(`${addresses()[0]}\n`);
    expect(out.code).toBe(0);
  });

  it('prints `<arn> <address>` for each key of a pool, in the order given, the ARNs apart or comma-separated', async () => {
    const expected = [2, 0, 1].map((i) => `${poolArns[i]} ${addresses()[i]}\n`).join('');
    const apart = await run([2, 0, 1].map((i) => poolArns[i] ?? ''));
    expect(apart.stderr).toBe('');
    expect(apart.stdout).toBe(expected);
    expect(apart.code).toBe(0);
    // As the functions' KMS_KEY_IDS holds them.
    const joined = await run([[2, 0, 1].map((i) => poolArns[i]).join(',')]);
    expect(joined.stdout).toBe(expected);
    expect(new Set(addresses()).size).toBe(3);
  });

  it('says how to call it, and what went wrong with a key, still printing the others', async () => {
    expect((await run([])).stderr).toMatch(/usage: npm run signer-address -- <SignerKeyArn/);
    const missing = await run(['arn:aws:kms:us-east-1:111122223333:key/nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/KMS GetPublicKey with key .*nope failed \(rejected\): NotFoundException/);
    const some = await run([poolArns[0] ?? '', 'arn:aws:kms:us-east-1:111122223333:key/nope', poolArns[1] ?? '']);
    expect(some.code).toBe(1);
    expect(some.stdout).toBe(`${poolArns[0]} ${addresses()[0]}\n${poolArns[1]} ${addresses()[1]}\n`);
    expect(some.stderr).toMatch(/key .*nope failed/);
  });
});
