import type { Config } from '../config/loadConfig.ts';
import { webhookSecretsSchema } from '../config/loadConfig.ts';
import { ConfigError } from '../errors/errors.ts';

/** The secrets webhooks are signed with: none configured means no webhook can be sent (nor asked for). */
export type WebhookSecrets = {
  /** True when a secret is configured (WEBHOOK_SECRET, or WEBHOOK_SECRET_ARN on AWS). */
  configured: boolean;
  /** The secrets, newest rotation last; read from Secrets Manager at most every `cacheMs`. */
  secrets(): Promise<string[]>;
};

/**
 * WEBHOOK_SECRET's secrets, or those of the Secrets Manager secret WEBHOOK_SECRET_ARN names (its text
 * is what WEBHOOK_SECRET would hold), read once per `cacheMs` so a rotation takes effect within it. A
 * read that fails is not cached; a secret that is empty or malformed is a ConfigError naming no secret.
 */
export function createWebhookSecrets(
  config: Pick<Config, 'WEBHOOK_SECRET' | 'WEBHOOK_SECRET_ARN'>,
  read: (secretId: string) => Promise<string | undefined>,
  options: { cacheMs?: number; now?: () => number } = {},
): WebhookSecrets {
  const arn = config.WEBHOOK_SECRET_ARN;
  if (!arn) {
    const local = config.WEBHOOK_SECRET;
    return { configured: local.length > 0, secrets: async () => local };
  }
  const cacheMs = options.cacheMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  let cached: { secrets: string[]; until: number } | undefined;
  return {
    configured: true,
    async secrets() {
      if (cached && now() < cached.until) return cached.secrets;
      const parsed = webhookSecretsSchema.safeParse(await read(arn));
      if (!parsed.success || parsed.data.length === 0) {
        throw new ConfigError(`the webhook secret ${arn} must hold one or two whsec_ secrets`);
      }
      cached = { secrets: parsed.data, until: now() + cacheMs };
      return parsed.data;
    },
  };
}
