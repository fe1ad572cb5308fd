import { Webhook } from 'standardwebhooks';

/** The headers of one delivery. */
export type WebhookHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

/**
 * Signs a delivery the way the Standard Webhooks specification says (its own library does the HMAC):
 * `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under each secret, space-separated, so a
 * receiver that knows either secret of a rotation verifies it.
 */
export function signWebhook(secrets: readonly string[], id: string, at: Date, body: string): WebhookHeaders {
  if (secrets.length === 0) throw new Error('no webhook secret to sign with');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(id, at, body)).join(' '),
  };
}
