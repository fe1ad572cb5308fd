import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'vitest';
import { routePattern } from '../../functions/lib/api/routePattern.ts';

type Operation = {
  'x-required-role'?: string;
  responses: Record<string, { content?: Record<string, { schema: unknown }>; headers?: object }>;
};
type Document = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/**
 * Validates real answers against an OpenAPI 3.1 document: the route and the status must be documented,
 * and the body must match that status's schema (errors of unknown routes match the Error schema).
 * Remembers which (operation, status) pairs it has seen, so a test can ask what was never exercised.
 */
export function openApiChecker(doc: unknown) {
  const document = doc as Document;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  ajv.addSchema(document as object, 'openapi');
  const seen = new Set<string>();
  const templates = Object.keys(document.paths).map((template) => ({
    template,
    regex: routePattern(template),
  }));

  function validate(ref: string, body: unknown, what: string) {
    const validator = ajv.getSchema(`openapi#/${ref}`);
    if (!validator) throw new Error(`no schema at ${ref}`);
    const ok = validator(body);
    expect(ok, `${what}: ${ajv.errorsText(validator.errors)}\n${JSON.stringify(body).slice(0, 500)}`).toBe(true);
  }

  /** The documented path that takes `path` (a query ignored), its methods, and the operation of `method` there. */
  function route(method: string, path: string) {
    const found = templates.find((t) => t.regex.test(path.split('?')[0] ?? ''));
    if (!found) return undefined;
    const operations = document.paths[found.template] ?? {};
    return {
      template: found.template,
      methods: Object.keys(operations).map((m) => m.toUpperCase()),
      operation: operations[method.toLowerCase()],
    };
  }

  return {
    route,
    /** Asserts that this answer is one the document describes. */
    check(method: string, path: string, status: number, body: unknown) {
      const what = `${method} ${path} -> ${status}`;
      const found = route(method, path);
      const operation = found?.operation;
      if (!found || !operation) {
        expect([404, 405], `${what}: an undocumented route or method must be 404 or 405`).toContain(status);
        validate(pointer('components', 'schemas', 'Error'), body, what);
        return;
      }
      const response = operation.responses[String(status)];
      expect(response, `${what}: status not documented`).toBeDefined();
      seen.add(`${method.toUpperCase()} ${found.template} ${status}`);
      // Only JSON answers have a body to validate here; the admin page (text/html) is checked by its own tests.
      if (response?.content?.['application/json']) {
        validate(
          pointer(
            'paths',
            found.template,
            method.toLowerCase(),
            'responses',
            String(status),
            'content',
            'application/json',
            'schema',
          ),
          body,
          what,
        );
      }
    },
    /** Every documented (operation, status) this checker has not seen, less those in `except`. */
    unseen(except: string[] = []) {
      const all = Object.entries(document.paths).flatMap(([template, ops]) =>
        Object.entries(ops).flatMap(([method, op]) =>
          Object.keys(op.responses).map((status) => `${method.toUpperCase()} ${template} ${status}`),
        ),
      );
      return all.filter((key) => !seen.has(key) && !except.some((e) => key.endsWith(e) || key === e));
    },
  };
}

/** A checker of one OpenAPI document. */
export type OpenApiChecker = ReturnType<typeof openApiChecker>;
