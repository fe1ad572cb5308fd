import { awsPrices } from './awsPrices.ts';
import type { PerTransaction } from './perTransaction.ts';

/** Dollars per million transactions on AWS, by what is billed. */
export type CostEstimate = {
  perMillion: number;
  byItem: Record<string, number>;
  pricesAsOf: string;
  region: string;
};

/**
 * Prices one transaction's counts with the dated list prices: API Gateway, Lambda requests and
 * duration, SQS requests (the AWS-equivalent count), DynamoDB write and read units (indexes
 * included), one KMS `Sign` per signature (the local stack signs in memory), and log ingestion.
 */
export function estimateCost(t: PerTransaction): CostEstimate {
  const p = awsPrices;
  const invocations = Object.values(t.lambda.invocations).reduce((a, b) => a + b, 0);
  const lambdaSeconds = Object.values(t.lambda.ms).reduce((a, b) => a + b, 0) / 1000;
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
    'Lambda duration': lambdaSeconds * p.lambdaMemoryGb * p.lambdaArmGbSecond * million,
    'CloudWatch Logs': (t.logBytes + invocations * p.lambdaPlatformLogBytes) * p.logsIngestedByte * million,
  };
  for (const k of Object.keys(byItem)) byItem[k] = Math.round((byItem[k] ?? 0) * 100) / 100;
  const perMillion = Math.round(Object.values(byItem).reduce((a, b) => a + b, 0) * 100) / 100;
  return { perMillion, byItem, pricesAsOf: p.asOf, region: p.region };
}
