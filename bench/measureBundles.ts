import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundling, handlers } from '../infra/handlers.ts';

/** Minified sizes of one function's bundle, in bytes. */
export type BundleSize = {
  /** The AWS SDK left out (`@aws-sdk/*` external): the Node.js 22 Lambda runtime provides it. */
  sdkExternal: number;
  /** Everything bundled, the SDK included, as the CDK stack deploys it (infra/stack/BroadcasterFunction.ts). */
  asDeployed: number;
};

/** The Lambda handlers, each deployed as its own function. */
export const handlerNames = Object.keys(handlers);

const root = fileURLToPath(new URL('..', import.meta.url));

async function bundledBytes(entry: string, external: string[]): Promise<number> {
  // The options of BroadcasterFunction's `bundling` (NodejsFunction runs this same esbuild), without the source map.
  const out = await build({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    write: false,
    platform: 'node',
    target: bundling.target,
    format: bundling.format,
    minify: bundling.minify,
    mainFields: [...bundling.mainFields],
    banner: { js: bundling.banner },
    external,
    logLevel: 'silent',
  });
  return out.outputFiles.reduce((n, f) => n + f.contents.length, 0);
}

/** Bundles each handler twice with esbuild (minified ESM for Node 22) and returns the sizes. */
export async function measureBundles(): Promise<Record<string, BundleSize>> {
  const sizes: Record<string, BundleSize> = {};
  for (const [name, { entry }] of Object.entries(handlers)) {
    sizes[name] = {
      sdkExternal: await bundledBytes(entry, ['@aws-sdk/*']),
      asDeployed: await bundledBytes(entry, [...bundling.externalModules]),
    };
  }
  return sizes;
}
