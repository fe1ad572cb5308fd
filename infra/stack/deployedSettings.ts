// What the stack deploys that the benchmark and the local runner must reproduce, as plain values: this
// module imports nothing, so neither of them loads aws-cdk-lib to read it.

/**
 * The esbuild options of every function's bundle (NodejsFunction's `bundling` in BroadcasterFunction.ts);
 * the benchmark builds its bundle sizes with the same ones.
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

/** The service's functions, by the names the stack and the benchmark give them. */
export type FunctionName = 'api' | 'broadcaster' | 'updater' | 'sweep' | 'authorizer';

/** Each function's memory, MB (Lambda bills duration by it). */
export const memorySizeMb: Record<FunctionName, number> = {
  api: 512,
  broadcaster: 512,
  updater: 256,
  sweep: 512,
  authorizer: 256,
};

/** SQS: a message is received this many times before it goes to the DLQ (the design asks at least 5). */
export const maxReceiveCount = 5;
