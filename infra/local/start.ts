import { devTokens, devWebhookSecret } from '../../functions/lib/config/loadConfig.ts';
import { ConfigError } from '../../functions/lib/errors/errors.ts';
import { startLocalStack } from './startLocalStack.ts';

/** `npm start`: the whole system on this machine; Ctrl-C stops everything it started. */
async function main() {
  const t0 = Date.now();
  const stack = await startLocalStack();
  // Only the public dev defaults are ever printed; a token someone configured is a secret.
  const { API_TOKEN, API_TOKENS, ADMIN_TOKEN, TOKEN_SECRET_ARN } = stack.config;
  const named = [...new Set(API_TOKENS.map((t) => t.client))];
  const devClient = !TOKEN_SECRET_ARN && API_TOKEN === devTokens.client;
  const devAdmin = !TOKEN_SECRET_ARN && ADMIN_TOKEN === devTokens.admin;
  const tokens = TOKEN_SECRET_ARN
    ? `from the secret ${TOKEN_SECRET_ARN}`
    : `client default ${devClient ? devTokens.client : '(API_TOKEN)'}   admin ${devAdmin ? devTokens.admin : '(ADMIN_TOKEN)'}${named.length > 0 ? `   clients ${named.join(', ')} (API_TOKENS)` : ''}${devClient || devAdmin ? '   (dev defaults: set API_TOKEN, ADMIN_TOKEN)' : ''}`;
  // The runner signs webhooks with the public dev secret unless one is set (printed only then: it is no secret).
  const webhooks = stack.devWebhookSecret
    ? `signed with the dev secret ${devWebhookSecret}  (set WEBHOOK_SECRET)`
    : 'signed with WEBHOOK_SECRET';
  const auth = `-H 'authorization: Bearer ${devClient ? devTokens.client : '<client token>'}'`;
  const curl = `curl -s -X POST ${stack.url}/transactions ${auth} -H 'content-type: application/json' -d '{"to":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","value":"1000000000000000"}'`;
  process.stdout.write(
    [
      '',
      `  transaction broadcaster ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      '',
      `  API        ${stack.url}`,
      `  chain id   ${stack.chainId}  (RPC ${stack.rpcUrl})`,
      `  ${stack.signers.length > 1 ? 'signers' : 'signer '}    ${stack.signers.join(', ')}`,
      `  data       ${stack.settings.DATA_DIR}/ (kept across restarts)`,
      `  tokens     ${tokens}`,
      `  webhooks   ${webhooks}`,
      `  admin      ${stack.url}/admin  (the admin page: every transaction; sign in with the admin token)`,
      `  API docs   ${stack.url}/openapi.json`,
      '',
      '  send a first transaction:',
      `    ${curl}`,
      `  then look at it:  curl -s ${auth} ${stack.url}/transactions/<id>`,
      '',
      '',
    ].join('\n'),
  );
  console.log(
    JSON.stringify({
      message: 'ready',
      url: stack.url,
      adminUrl: `${stack.url}/admin`,
      chainId: stack.chainId,
      rpcUrl: stack.rpcUrl,
      signer: stack.signer,
      signers: stack.signers,
      endpoints: stack.endpoints,
      tableName: stack.config.TABLE_NAME,
      startup: stack.startup,
    }),
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping...\n`);
    await stack.stop();
    process.stdout.write('stopped.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : (error?.stack ?? String(error))}\n`);
  process.exit(1);
});
