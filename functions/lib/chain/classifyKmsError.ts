import type { KmsFailure } from '../errors/errors.ts';

type SdkErrorLike = {
  name?: unknown;
  code?: unknown;
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number };
};

/** KMS (and generic AWS) error names that mean "not now" rather than "never". */
const unavailableNames = new Set([
  'KMSInternalException',
  'DependencyTimeoutException',
  'KeyUnavailableException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);
const throttlingNames = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);

/** Sorts an error thrown by the KMS client: throttling and service faults are transient, the rest is not. */
export function classifyKmsError(error: unknown): Extract<KmsFailure, 'throttled' | 'unavailable' | 'rejected'> {
  const e: SdkErrorLike = typeof error === 'object' && error !== null ? error : {};
  const name = typeof e.name === 'string' ? e.name : '';
  if (throttlingNames.has(name) || e.$retryable?.throttling === true) return 'throttled';
  if (unavailableNames.has(name)) return 'unavailable';
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return 'unavailable';
  // No HTTP answer at all: the connection failed or timed out.
  if (typeof e.code === 'string' && /^(ECONN|ETIMEDOUT|EPIPE|UND_ERR|EAI_AGAIN|ENOTFOUND)/.test(e.code))
    return 'unavailable';
  return 'rejected';
}
