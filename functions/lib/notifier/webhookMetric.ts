import { metricsNamespace, serviceMetrics } from '../metrics/serviceMetrics.ts';

/**
 * @deprecated The name is in serviceMetrics (functions/lib/metrics/serviceMetrics.ts), which the notifier
 * emits through; kept, read from there, for the stack's test that still imports it.
 */
export const webhookGaveUpMetric = {
  namespace: metricsNamespace,
  name: serviceMetrics.webhookGaveUp.name,
  service: serviceMetrics.webhookGaveUp.service,
} as const;
