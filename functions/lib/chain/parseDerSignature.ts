import { MalformedDerError } from '../errors/errors.ts';
import { readDerElement } from './readDerElement.ts';

/** secp256k1's group order n: r and s must lie in [1, n-1]. */
export const secp256k1Order = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const sequenceTag = 0x30;
const integerTag = 0x02;

/**
 * Reads an ECDSA signature `SEQUENCE { r INTEGER, s INTEGER }` as KMS returns it (X9.62 / RFC 3279),
 * strictly: positive minimal integers, nothing after the sequence, both values in [1, n-1].
 */
export function parseDerSignature(der: Uint8Array): { r: bigint; s: bigint } {
  const what = 'ECDSA signature';
  const sequence = readDerElement(der, 0, what);
  if (sequence.tag !== sequenceTag)
    throw new MalformedDerError(what, `expected a SEQUENCE, found tag 0x${tag(sequence.tag)}`);
  if (sequence.end !== der.length)
    throw new MalformedDerError(what, `${der.length - sequence.end} bytes after the SEQUENCE`);
  const r = readDerElement(sequence.content, 0, what);
  const s = readDerElement(sequence.content, r.end, what);
  if (s.end !== sequence.content.length) throw new MalformedDerError(what, 'the SEQUENCE holds more than r and s');
  return { r: toScalar(r, 'r'), s: toScalar(s, 's') };
}

function toScalar(element: { tag: number; content: Uint8Array }, name: string): bigint {
  const what = 'ECDSA signature';
  const { content } = element;
  if (element.tag !== integerTag)
    throw new MalformedDerError(what, `${name} is not an INTEGER (tag 0x${tag(element.tag)})`);
  const [first, second] = content;
  if (first === undefined) throw new MalformedDerError(what, `${name} is empty`);
  if (first & 0x80) throw new MalformedDerError(what, `${name} is negative`);
  if (first === 0 && second !== undefined && !(second & 0x80))
    throw new MalformedDerError(what, `${name} has a redundant leading zero`);
  let value = 0n;
  for (const b of content) value = (value << 8n) | BigInt(b);
  if (value === 0n || value >= secp256k1Order) throw new MalformedDerError(what, `${name} is outside [1, n-1]`);
  return value;
}

function tag(t: number): string {
  return t.toString(16).padStart(2, '0');
}
