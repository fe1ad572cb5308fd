import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  type FieldIssue,
  PayloadTooLargeError,
  UnsupportedContentEncodingError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors/errors.ts';

export const maxBodyBytes = 128 * 1024;

/**
 * How deep a body may nest, the body itself being level 1: DynamoDB stores no deeper, and no valid
 * request comes near it (arguments nest at most 8 levels). It also bounds the path of a duplicate key.
 */
export const maxBodyDepth = 32;

const jsonMediaType = /^application\/([a-z.+-]*\+)?json\b/i;

// Fatal: bytes that are not UTF-8 are refused rather than read with U+FFFD in their place. The BOM is
// kept, so that a body starting with one fails to parse as it always did.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Where the duplicate-key scan stands: in an object (its keys so far, the current one) or an array. */
type Frame = { keys: Set<string>; key: string; expectKey: boolean } | { index: number };

/** A key as a dotted path names it; an empty key must still be seen: `""`. */
const segment = (frame: Frame): string =>
  'index' in frame ? String(frame.index) : frame.key === '' ? '""' : frame.key;

const tooDeep = () =>
  new ValidationError(`the body nests deeper than ${maxBodyDepth} levels`, [
    { path: 'body', message: `must nest at most ${maxBodyDepth} levels deep` },
  ]);

/**
 * Each key that one object of `text` gives more than once (JSON.parse keeps the last one and says
 * nothing), named by its dotted path; throws when `text` nests deeper than `maxBodyDepth`. `text`
 * must already have parsed. A loop over an explicit stack rather than recursion: a body nested 60 000
 * deep, which JSON.parse reads, cannot overflow it.
 */
function duplicateKeys(text: string): FieldIssue[] {
  const found = new Set<string>();
  const frames: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const top = frames.at(-1);
    switch (text[i]) {
      case '{':
        if (frames.length === maxBodyDepth) throw tooDeep();
        frames.push({ keys: new Set(), key: '', expectKey: true });
        break;
      case '[':
        if (frames.length === maxBodyDepth) throw tooDeep();
        frames.push({ index: 0 });
        break;
      case '}':
      case ']':
        frames.pop();
        break;
      case ',':
        if (top && 'index' in top) top.index++;
        else if (top) top.expectKey = true;
        break;
      case '"': {
        const start = i;
        for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
        // In an object, the string after `{` or `,` is a key; any other is a value.
        if (top && 'keys' in top && top.expectKey) {
          top.expectKey = false;
          top.key = String(JSON.parse(text.slice(start, i + 1)));
          if (top.keys.has(top.key)) found.add(frames.map(segment).join('.'));
          top.keys.add(top.key);
        }
        break;
      }
    }
  }
  return [...found].map((path) => ({ path, message: 'is given more than once: give each key once' }));
}

/** The body as sent: text, or the bytes API Gateway gave as base64; at most `maxBodyBytes`. */
function bodyOf(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): string | Buffer {
  const raw = event.body ?? '';
  const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : raw;
  if (Buffer.byteLength(body) > maxBodyBytes) throw new PayloadTooLargeError(maxBodyBytes);
  return body;
}

/** The text of the body's bytes, which must be UTF-8 (RFC 8259). */
function textOf(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ValidationError('the body is not UTF-8', [{ path: 'body', message: 'must be JSON in UTF-8' }]);
  }
}

/**
 * Reads a JSON body: 413 when too large; 415 when it is encoded (`Content-Encoding` other than
 * identity) or not declared JSON (no `Content-Type` counts as not JSON); 400 when it is not UTF-8,
 * does not parse, nests deeper than `maxBodyDepth` or gives a key twice in one object.
 */
export function readJsonBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded' | 'headers'>): unknown {
  const sent = bodyOf(event);
  const encoding = event.headers?.['content-encoding']?.trim() ?? '';
  const codings = encoding.split(',').map((c) => c.trim().toLowerCase());
  if (codings.some((c) => c !== '' && c !== 'identity')) throw new UnsupportedContentEncodingError(encoding);
  const contentType = event.headers?.['content-type']?.trim();
  const isJson = contentType !== undefined && jsonMediaType.test(contentType);
  // A body without a type is not JSON because it parses as JSON: the client must say so.
  if (!isJson && (contentType || sent.length > 0)) throw new UnsupportedMediaTypeError(contentType || undefined);
  const text = typeof sent === 'string' ? sent : textOf(sent);
  if (text.trim() === '')
    throw new ValidationError('the body is empty: send a JSON object', [{ path: 'body', message: 'required' }]);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ValidationError('the body is not valid JSON', [{ path: 'body', message: 'must be valid JSON' }]);
  }
  const duplicates = duplicateKeys(text);
  if (duplicates.length > 0) {
    throw ValidationError.naming('the body gives a key more than once', duplicates);
  }
  return body;
}
