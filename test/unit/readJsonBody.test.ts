import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AppError,
  PayloadTooLargeError,
  UnsupportedContentEncodingError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../functions/lib/errors/errors.ts';
import { maxBodyBytes, maxBodyDepth, readJsonBody } from '../../functions/lib/http/readJsonBody.ts';

const json = { 'content-type': 'application/json' };

/** The event readJsonBody reads: a text body unless `base64` says otherwise. */
const event = (body: string | undefined, headers: Record<string, string> = json, base64 = false) => ({
  ...(body === undefined ? {} : { body }),
  isBase64Encoded: base64,
  headers,
});

/** What readJsonBody threw for this event. */
function refusal(e: ReturnType<typeof event>): AppError {
  try {
    readJsonBody(e);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('readJsonBody accepted it');
}

describe('readJsonBody', () => {
  it('reads JSON declared as application/json or +json, as text or base64', () => {
    expect(readJsonBody(event('{"a":[1,{"b":null}]}'))).toEqual({ a: [1, { b: null }] });
    expect(readJsonBody(event('{"a":1}', { 'content-type': 'application/vnd.api+json; charset=utf-8' }))).toEqual({
      a: 1,
    });
    expect(readJsonBody(event(Buffer.from('{"a":"é"}').toString('base64'), json, true))).toEqual({ a: 'é' });
  });

  it('a body without Content-Type is 415, not read as JSON', () => {
    // act
    const error = refusal(event('{"to":"0x"}', {}));
    // assess
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(error.message).toMatch(/Content-Type: application\/json/);
    expect(refusal(event('{"to":"0x"}', { 'content-type': '' }))).toBeInstanceOf(UnsupportedMediaTypeError);
  });

  it('no body and no Content-Type is still the 400 that says the body is empty', () => {
    expect(refusal(event(undefined, {}))).toBeInstanceOf(ValidationError);
    expect(refusal(event('', {})).message).toMatch(/empty/);
  });

  it('another Content-Type is 415', () => {
    expect(refusal(event('{}', { 'content-type': 'text/plain' }))).toBeInstanceOf(UnsupportedMediaTypeError);
  });

  it.each(['gzip', 'br', 'deflate', 'identity, gzip', 'x-anything'])(
    'a Content-Encoding of %s is 415 saying the encoding is not accepted',
    (encoding) => {
      // act
      const error = refusal(event('{"a":1}', { ...json, 'content-encoding': encoding }));
      // assess
      expect(error).toBeInstanceOf(UnsupportedContentEncodingError);
      expect(error.message).toContain(`Content-Encoding ${encoding} is not accepted`);
    },
  );

  it('Content-Encoding identity (or empty) is the body as sent', () => {
    expect(readJsonBody(event('{"a":1}', { ...json, 'content-encoding': 'Identity' }))).toEqual({ a: 1 });
    expect(readJsonBody(event('{"a":1}', { ...json, 'content-encoding': '' }))).toEqual({ a: 1 });
  });

  it('a body over the limit is 413, however it is sent', () => {
    const big = JSON.stringify({ a: 'x'.repeat(maxBodyBytes) });
    expect(refusal(event(big))).toBeInstanceOf(PayloadTooLargeError);
    expect(refusal(event(Buffer.from(big).toString('base64'), json, true))).toBeInstanceOf(PayloadTooLargeError);
  });

  it('base64 bytes that are not UTF-8 are a 400, not read with U+FFFD in their place', () => {
    const error = refusal(
      event(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]).toString('base64'), json, true),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/UTF-8/);
  });

  it.each([
    ['{"value":"1","value":"2"}', 'value'],
    ['{"to":"0x","args":[1,{"x":1,"y":2,"x":3}]}', 'args.1.x'],
    ['{"a":{"b":{"c":1,"c":1}}}', 'a.b.c'],
    ['{"a":1,"\\u0061":2}', 'a'], // the same key once unescaped, as JSON.parse sees it
    ['{ "a" : 1 ,\n  "a" : 1 }', 'a'],
    ['{"":1,"":2}', '""'],
    ['[{"k":1},{"k":2,"k":3}]', '1.k'],
    ['{"s":"\\"a\\":1,","s":2}', 's'], // a string that looks like a key inside
  ])('a body naming a key twice, %s, is a 400 naming %s', (body, path) => {
    // act
    const error = refusal(event(body));
    // assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error instanceof ValidationError && error.details).toEqual([
      { path, message: 'is given more than once: give each key once' },
    ]);
  });

  it('names every duplicated key, each once', () => {
    const error = refusal(event('{"a":1,"a":2,"a":3,"b":[{"c":1,"c":2}],"d":1,"d":2}'));
    expect(error instanceof ValidationError && error.details.map((d) => d.path)).toEqual(['a', 'b.0.c', 'd']);
  });

  it('the same key in two objects, or a key-like string value, is no duplicate', () => {
    expect(readJsonBody(event('{"a":{"x":1},"b":{"x":2},"c":["x","x"],"x":"x:"}'))).toEqual({
      a: { x: 1 },
      b: { x: 2 },
      c: ['x', 'x'],
      x: 'x:',
    });
  });

  it('reads any JSON without duplicates as JSON.parse does, compact or indented', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.constantFrom(undefined, 2), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        expect(readJsonBody(event(text))).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('finds a key repeated anywhere in any JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.string({ maxLength: 5 }), (value, key) => {
        const text = `{${JSON.stringify(key)}:${JSON.stringify(value)},"inner":{"x":${JSON.stringify(value)},${JSON.stringify(key)}:0,${JSON.stringify(key)}:1}}`;
        const error = refusal(event(text));
        const name = key === '' ? '""' : key;
        expect(error instanceof ValidationError && error.details.map((d) => d.path)).toContain(`inner.${name}`);
      }),
      { numRuns: 300 },
    );
  });

  it(`nests up to ${maxBodyDepth} levels; deeper, even as deep as the size allows, is a 400, not a stack overflow`, () => {
    const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    expect(readJsonBody(event(arrays(maxBodyDepth)))).toBeInstanceOf(Array);
    const objects = (depth: number, inner: string) => `${'{"a":'.repeat(depth - 1)}${inner}${'}'.repeat(depth - 1)}`;
    expect(readJsonBody(event(objects(maxBodyDepth, '{"b":1}')))).toHaveProperty('a');
    const deepest = refusal(event(objects(maxBodyDepth, '{"b":1,"b":2}')));
    expect(deepest instanceof ValidationError && deepest.details[0]?.path).toBe(`${'a.'.repeat(maxBodyDepth - 1)}b`);
    for (const text of [
      arrays(maxBodyDepth + 1),
      objects(maxBodyDepth + 1, '{}'),
      arrays(maxBodyBytes / 2 - 10),
      objects(Math.floor(maxBodyBytes / 6) - 10, '{"b":1,"b":2}'),
    ]) {
      const error = refusal(event(text));
      expect(error instanceof ValidationError && error.details).toEqual([
        { path: 'body', message: `must nest at most ${maxBodyDepth} levels deep` },
      ]);
    }
  });

  it('a body that does not parse is the 400 it was', () => {
    expect(refusal(event('{"a":'))).toMatchObject({ message: 'the body is not valid JSON' });
  });
});
