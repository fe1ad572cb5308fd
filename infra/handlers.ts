import type { FunctionName } from './topology.ts';

// The handler modules, once: the stack bundles each `entry` as its function, the local runner and the
// tests `load` the same modules into their own process, and the benchmark measures their bundles.
// Loading is lazy: importing this module runs no handler (each reads its configuration when loaded).

/** One handler module: its path from the repository root, and how to import it into this process. */
export type HandlerModule = { entry: string; load: () => Promise<{ handler: unknown }> };

/** Each function's handler module; each path is written twice on one line: as data, and for the type checker. */
export const handlers = {
  api: { entry: 'functions/api.ts', load: () => import('../functions/api.ts') },
  broadcaster: { entry: 'functions/broadcaster.ts', load: () => import('../functions/broadcaster.ts') },
  updater: { entry: 'functions/updater.ts', load: () => import('../functions/updater.ts') },
  tracker: { entry: 'functions/tracker.ts', load: () => import('../functions/tracker.ts') },
  notifier: { entry: 'functions/notifier.ts', load: () => import('../functions/notifier.ts') },
  sweep: { entry: 'functions/sweep.ts', load: () => import('../functions/sweep.ts') },
  authorizer: { entry: 'functions/authorizer.ts', load: () => import('../functions/authorizer.ts') },
} as const satisfies Record<FunctionName, HandlerModule>;

/** The `handler` export of function `name`'s module. */
export type HandlerOf<N extends FunctionName> = Awaited<ReturnType<(typeof handlers)[N]['load']>>['handler'];

/** Imports function `name`'s module (its cold start runs now) and returns its handler. */
export async function loadHandler<N extends FunctionName>(name: N): Promise<HandlerOf<N>> {
  const loaded: { handler: HandlerOf<N> } = await handlers[name].load();
  return loaded.handler;
}

/**
 * The esbuild options of every function's bundle (NodejsFunction's `bundling` in
 * infra/stack/BroadcasterFunction.ts); the benchmark builds its bundle sizes with the same ones.
 */
export const bundling = {
  format: 'esm',
  target: 'node22',
  minify: true,
  mainFields: ['module', 'main'],
  // Everything is bundled, the AWS SDK included: the versions tested are the versions deployed.
  externalModules: [],
  // CommonJS dependencies inside an ESM bundle still call require().
  banner: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
} as const;
