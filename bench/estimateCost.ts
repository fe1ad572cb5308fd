import { type FunctionName, functions } from '../infra/topology.ts';
import { awsPrices } from './awsPrices.ts';
import type { PerTransaction } from './perTransaction.ts';

/** Dollars per million transactions on AWS, by what is billed. */
export type CostEstimate = {
  perMillion: number;
  byItem: Record<string, number>;
  pricesAsOf: string;
  region: string;
};

/** The memory the stack gives the function `fn`, GB (Lambda counts 1024 MB to the GB). */
function memoryGb(fn: string): number {
  if (!Object.hasOwn(functions, fn)) throw new Error(`no memory size for the function ${fn}`);
  return functions[fn as FunctionName].memoryMb / 1024;
}

/**
 * Prices one transaction's counts with the dated list prices: API Gateway, Lambda requests and
 * duration, SQS requests (the AWS-equivalent count), DynamoDB write and read units (indexes
 * included), one KMS `Sign` per signature (the local stack signs in memory), and log ingestion.
 */
export function estimateCost(t: PerTransaction): CostEstimate {
  const p = awsPrices;
  const invocations = Object.values(t.lambda.invocations).reduce((a, b) => a + b, 0);
  // Each function's seconds at its own memory (infra/topology.ts), as Lambda bills them.
  const lambdaGbSeconds = Object.entries(t.lambda.ms).reduce((a, [fn, ms]) => a + (ms / 1000) * memoryGb(fn), 0);
  const sqsRequests = Object.entries(t.awsRequests.byOperation)
    .filter(([op]) => op.startsWith('SQS.'))
    .reduce((a, [, v]) => a + v, 0);
  const sqsAws = sqsRequests + (t.awsRequests.awsEquivalent - t.awsRequests.total);
  const million = 1e6;
  const byItem: Record<string, number> = {
    'KMS Sign': t.signatures * p.kmsAsymmetricRequest * million,
    'DynamoDB writes': t.dynamo.writeUnitsWithIndexes * p.dynamoWriteUnit * million,
    'DynamoDB reads': t.dynamo.readUnits * p.dynamoReadUnit * million,
    'API Gateway': p.httpApiRequest * million,
    'SQS requests': sqsAws * p.sqsRequest * million,
    'Lambda requests': invocations * p.lambdaRequest * million,
    'Lambda duration': lambdaGbSeconds * p.lambdaArmGbSecond * million,
    'CloudWatch Logs': (t.logBytes + invocations * p.lambdaPlatformLogBytes) * p.logsIngestedByte * million,
  };
  for (const k of Object.keys(byItem)) byItem[k] = Math.round((byItem[k] ?? 0) * 100) / 100;
  const perMillion = Math.round(Object.values(byItem).reduce((a, b) => a + b, 0) * 100) / 100;
  return { perMillion, byItem, pricesAsOf: p.asOf, region: p.region };
}
