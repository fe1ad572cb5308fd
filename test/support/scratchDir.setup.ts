import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * One folder for everything a test run writes to the temporary directory: the runners' data folders, the CDK
 * apps' `cdk.out*` (an `App` without `outdir` makes one per synthesis), Chromium's profiles. The workers and
 * what they start inherit `TMPDIR`; the folder goes at the end of the run, a test that failed halfway included.
 * A CI machine that runs the suite again and again would otherwise fill its disk.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'broadcaster-tests-'));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
