import { createHash } from 'node:crypto';
import type { NormalizedRequest } from '../transactions/requestSchema.ts';

/** What an `Idempotency-Key` is bound to: the SHA-256 of the canonical request, so `"0x10"` and `"16"` are one request. */
export function hashRequest(request: NormalizedRequest): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}
