import { App } from 'aws-cdk-lib';
import { buildApp } from './stack/buildApp.ts';

/** The CDK app (`npx cdk synth`, `npx cdk deploy -c workers=16 ...`): no AWS call is needed to synthesize it. */
const app = new App();
buildApp(app);
app.synth();
