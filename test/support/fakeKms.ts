import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { KMSClient } from '@aws-sdk/client-kms';
import { secp256k1 } from '@noble/curves/secp256k1';
import { type Address, type Hex, hexToBytes } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

/** An error KMS answers with, as the AWS JSON protocol carries it. */
export type KmsFault = { status: number; type: string; message: string };

/** KMS's answer when the account's request rate is exceeded. */
export const throttled: KmsFault = { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' };

/** A running fake KMS: where it listens, its key, what it was asked, and how to make it fail. */
export type FakeKms = {
  url: string;
  keyId: string;
  /** The address of the private key this fake signs with. */
  address: Address;
  /** Every call received, in order: the KMS operation and its JSON input. */
  calls: Array<{ operation: string; input: Record<string, unknown> }>;
  /** The next `times` calls of `operation` answer with `fault`. */
  failNext(operation: 'Sign' | 'GetPublicKey', fault: KmsFault, times?: number): void;
  /** The next signature's DER is replaced by what `tamper` makes of it. */
  tamperNext(tamper: (der: Uint8Array) => Uint8Array): void;
  /** A real SDK client that talks to this fake over loopback HTTP. */
  client(options?: { maxAttempts?: number }): KMSClient;
  stop(): Promise<void>;
};

/** SubjectPublicKeyInfo DER of a secp256k1 key, produced by OpenSSL (not by our own code). */
function secp256k1Spki(privateKey: Hex): Uint8Array {
  const point = secp256k1.getPublicKey(hexToBytes(privateKey), false);
  const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  const key = createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'secp256k1',
      d: b64url(hexToBytes(privateKey)),
      x: b64url(point.subarray(1, 33)),
      y: b64url(point.subarray(33)),
    },
    format: 'jwk',
  });
  return new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
}

/** The raw ECDSA signature KMS would return for a digest: DER, with s as it comes (often in the high half). */
export function kmsStyleSignature(privateKey: Hex, digest: Uint8Array): Uint8Array {
  return secp256k1.sign(digest, hexToBytes(privateKey), { lowS: false }).toDERRawBytes();
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}

/**
 * A KMS stand-in on a loopback port that speaks the AWS JSON 1.1 protocol for `GetPublicKey` and
 * `Sign`, signing with a known private key and answering real DER signatures, as KMS does (no
 * low-s normalisation). `keySpec: 'ECC_NIST_P256'` answers a P-256 key, as a wrongly created key would.
 */
export async function startFakeKms(options: {
  privateKey: Hex;
  keySpec?: 'ECC_SECG_P256K1' | 'ECC_NIST_P256';
}): Promise<FakeKms> {
  const keySpec = options.keySpec ?? 'ECC_SECG_P256K1';
  const keyId = 'arn:aws:kms:us-east-1:111122223333:key/0b8e2c4a-fake-4b1e-9c3d-000000000001';
  const publicKey =
    keySpec === 'ECC_SECG_P256K1'
      ? secp256k1Spki(options.privateKey)
      : new Uint8Array(
          generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }),
        );
  const calls: FakeKms['calls'] = [];
  const faults: Array<{ operation: string; fault: KmsFault }> = [];
  const tampers: Array<(der: Uint8Array) => Uint8Array> = [];

  const answer = (operation: string, input: Record<string, unknown>): { status: number; body: unknown } => {
    const faultAt = faults.findIndex((f) => f.operation === operation);
    const fault = faultAt >= 0 ? faults.splice(faultAt, 1)[0]?.fault : undefined;
    if (fault) {
      return { status: fault.status, body: { __type: fault.type, message: fault.message } };
    }
    if (input.KeyId !== keyId) return { status: 400, body: { __type: 'NotFoundException', message: 'Invalid keyId' } };
    if (operation === 'GetPublicKey') {
      return {
        status: 200,
        body: {
          KeyId: keyId,
          KeySpec: keySpec,
          KeyUsage: 'SIGN_VERIFY',
          PublicKey: Buffer.from(publicKey).toString('base64'),
          SigningAlgorithms: ['ECDSA_SHA_256'],
        },
      };
    }
    if (operation === 'Sign') {
      if (input.MessageType !== 'DIGEST' || input.SigningAlgorithm !== 'ECDSA_SHA_256')
        return { status: 400, body: { __type: 'ValidationException', message: 'unexpected sign parameters' } };
      const digest = Buffer.from(String(input.Message), 'base64');
      if (digest.length !== 32)
        return { status: 400, body: { __type: 'ValidationException', message: 'Digest is invalid length' } };
      let der = kmsStyleSignature(options.privateKey, digest);
      const tamper = tampers.shift();
      if (tamper) der = tamper(der);
      return {
        status: 200,
        body: { KeyId: keyId, Signature: Buffer.from(der).toString('base64'), SigningAlgorithm: 'ECDSA_SHA_256' },
      };
    }
    return { status: 400, body: { __type: 'UnknownOperationException', message: operation } };
  };

  const server = createServer(async (req, res) => {
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^TrentService\./, '');
    const input = JSON.parse((await readBody(req)) || '{}') as Record<string, unknown>;
    calls.push({ operation, input });
    const { status, body } = answer(operation, input);
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fake KMS did not listen');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    keyId,
    address: privateKeyToAccount(options.privateKey).address,
    calls,
    failNext(operation, fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push({ operation, fault });
    },
    tamperNext(tamper) {
      tampers.push(tamper);
    },
    client(clientOptions = {}) {
      return new KMSClient({
        region: 'us-east-1',
        endpoint: url,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        ...(clientOptions.maxAttempts ? { maxAttempts: clientOptions.maxAttempts } : {}),
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
