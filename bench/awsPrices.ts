/**
 * Public list prices in us-east-1 that the cost estimate uses, as written down on `asOf` (DynamoDB
 * on-demand after its November 2024 cut; Lambda on ARM64). Free tiers are left out. Check the pricing
 * pages before budgeting with them.
 */
export const awsPrices = {
  asOf: '2026-11-24',
  region: 'us-east-1',
  /** API Gateway HTTP API, per request (first 300 million a month). */
  httpApiRequest: 1.0 / 1e6,
  /** Lambda, per invocation. */
  lambdaRequest: 0.2 / 1e6,
  /** Lambda on ARM64, per GB-second. */
  lambdaArmGbSecond: 0.0000133334,
  /** SQS standard queue, per request (a batch of up to 10 messages and 64 KB is one request). */
  sqsRequest: 0.4 / 1e6,
  /** DynamoDB on-demand, per write request unit (1 KB) and read request unit (4 KB strongly consistent). */
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  /** KMS, per request on an asymmetric key other than RSA 2048 (an ECC_SECG_P256K1 `Sign`). */
  kmsAsymmetricRequest: 0.15 / 1e4,
  /** CloudWatch Logs ingestion (standard class), per byte. */
  logsIngestedByte: 0.5 / 1e9,
  /** Lambda's own START, END and REPORT lines per invocation, bytes (an estimate). */
  lambdaPlatformLogBytes: 270,
} as const;
