import * as z from 'zod';
import { errorBodySchema } from '../http/errorBodySchema.ts';
import type { ResponseDoc, Route } from './Route.ts';

type JsonSchema = Record<string, unknown>;

/** The answers every route may give besides its own: auth failures on protected routes, and our own faults. */
function commonResponses(route: Route): Record<number, ResponseDoc> {
  const common: Record<number, ResponseDoc> = {
    500: { description: 'our fault; it was logged, and the body never shows its insides', schema: errorBodySchema },
  };
  if (route.access !== 'none') {
    common[401] = {
      description: 'no bearer token, or not a valid one',
      schema: errorBodySchema,
      headers: { 'WWW-Authenticate': '`Bearer`, with `error="invalid_token"` when a token was sent' },
    };
  }
  // A client route takes both roles, so only an admin route can refuse a valid token.
  if (route.access === 'admin') {
    common[403] = {
      description: 'the token is a client token; this route needs an admin token',
      schema: errorBodySchema,
      headers: { 'WWW-Authenticate': '`Bearer error="insufficient_scope"`' },
    };
  }
  return common;
}

/** `GET /transactions/{id}` -> `getTransactionsById`. */
function operationId(route: Route): string {
  const words = route.path
    .split('/')
    .filter(Boolean)
    .map((part) => {
      const param = part.match(/^\{(.+)\}$/);
      const word = param ? `by-${param[1]}` : part;
      return word.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase());
    });
  return [route.method.toLowerCase(), ...words.map((w) => w.charAt(0).toUpperCase() + w.slice(1))].join('');
}

/**
 * The OpenAPI 3.1 document of a route table, generated from the same zod schemas the routes
 * validate with (JSON Schema 2020-12, OpenAPI 3.1's dialect). Schemas with a `meta({ id })` become
 * components; everything else is inlined.
 */
export function buildOpenApiDocument(
  routes: Route[],
  info: { title: string; version: string; description?: string } = {
    title: 'Transaction broadcaster',
    version: '1',
    description:
      'Takes EVM transaction requests, signs them, broadcasts them, and retries what fails. Every error has the shape ' +
      '`{"error": {"code", "message", "details"}}`; an unknown route is 404 and a known route with another method 405 (with `Allow`).',
  },
): JsonSchema {
  const components: Record<string, JsonSchema> = {};

  function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const { $schema: _dialect, $defs, ...root } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
    const moved = JSON.parse(
      JSON.stringify({ root, defs: $defs ?? {} }).replaceAll('"#/$defs/', '"#/components/schemas/'),
    ) as { root: JsonSchema; defs: Record<string, JsonSchema> };
    Object.assign(components, moved.defs);
    return moved.root;
  }

  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const pathParams = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const headerParams = (route.requestHeaders ?? []).map((h) => ({
      name: h.name,
      in: 'header',
      required: false,
      description: h.description,
      schema: { type: 'string' },
      ...(h.example ? { example: h.example } : {}),
    }));
    const queryParams = Object.entries(route.requestQuery?.shape ?? {}).map(([name, schema]) => {
      const { description, ...rest } = toSchema(schema, 'input');
      return {
        name,
        in: 'query',
        required: !schema.safeParse(undefined).success,
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      };
    });
    const params = [...pathParams, ...queryParams, ...headerParams];
    const all = { ...commonResponses(route), ...route.responses };
    const responses = Object.fromEntries(
      Object.entries(all).map(([status, doc]) => [
        status,
        {
          description: doc.description,
          ...(doc.headers
            ? {
                headers: Object.fromEntries(
                  Object.entries(doc.headers).map(([name, description]) => [
                    name,
                    { description, schema: { type: 'string' } },
                  ]),
                ),
              }
            : {}),
          content: { [doc.mediaType ?? 'application/json']: { schema: toSchema(doc.schema, 'output') } },
        },
      ]),
    );
    paths[route.path] = {
      ...paths[route.path],
      [route.method.toLowerCase()]: {
        operationId: operationId(route),
        summary: route.summary,
        ...(route.description ? { description: route.description } : {}),
        security: route.access === 'none' ? [] : [{ bearer: [] }],
        'x-required-role': route.access,
        ...(params.length > 0 ? { parameters: params } : {}),
        ...(route.requestBody
          ? {
              requestBody: {
                required: true,
                content: { 'application/json': { schema: toSchema(route.requestBody, 'input') } },
              },
            }
          : {}),
        responses,
      },
    };
  }

  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'a client token submits and reads transactions; an admin token may do everything',
        },
      },
    },
  };
}
