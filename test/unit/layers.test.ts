import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const scanned = ['functions', 'web', 'infra', 'bench'];

type Import = { from: string; specifier: string; target: string | undefined; typeOnly: boolean };

/** Every .ts file under a folder, as a path from the repository root; generated modules hold no imports of ours. */
function sourcesUnder(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.generated.ts') && !f.split(/[\\/]/).includes('node_modules'))
    .map((f) => join(folder, f).split('\\').join('/'));
}

const importPatterns = [
  // import x from '…', import { a, type B } from '…', import type … from '…', export … from '…' (across lines)
  /(?:^|[\s;])(import|export)(\s+type)?\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/g,
  // import '…' (for its effects) and import('…')
  /(?:^|[\s;])(import)()\s*\(?\s*['"]([^'"]+)['"]/g,
];

/** The imports a file states; a relative one is resolved to a path from the repository root. */
function importsOf(file: string): Import[] {
  const text = readFileSync(join(root, file), 'utf8');
  return importPatterns.flatMap((pattern) =>
    [...text.matchAll(pattern)].map((m) => {
      const specifier = m[3] ?? '';
      const target = specifier.startsWith('.')
        ? relative(root, resolve(dirname(join(root, file)), specifier))
            .split('\\')
            .join('/')
        : undefined;
      return { from: file, specifier, target, typeOnly: Boolean(m[2]) };
    }),
  );
}

const files = scanned.flatMap(sourcesUnder);
const imports = files.flatMap(importsOf);

/** True when a module, or a module it imports, brings zod along: the admin page's bundle must not. */
function bringsZod(file: string, seen = new Set<string>()): boolean {
  if (seen.has(file)) return false;
  seen.add(file);
  return importsOf(file).some(
    (i) =>
      !i.typeOnly &&
      (i.specifier === 'zod' || i.specifier.startsWith('zod/') || (i.target && bringsZod(i.target, seen))),
  );
}

const under = (path: string | undefined, folder: string) => path?.startsWith(`${folder}/`) ?? false;
const areaOf = (path: string) => /^functions\/lib\/([^/]+)\//.exec(path)?.[1];

/** What each layer may not reach: the Lambda code stands alone, the page takes only the model's contract. */
function violation(i: Import): string | undefined {
  const { from, target } = i;
  if (under(from, 'functions') && ['infra', 'bench', 'web', 'test'].some((f) => under(target, f))) {
    return 'the Lambda code imports nothing from infra/, bench/, web/ or test/';
  }
  if (under(from, 'web') && target !== undefined && !under(target, 'web')) {
    if (!under(target, 'functions/lib/transactions'))
      return 'web/ imports from functions/ only functions/lib/transactions/';
    if (!i.typeOnly && bringsZod(target))
      return 'web/ imports a value only from a zod-free module (else `import type`)';
  }
  const area = areaOf(from);
  if (area !== undefined && area !== 'api' && under(target, 'functions/lib/api')) {
    return 'api is the top Lambda layer: no other area of functions/lib/ imports it';
  }
  const toArea = target === undefined ? undefined : areaOf(target);
  if (area !== undefined && toArea !== undefined && area !== toArea) {
    const [a, b] = [rankOf[area], rankOf[toArea]];
    if (a === undefined || b === undefined) return `the areas ${area} and ${toArea} need a rank in rankOf`;
    if (b >= a) return `an area imports only lower areas: ${area} (${a}) may not import ${toArea} (${b})`;
  }
  return undefined;
}

/**
 * The areas of functions/lib/ from the bottom up: each imports only those below it, so no two import
 * each other, whatever the path. The handlers (functions/*.ts) stand on top of them all.
 */
const rankOf: Record<string, number> = {
  errors: 0,
  transactions: 1,
  config: 2,
  chain: 3,
  auth: 3,
  store: 3,
  queue: 3,
  http: 3,
  health: 4,
  signers: 4,
  webhooks: 4,
  admin: 4,
  // The metrics' names and the emitter over them; its failure reasons read the chain's rule table.
  metrics: 4,
  broadcast: 5,
  tracker: 5,
  updater: 5,
  sweep: 5,
  notifier: 5,
  services: 6,
  api: 7,
};

describe('the layers', () => {
  it('reads the imports it checks', () => {
    // Guards the scan itself: a pattern that matched nothing would let every rule pass.
    for (const folder of scanned) expect(files.some((f) => under(f, folder))).toBe(true);
    expect(imports).toContainEqual({
      from: 'web/admin/App.ts',
      specifier: '../../functions/lib/transactions/listing.ts',
      target: 'functions/lib/transactions/listing.ts',
      typeOnly: true,
    });
    expect(imports.some((i) => i.from === 'functions/lib/api/createApiRoutes.ts' && i.specifier === 'zod')).toBe(true);
  });

  it('keep to their direction', () => {
    const offences = imports.flatMap((i) => {
      const rule = violation(i);
      return rule ? [`${i.from} imports '${i.specifier}': ${rule}`] : [];
    });
    expect(offences).toEqual([]);
  });
});
