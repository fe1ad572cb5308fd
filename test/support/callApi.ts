import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { expect } from 'vitest';
import { apiEvent } from './apiEvent.ts';
import type { Handlers } from './loadHandlers.ts';
import type { OpenApiChecker } from './openApiChecker.ts';

/** An answer of the api as a client reads it; the body is parsed JSON, read field by field as a client would. */
export type Answer = { status: number; body: ReturnType<typeof JSON.parse>; headers: Record<string, string> };

/** What a call sends besides its method and path, and the OpenAPI document its answer must fit. */
export type CallOptions = {
  body?: unknown;
  /** Sent as given: no Authorization header unless one is here. */
  headers?: Record<string, string>;
  checker?: OpenApiChecker | undefined;
};

/**
 * Sends one event to the api handler and reads its answer, which must carry a JSON body; with a
 * checker, the answer must also be one the api's OpenAPI document describes.
 */
export async function sendEvent(
  api: Handlers['api'],
  event: APIGatewayProxyEventV2,
  checker?: OpenApiChecker,
): Promise<Answer> {
  const res = await api(event);
  const method = event.requestContext.http.method;
  const path = event.rawQueryString ? `${event.rawPath}?${event.rawQueryString}` : event.rawPath;
  const answer: Answer = {
    status: res.statusCode ?? 0,
    body: JSON.parse(res.body ?? 'null'),
    headers: Object.fromEntries(Object.entries(res.headers ?? {}).map(([k, v]) => [k, String(v)])),
  };
  expect(answer.body, `${method} ${path}: every answer is JSON`).not.toBeNull();
  checker?.check(method, path, answer.status, answer.body);
  return answer;
}

/** Calls the api handler as API Gateway would with a v2 event of this method, path (with its query) and options. */
export function callApi(
  api: Handlers['api'],
  method: string,
  path: string,
  { body, headers = {}, checker }: CallOptions = {},
): Promise<Answer> {
  const event = apiEvent(method, path, body, headers);
  if (!('authorization' in headers)) delete event.headers.authorization;
  return sendEvent(api, event, checker);
}
