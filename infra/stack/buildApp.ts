import { type App, Validations } from 'aws-cdk-lib';
import cdkNag from 'cdk-nag';
import { BroadcasterStack } from './BroadcasterStack.ts';
import { settingKeys, stackSettings } from './stackSettings.ts';

/**
 * Adds the broadcaster stack to `app`, its properties read from CDK context, and the cdk-nag
 * AwsSolutions checks: a finding not acknowledged fails `cdk synth`; every acknowledgement states why.
 */
export function buildApp(app: App): BroadcasterStack {
  const context = Object.fromEntries(settingKeys.map((key) => [key, app.node.tryGetContext(key)]));
  const settings = stackSettings(context);
  const stack = new BroadcasterStack(app, settings.stackName, {
    settings,
    description: 'Transaction broadcaster: HTTP API, queues, DynamoDB, KMS signer (secp256k1)',
  });
  Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}
