import { generateKeyPairSync } from 'node:crypto';
import { hexToBytes } from 'viem';
import { describe, expect, it } from 'vitest';
import { parseDerSignature, secp256k1Order } from '../../functions/lib/chain/parseDerSignature.ts';
import { oids, publicKeyFromSpki } from '../../functions/lib/chain/publicKeyFromSpki.ts';
import { MalformedDerError } from '../../functions/lib/errors/errors.ts';

const int = (hex: string) => `02${(hex.length / 2).toString(16).padStart(2, '0')}${hex}`;
const seq = (body: string) => `30${(body.length / 2).toString(16).padStart(2, '0')}${body}`;
const der = (hex: string) => hexToBytes(`0x${hex}`);

describe('parseDerSignature', () => {
  it('reads r and s, with and without a sign byte', () => {
    const r = `00${'80'.repeat(32)}`; // 33 bytes: a leading zero keeps it positive
    const s = '01'.repeat(31); // 31 bytes: a short value
    expect(parseDerSignature(der(seq(int(r) + int(s))))).toEqual({ r: BigInt(`0x${r}`), s: BigInt(`0x${s}`) });
  });

  const cases: Array<[string, string, RegExp]> = [
    ['a truncated signature', seq(int('01') + int('02')).slice(0, -2), /runs past the end/],
    ['bytes after the sequence', `${seq(int('01') + int('02'))}00`, /1 bytes after the SEQUENCE/],
    ['a third integer', seq(int('01') + int('02') + int('03')), /more than r and s/],
    ['a tag other than SEQUENCE', `31${seq(int('01') + int('02')).slice(2)}`, /expected a SEQUENCE/],
    ['r not an INTEGER', seq(`0401ff${int('02')}`), /r is not an INTEGER/],
    ['a negative r', seq(int('80') + int('02')), /r is negative/],
    ['a redundant leading zero', seq(int('0001') + int('02')), /redundant leading zero/],
    ['r = 0', seq(int('00') + int('02')), /outside \[1, n-1\]/],
    ['s = n', seq(int('01') + int(`00${secp256k1Order.toString(16)}`)), /s is outside \[1, n-1\]/],
    ['an empty input', '', /truncated/],
    ['a long-form length that is not minimal', `3081${seq(int('01') + int('02')).slice(2)}`, /shortest form/],
  ];
  for (const [name, hex, message] of cases) {
    it(`refuses ${name}`, () => {
      expect(() => parseDerSignature(der(hex))).toThrowError(MalformedDerError);
      expect(() => parseDerSignature(der(hex))).toThrowError(message);
    });
  }
});

describe('publicKeyFromSpki', () => {
  it('reads the curve and the point of keys encoded by OpenSSL', () => {
    for (const [namedCurve, oid] of [
      ['secp256k1', oids.secp256k1],
      ['prime256v1', oids.prime256v1],
    ] as const) {
      const spki = generateKeyPairSync('ec', { namedCurve }).publicKey.export({ type: 'spki', format: 'der' });
      const key = publicKeyFromSpki(new Uint8Array(spki));
      expect(key.algorithm).toBe(oids.ecPublicKey);
      expect(key.curve).toBe(oid);
      expect(key.publicKey).toHaveLength(65);
      expect(key.publicKey[0]).toBe(4);
    }
  });

  it('refuses what is not one SubjectPublicKeyInfo', () => {
    const spki = new Uint8Array(
      generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ type: 'spki', format: 'der' }),
    );
    expect(() => publicKeyFromSpki(spki.subarray(0, 40))).toThrowError(MalformedDerError);
    expect(() => publicKeyFromSpki(new Uint8Array([...spki, 0]))).toThrowError(/not one SEQUENCE/);
  });
});
