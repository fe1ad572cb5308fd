import { metricsNamespace, serviceMetrics } from '../metrics/serviceMetrics.ts';

/**
 * @deprecated The names are in serviceMetrics (functions/lib/metrics/serviceMetrics.ts), which the sweep
 * emits through; kept, read from there, for the stack's test that still imports it.
 */
export const balanceMetrics = {
  namespace: metricsNamespace,
  service: serviceMetrics.lowBalance.service,
  balance: serviceMetrics.signerBalance.name,
  low: serviceMetrics.lowBalance.name,
} as const;
