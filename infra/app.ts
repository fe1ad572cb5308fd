import { App } from 'aws-cdk-lib';
import { buildApp } from './stack/buildApp.ts';
import { StackSettingsError } from './stack/stackSettings.ts';

/**
 * The CDK app (`npx cdk synth`, `npx cdk deploy [-c stage=prod]`): the stack's properties come from the stage's
 * settings file (`npm run configure`), `-c key=value` on top. No AWS call is needed to synthesize it.
 */
const app = new App();
try {
  buildApp(app);
} catch (error) {
  // The operator's mistake, said plainly: a stack trace into the CDK would bury the line that says what to do.
  if (!(error instanceof StackSettingsError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
app.synth();
