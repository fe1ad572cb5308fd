import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../support/callApi.ts';
import { type Handlers, loadHandlers } from '../support/loadHandlers.ts';
import { startTestStack, type TestStack } from '../support/startTestStack.ts';
import { tableCounts } from '../support/tableCounts.ts';
import { asClient as client, tokenEnv } from '../support/tokens.ts';

// A callback URL is never a way in: without WEBHOOK_ALLOW_PRIVATE (as deployed), a URL that carries
// credentials, or whose host is (or resolves to) anything but a public unicast address, is a 400 naming
// `callbackUrl`, and leaves nothing behind. http is allowed here (the local stack's WEBHOOK_ALLOW_HTTP), so
// the addresses are judged whatever the scheme; https alone, as deployed, is in the unit tests. (A name resolving to a private address,
// and the same checks at delivery, are in test/unit/webhookUrls.test.ts, with a resolver of the test's own.)
const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
let stack: TestStack;
let api: Handlers['api'];

beforeAll(async () => {
  stack = await startTestStack();
  ({ api } = await loadHandlers(stack, {
    ...tokenEnv,
    WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 3).toString('base64')}`,
    WEBHOOK_ALLOW_PRIVATE: 'false',
    WEBHOOK_ALLOW_HTTP: 'true',
  }));
});

afterAll(async () => {
  await stack?.stop();
});

const post = (callbackUrl: string) =>
  callApi(api, 'POST', '/transactions', {
    body: { to, value: '1', callbackUrl },
    headers: { ...client, prefer: 'respond-async' },
  });

describe('callbackUrl', () => {
  it.each([
    [
      'the cloud metadata address',
      'https://169.254.169.254/latest/meta-data/',
      /169\.254\.169\.254 is not a public address \(linkLocal\)/,
    ],
    ['the metadata address over http', 'http://169.254.169.254/', /169\.254\.169\.254 is not a public address/],
    ['IPv6 loopback', 'http://[::1]/', /::1 is not a public address \(loopback\)/],
    ['loopback written as one number', 'http://2130706433/', /127\.0\.0\.1 is not a public address \(loopback\)/],
    ['loopback written short', 'http://127.1/', /127\.0\.0\.1 is not a public address \(loopback\)/],
    [
      'a name that resolves to loopback',
      'https://localhost/hooks',
      /localhost resolves to .* is not a public address \(loopback\)/,
    ],
    ['a private address inside IPv6', 'https://[::ffff:10.0.0.1]/hooks', /not a public address \(private\)/],
    ['the unspecified address', 'https://0.0.0.0/hooks', /not a public address \(unspecified\)/],
    ['a private address', 'https://192.168.1.10/hooks', /not a public address \(private\)/],
    ['carrier-grade NAT', 'https://100.64.0.1/hooks', /not a public address \(carrierGradeNat\)/],
    ['multicast', 'https://[ff02::1]/hooks', /not a public address \(multicast\)/],
    ['a scheme other than http(s)', 'ftp://8.8.8.8/hooks', /must be an http\(s\) URL/],
    ['credentials in the URL', 'https://user:secret@8.8.8.8/hooks', /must not carry a user name or password/],
  ])('refuses %s with a 400 naming callbackUrl, and writes nothing', async (_what, url, why) => {
    const before = await tableCounts(stack);
    const res = await post(url);
    expect(res.status).toBe(400);
    const issue = res.body.error.details.find((d: { path: string }) => d.path === 'callbackUrl');
    expect(issue?.message).toMatch(why);
    expect(await tableCounts(stack)).toEqual(before);
  });

  it('takes an https URL of a public address, and keeps it on the transaction', async () => {
    const res = await post('https://8.8.8.8/hooks?client=1');
    expect(res.status).toBe(202);
    expect(res.body.callbackUrl).toBe('https://8.8.8.8/hooks?client=1');
    expect((await post('http://8.8.4.4/hooks')).status).toBe(202);
  });
});
