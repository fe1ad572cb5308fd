import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors/errors.ts';

export const maxBodyBytes = 128 * 1024;

/** Reads a JSON body: 415 when it is not JSON, 413 when too large, 400 when it does not parse. */
export function readJsonBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded' | 'headers'>): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > maxBodyBytes) throw new PayloadTooLargeError(maxBodyBytes);
  const contentType = event.headers?.['content-type'];
  if (contentType && !/^application\/([a-z.+-]*\+)?json\b/i.test(contentType.trim())) {
    throw new UnsupportedMediaTypeError(contentType);
  }
  if (text.trim() === '')
    throw new ValidationError('the body is empty: send a JSON object', [{ path: 'body', message: 'required' }]);
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError('the body is not valid JSON', [{ path: 'body', message: 'must be valid JSON' }]);
  }
}
