import { MalformedDerError } from '../errors/errors.ts';
import { readDerElement } from './readDerElement.ts';

/** Object identifiers KMS uses in its SubjectPublicKeyInfo, in dotted form. */
export const oids = {
  ecPublicKey: '1.2.840.10045.2.1',
  secp256k1: '1.3.132.0.10',
  prime256v1: '1.2.840.10045.3.1.7',
} as const;

/** What a SubjectPublicKeyInfo says: algorithm and curve OIDs (dotted), and the raw key bytes. */
export type SpkiPublicKey = { algorithm: string; curve: string | undefined; publicKey: Uint8Array };

/**
 * Reads a DER `SubjectPublicKeyInfo` (RFC 5280) as KMS `GetPublicKey` returns it: the algorithm and
 * curve identifiers, and the key bytes (for an EC key, the point `04 || x || y`).
 */
export function publicKeyFromSpki(spki: Uint8Array): SpkiPublicKey {
  const what = 'SubjectPublicKeyInfo';
  const outer = readDerElement(spki, 0, what);
  if (outer.tag !== 0x30 || outer.end !== spki.length) throw new MalformedDerError(what, 'not one SEQUENCE');
  const algorithmId = readDerElement(outer.content, 0, what);
  if (algorithmId.tag !== 0x30) throw new MalformedDerError(what, 'the algorithm is not a SEQUENCE');
  const bitString = readDerElement(outer.content, algorithmId.end, what);
  if (bitString.tag !== 0x03 || bitString.end !== outer.content.length)
    throw new MalformedDerError(what, 'the key is not one BIT STRING');
  if (bitString.content[0] !== 0) throw new MalformedDerError(what, 'the key has unused bits');

  const algorithm = readDerElement(algorithmId.content, 0, what);
  if (algorithm.tag !== 0x06) throw new MalformedDerError(what, 'the algorithm is not an OBJECT IDENTIFIER');
  let curve: string | undefined;
  if (algorithm.end < algorithmId.content.length) {
    const parameters = readDerElement(algorithmId.content, algorithm.end, what);
    if (parameters.tag === 0x06) curve = decodeOid(parameters.content);
  }
  return { algorithm: decodeOid(algorithm.content), curve, publicKey: bitString.content.subarray(1) };
}

function decodeOid(bytes: Uint8Array): string {
  const arcs: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  const [first = 0, ...rest] = arcs;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...rest].join('.');
}
