import * as z from 'zod';
import { json } from '../http/respond.ts';
import { buildOpenApiDocument } from './buildOpenApiDocument.ts';
import type { Route } from './Route.ts';
import { openApiRouteKey } from './routeTable.ts';

/** `GET /openapi.json`: the document of every route the handler serves, itself included, built once on first use. */
export function openApiRoute(routes: () => Route[]): Route {
  let document: unknown;
  return {
    ...openApiRouteKey,
    summary: 'This API as an OpenAPI 3.1 document, generated from the schemas the API validates with',
    responses: { 200: { description: 'the OpenAPI document', schema: z.record(z.string(), z.unknown()) } },
    async handler() {
      document ??= buildOpenApiDocument(routes());
      return json(200, document);
    },
  };
}
