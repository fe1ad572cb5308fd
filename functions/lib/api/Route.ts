import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { z } from 'zod';
import type { Caller } from '../auth/Caller.ts';
import type { HttpResult } from '../http/respond.ts';
import type { RouteKey } from './routeTable.ts';

/** One documented answer of a route: its body's schema (JSON unless `mediaType` says otherwise) and the headers it may carry. */
export type ResponseDoc = {
  description: string;
  schema: z.ZodType;
  headers?: Record<string, string>;
  mediaType?: string;
};

/** A request header a route reads. */
export type HeaderDoc = { name: string; description: string; example?: string };

/**
 * What a route adds to its key in the route table (routeTable.ts): what it takes and answers (the
 * OpenAPI document is generated from these), and the adapter from the event to the domain and back.
 */
export type RouteDetails = {
  description?: string;
  requestBody?: z.ZodType;
  /** The query string's parameters, one per key; the route validates with the same schema. */
  requestQuery?: z.ZodObject;
  requestHeaders?: HeaderDoc[];
  /** The answers of this route itself; 401, 403 and 500 are added from `access`. */
  responses: Record<number, ResponseDoc>;
  handler: (event: APIGatewayProxyEventV2, caller: Caller | undefined) => Promise<HttpResult>;
};

/** One route of the HTTP API: its key (method, path, who may call it, summary) and its details. */
export type Route = RouteKey & RouteDetails;
