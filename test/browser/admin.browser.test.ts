import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  createPublicClient,
  createTestClient,
  formatEther,
  formatGwei,
  type Hex,
  http,
  parseEther,
  parseGwei,
  toHex,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignersView } from '../../functions/lib/transactions/listing.ts';
import type { TransactionView } from '../../functions/lib/transactions/model.ts';
import { launchChromium } from '../support/launchChromium.ts';
import { eventually, type Runner, request, startRunner, tempDataDir } from '../support/runner.ts';
import { testTokens } from '../support/tokens.ts';

/** Where the screenshots go: test artifacts, ignored by git. */
const shots = 'test-results/admin';
const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const laptop = { width: 1280, height: 800 };
const phone = { width: 390, height: 844 };
/** A second client beside `default` (the runner's API_TOKEN), for the client column and filter. */
const teamB = { name: 'team-b', token: 'team-b-token-1' };

let runner: Runner;
let browser: Browser;
/** What the page said in its console, and what it threw: a CSP violation or a bug shows up here. */
const problems: string[] = [];
/**
 * The pages opened with the listeners on, those whose load they saw, and whether they heard a CSP
 * violation made on purpose: an empty console means something only if all three are so.
 */
const watched = { opened: 0, loaded: 0, heardViolation: false };
/** The transaction made to fail, and the one that sent it again. */
let failedId = '';
let rebroadcastId = '';

/** Opens the admin page with listeners that put every console error or warning, and every uncaught error, in `heard`. */
async function openPage(context: BrowserContext, heard: string[] = problems, on: Runner = runner): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m) => {
    // The browser logs every refused call: the wrong tokens, the unknown id this test types and the late cancel are refused on purpose.
    const expected = /^Failed to load resource: the server responded with a status of 40[1349]/;
    if ((m.type() === 'error' || m.type() === 'warning') && !expected.test(m.text())) {
      heard.push(`${m.type()}: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => heard.push(`pageerror: ${e.message}`));
  page.once('load', () => {
    watched.loaded += 1;
  });
  watched.opened += 1;
  await page.goto(`${on.url}/admin`);
  return page;
}

/**
 * How long a poll of the counts bar waits after a status change: the day counters are written after the updater's
 * batch, so a page read can show a row's new status before its count, and the page reads again only after 2.5 s.
 * (A filter's counts are read with its rows, from the index, and need no such wait.)
 */
const countsSettle = { timeout: 10_000 };

async function signIn(page: Page, token: string) {
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Open' }).click();
}

/** Submits a transaction as a client would, answered at once. */
async function submit(body: Record<string, unknown>, on: Runner = runner): Promise<string> {
  const res = await request(on, 'POST', '/transactions', body, { prefer: 'respond-async' });
  expect(res.status).toBe(202);
  return res.body.id;
}

async function statusOf(id: string, on: Runner = runner): Promise<string> {
  return (await request(on, 'GET', `/transactions/${id}`)).body.status;
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  [runner, browser] = await Promise.all([
    startRunner({
      DATA_DIR: tempDataDir(),
      RETRY_BASE_SECONDS: '0',
      BROADCAST_WAIT_MS: '0',
      API_TOKENS: `${teamB.name}:${teamB.token}`,
      // These tests make transactions fail on chain by sending more than the signer holds: the API's balance
      // guard would refuse them at the door (the pool's test below keeps it on, for the header's open spend).
      BALANCE_GUARD: 'off',
    }),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await runner?.stop();
});

describe('the admin page', () => {
  it('asks for the token, says when it is wrong, then shows transactions as they arrive and follows them to confirmed', async () => {
    const context = await browser.newContext({ viewport: laptop });
    const page = await openPage(context);
    await expect.poll(() => page.getByLabel('Admin token').isVisible()).toBe(true);

    await signIn(page, 'not-the-token');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');
    await signIn(page, testTokens.client);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('client token');
    await signIn(page, testTokens.admin);
    await page.getByRole('heading', { name: 'Transactions' }).waitFor();

    // Sent while the page is open: they appear, and move on past success to confirmed, without a reload.
    const values = ['1000000000000000', '2500000000000000000', '250000000000000000', '42000000000000000'];
    const ids: string[] = [];
    for (const value of values) ids.push(await submit({ to, value }));
    for (const id of ids) {
      await page.locator(`tr[data-id="${id}"][data-status="confirmed"]`).waitFor({ timeout: 30_000 });
    }
    await expect.poll(() => page.locator('tr[data-id]').count()).toBe(values.length);
    const row = page.locator(`tr[data-id="${ids[1]}"]`);
    expect(await row.locator('td[data-label="Value (ETH)"]').textContent()).toBe('2.5');
    await expect.poll(() => page.locator('.count-confirmed .count-value').textContent(), countsSettle).toBe('4');
    expect(await page.locator('.count-success .count-value').textContent()).toBe('0');

    // "What happened to transaction X": opened by its id; an id that names nothing says so.
    const find = page.getByRole('search', { name: 'Open a transaction by id' });
    await find.getByLabel('Transaction id').fill(ids[2] ?? '');
    await find.getByRole('button', { name: 'Open' }).click();
    const detail = page.locator('aside.detail');
    await detail.locator('.message').waitFor();
    expect(await detail.textContent()).toContain(ids[2]);

    // A confirmed transaction: its receipt as the chain has it, and its one signature, with its fees in gwei.
    const tx = (await request(runner, 'GET', `/transactions/${ids[2]}`)).body;
    const chain = createPublicClient({ transport: http(runner.rpcUrl) });
    const mined = await chain.getTransactionReceipt({ hash: tx.txHash as Hex });
    const receipt = detail.locator('dl.receipt');
    const receiptField = (term: string) => receipt.locator(`.field:has(dt:text-is("${term}")) dd`).textContent();
    expect(await receiptField('Block')).toBe(String(mined.blockNumber));
    expect(await receiptField('Block hash')).toBe(mined.blockHash);
    expect(await receiptField('Status')).toBe('success (status 1)');
    expect(await receiptField('Hash mined')).toBe(tx.txHash);
    expect(await receiptField('Gas used')).toBe(String(mined.gasUsed));
    expect(await receiptField('Effective gas price')).toBe(`${formatGwei(mined.effectiveGasPrice)} gwei`);
    const signed = detail.locator('.timeline .event-signed');
    expect(await signed.count()).toBe(1);
    const [signature] = tx.hashes;
    const signedText = (await signed.textContent()) ?? '';
    expect(signedText).toContain(tx.txHash);
    expect(signedText).toContain(
      `max fee ${formatGwei(BigInt(signature.maxFeePerGas))} gwei · priority fee ${formatGwei(BigInt(signature.maxPriorityFeePerGas))} gwei`,
    );
    expect(await signed.locator('.tag-mined').textContent()).toBe('the one mined');
    expect(await detail.locator('.timeline .event-outcome').last().textContent()).toContain(
      `confirmed in block ${mined.blockNumber}`,
    );
    // Its events, as the API has them: no callback URL, so each one is recorded and none is posted.
    const { items } = (await request(runner, 'GET', `/transactions/${ids[2]}/events`)).body;
    expect(items.length).toBeGreaterThan(0);
    const events = detail.locator('section.events');
    await expect.poll(() => events.locator('li.webhook-event').count()).toBe(items.length);
    expect(await events.locator('.event-type').allTextContents()).toEqual(items.map((e: { type: string }) => e.type));
    expect(await events.locator('.callback').textContent()).toBe('No callback URL: its events are not posted.');
    expect(await events.locator('.delivery-none').allTextContents()).toEqual(items.map(() => 'not posted'));
    await page.screenshot({ path: `${shots}/detail-confirmed-laptop.png` });
    await find.getByLabel('Transaction id').fill('00000000-0000-4000-8000-000000000000');
    await find.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => page.locator('aside.detail [role=alert]').textContent()).toContain('no transaction');

    // The token is kept for this tab: a reload does not ask again.
    await page.reload();
    await page.locator(`tr[data-id="${ids[0]}"]`).waitFor();
    await context.close();
  });

  it('filters to a failed transaction, rebroadcasts it, and the panel follows the new one live to confirmed', async () => {
    // A hot wallet running low: enough for the filler that frees the nonce, not for a 1 ETH transfer.
    const chain = createPublicClient({ transport: http(runner.rpcUrl) });
    const anvil = createTestClient({ mode: 'anvil', transport: http(runner.rpcUrl) });
    const address = runner.signer as `0x${string}`;
    const balance = await chain.getBalance({ address });
    await anvil.setBalance({ address, value: parseEther('0.5') });
    try {
      failedId = await submit({ to, value: parseEther('1').toString() });
      await eventually(async () => ((await statusOf(failedId)) === 'failed' ? true : undefined), 30_000, 'failed');
    } finally {
      await anvil.setBalance({ address, value: balance });
    }

    const context = await browser.newContext({ viewport: laptop });
    const page = await openPage(context);
    await signIn(page, testTokens.admin);
    await page.getByLabel('Status', { exact: true }).selectOption('failed');
    await page.locator(`tr[data-id="${failedId}"]`).waitFor();
    await expect.poll(() => page.locator('tr[data-id]').count()).toBe(1);
    expect(await page.locator('tr[data-id]').first().getAttribute('data-status')).toBe('failed');
    expect(await page.locator('.count-failed').getAttribute('aria-pressed')).toBe('true');
    await page.screenshot({ path: `${shots}/list-laptop.png` });

    // Opened from the keyboard.
    await page.locator(`tr[data-id="${failedId}"] button`).focus();
    await page.keyboard.press('Enter');
    const panel = page.locator('aside.detail');
    await panel
      .getByText(/insufficient funds/i)
      .first()
      .waitFor();
    expect(await panel.locator('.timeline .event-outcome').count()).toBe(1);
    expect(await panel.textContent()).toContain(runner.signer);
    await page.screenshot({ path: `${shots}/detail-laptop.png` });

    await panel.getByRole('button', { name: 'Rebroadcast…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rebroadcast this transaction?' });
    await dialog.waitFor();
    // The confirmation names what will be sent.
    expect(await dialog.textContent()).toContain(to);
    expect(await dialog.locator('dd').nth(1).textContent()).toBe('1 ETH (1000000000000000000 wei)');
    await page.screenshot({ path: `${shots}/confirm-laptop.png` });
    await dialog.getByRole('button', { name: 'Rebroadcast', exact: true }).click();

    await page.getByText(/Sent again as transaction/).waitFor();
    rebroadcastId = (await page.locator('.notice').textContent())?.match(/transaction ([0-9a-f-]{36})/)?.[1] ?? '';
    expect(rebroadcastId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await panel.locator('.relation', { hasText: 'Rebroadcast of' }).textContent()).toContain(failedId);
    // The panel follows the new transaction past the node's acceptance (success) until it is final: confirmed.
    await panel.locator('.detail-head .status-confirmed').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: `${shots}/rebroadcast-laptop.png` });

    // In the list, both are there, linked; the old one offers no second rebroadcast.
    await page.getByLabel('Status', { exact: true }).selectOption('');
    await page.locator(`tr[data-id="${rebroadcastId}"][data-status="confirmed"]`).waitFor();
    await panel.getByRole('button', { name: failedId }).click();
    await panel.locator('.relation', { hasText: 'Sent again as' }).waitFor();
    expect(await panel.getByRole('button', { name: 'Rebroadcast…' }).count()).toBe(0);
    await page.screenshot({ path: `${shots}/overview-laptop.png` });

    // Escape closes the panel and gives the focus back to the row it showed.
    await page.keyboard.press('Escape');
    await expect.poll(() => panel.count()).toBe(0);
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-id')))
      .toBe(failedId);
    await context.close();

    expect(await statusOf(rebroadcastId)).toBe('confirmed');
    expect((await request(runner, 'GET', `/transactions/${failedId}`)).body.rebroadcastAs).toBe(rebroadcastId);
  });

  it('works at phone width: rows become cards, nothing scrolls sideways', async () => {
    expect(rebroadcastId).not.toBe('');
    const context = await browser.newContext({ viewport: phone, isMobile: true, hasTouch: true });
    const page = await openPage(context);
    await signIn(page, testTokens.admin);
    await page.locator(`tr[data-id="${rebroadcastId}"]`).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(phone.width);
    expect(await page.locator('table.transactions thead').isVisible()).toBe(false);
    await page.screenshot({ path: `${shots}/list-phone.png` });
    await page.locator(`tr[data-id="${rebroadcastId}"] button`).click();
    await page.locator('aside.detail .relation', { hasText: 'Rebroadcast of' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(phone.width);
    await page.screenshot({ path: `${shots}/detail-phone.png` });
    await context.close();
  });

  it('shows a bidi control in a function argument as its escape, and the confirmation names each argument', async () => {
    // A call that fails for good: a value far above the signer's balance (10^30 wei, 10^12 ETH).
    const value = (10n ** 30n).toString();
    const noteId = await submit({
      to,
      value,
      gas: '100000',
      function: 'note(string memo, uint256 n)',
      args: ['invoice-7\u202e', '91'],
    });
    await eventually(async () => ((await statusOf(noteId)) === 'failed' ? true : undefined), 30_000, 'failed');

    const context = await browser.newContext({ viewport: laptop });
    const page = await openPage(context);
    await signIn(page, testTokens.admin);
    await page.locator(`tr[data-id="${noteId}"] button`).click();
    const panel = page.locator('aside.detail');
    await panel
      .getByText(/insufficient funds/i)
      .first()
      .waitFor();
    // Applied, U+202E would show `["invoice-7\u202e","91"]` as `["invoice-7["19","`: it is shown as its escape instead.
    const shown = (await panel.textContent()) ?? '';
    expect(shown).not.toContain('\u202e');
    expect(shown).toContain('"invoice-7\\u202E"');
    expect(await panel.locator('.escape').first().textContent()).toBe('\\u202E');
    expect(shown).toContain('memo (string) = "invoice-7\\u202E"');
    expect(shown).toContain('n (uint256) = 91');
    expect(await panel.locator('.field:has(dt:text-is("Client")) dd').textContent()).toBe('default');
    await page.screenshot({ path: `${shots}/detail-bidi-laptop.png` });

    // The confirmation of a failed call names the call, each argument, the recipient, the value in ETH and wei.
    await panel.getByRole('button', { name: 'Rebroadcast…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rebroadcast this transaction?' });
    await dialog.waitFor();
    const asked = (await dialog.textContent()) ?? '';
    expect(asked).toContain(to);
    expect(await dialog.locator('.field:has(dt:text-is("Value")) dd').textContent()).toBe(
      `1000000000000 ETH (${value} wei)`,
    );
    expect(await dialog.locator('.field:has(dt:text-is("Call")) dd').textContent()).toBe(
      'notememo (string) = "invoice-7\\u202E"n (uint256) = 91',
    );
    expect(await dialog.locator('.field:has(dt:text-is("Gas limit")) dd').textContent()).toBe('100000');
    expect(await dialog.locator('.field:has(dt:text-is("Chain")) dd').textContent()).toBe('31337');
    expect(asked).not.toContain('\u202e');
    await page.screenshot({ path: `${shots}/confirm-call-laptop.png` });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await statusOf(noteId)).toBe('failed');
    await context.close();
  });

  it('shows each transaction’s client, and the client filter narrows the list and its counts', async () => {
    const res = await request(
      runner,
      'POST',
      '/transactions',
      { to, value: '1' },
      { prefer: 'respond-async', authorization: `Bearer ${teamB.token}` },
    );
    expect(res.status).toBe(202);
    const teamBId: string = res.body.id;

    const context = await browser.newContext({ viewport: laptop });
    const page = await openPage(context);
    await signIn(page, testTokens.admin);
    await page.locator(`tr[data-id="${teamBId}"]`).waitFor();
    expect(await page.locator(`tr[data-id="${teamBId}"] td[data-label="Client"]`).textContent()).toBe(teamB.name);
    expect(await page.locator(`tr[data-id="${failedId}"] td[data-label="Client"]`).textContent()).toBe('default');
    const everyone = await page.locator('tr[data-id]').count();
    expect(everyone).toBeGreaterThan(1);

    // A name that cannot be a client's is refused with the rule; the list stays as it was.
    const clientFilter = page.getByLabel('Client', { exact: true });
    await clientFilter.fill('-team');
    await clientFilter.press('Enter');
    await expect.poll(() => page.locator('#filter-client-error').textContent()).toContain('1 to 64 letters');
    expect(await clientFilter.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('tr[data-id]').count()).toBe(everyone);
    await page.screenshot({ path: `${shots}/client-invalid-laptop.png` });

    // A client's name: only its transactions, and the counts are its own.
    await clientFilter.fill(teamB.name);
    await clientFilter.press('Enter');
    await expect.poll(() => page.locator('tr[data-id]').count()).toBe(1);
    expect(await page.locator('tr[data-id]').first().getAttribute('data-id')).toBe(teamBId);
    await expect.poll(() => page.locator('.count-all .count-value').textContent()).toBe('1');
    expect(await page.locator('#filter-client-error').count()).toBe(0);
    await page.screenshot({ path: `${shots}/client-filter-laptop.png` });

    // Emptied: every client again.
    await clientFilter.fill('');
    await clientFilter.press('Enter');
    await expect.poll(() => page.locator('tr[data-id]').count()).toBe(everyone);
    await context.close();

    // At phone width the client is a line of the card.
    const phoneContext = await browser.newContext({ viewport: phone, isMobile: true, hasTouch: true });
    const phonePage = await openPage(phoneContext);
    await signIn(phonePage, testTokens.admin);
    const cell = phonePage.locator(`tr[data-id="${teamBId}"] td[data-label="Client"]`);
    await cell.waitFor();
    expect(await cell.isVisible()).toBe(true);
    expect(await cell.textContent()).toBe(teamB.name);
    expect(await phonePage.locator('table.transactions thead').isVisible()).toBe(false);
    expect(await phonePage.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(phone.width);
    await phoneContext.close();
  });

  it('flags a transaction stuck at the fee cap, shows each signature’s kind, and cancels one not yet mined after asking first; a cancel too late shows the server’s words', async () => {
    // Its own chain, mined only when this test says: a transaction the node took stays success until then.
    // A cap of 20 gwei, and a market held at 300 gwei: a re-price to the cap, then a wait there.
    const capped = await startRunner({
      DATA_DIR: tempDataDir(),
      RETRY_BASE_SECONDS: '0',
      BROADCAST_WAIT_MS: '0',
      TRACK_INTERVAL_SECONDS: '1',
      STUCK_AFTER_BLOCKS: '1',
      FEE_CAP_GWEI: '20',
      FEE_CACHE_MS: '0',
    });
    try {
      const anvil = createTestClient({ mode: 'anvil', transport: http(capped.rpcUrl) });
      await anvil.setAutomine(false);
      const view = async (id: string): Promise<TransactionView> =>
        (await request(capped, 'GET', `/transactions/${id}`)).body;
      const until = (id: string, what: string, holds: (tx: TransactionView) => boolean) =>
        eventually(async () => (holds(await view(id)) ? true : undefined), 30_000, what);

      const context = await browser.newContext({ viewport: laptop });
      const page = await openPage(context, problems, capped);
      /** Every cancel the page asked for, as it left the page. */
      const posted: { method: string; url: string; authorization: string | undefined; body: string | null }[] = [];
      page.on('request', (r) => {
        if (new URL(r.url()).pathname.endsWith('/cancel')) {
          posted.push({
            method: r.method(),
            url: r.url(),
            authorization: r.headers().authorization,
            body: r.postData(),
          });
        }
      });
      await signIn(page, testTokens.admin);
      await page.getByRole('heading', { name: 'Transactions' }).waitFor();
      const panel = page.locator('aside.detail');
      const find = page.getByRole('search', { name: 'Open a transaction by id' });
      const openById = async (id: string) => {
        await find.getByLabel('Transaction id').fill(id);
        await find.getByRole('button', { name: 'Open' }).click();
        await panel.locator('h2', { hasText: id.slice(0, 8) }).waitFor();
        await panel.locator('.message').waitFor();
      };
      const cancelButton = panel.getByRole('button', { name: 'Cancel…' });
      const kinds = panel.locator('.timeline .event-signed .sig-kind');

      // The market goes to 300 gwei and stays there, a block a little over each second, until it is let go.
      const stuckId = await submit({ to, value: '11' }, capped);
      await until(stuckId, 'success', (tx) => tx.status === 'success');
      let spiking = true;
      const spike = (async () => {
        while (spiking) {
          await anvil.setNextBlockBaseFeePerGas({ baseFeePerGas: parseGwei('300') });
          await anvil.mine({ blocks: 1 });
          await sleep(1100);
        }
      })();
      try {
        await until(stuckId, 'stuck', (tx) => tx.stuck !== null);
        const { stuck } = await view(stuckId);
        if (!stuck) throw new Error('not stuck');
        expect(stuck.reason).toContain('fee cap of 20 gwei');

        // The row flags it, since when and why; the panel says it at the top, and the timeline has each signature's kind and the wait.
        const flag = page.locator(`tr[data-id="${stuckId}"] td[data-label="Status"] .flag-stuck`);
        await flag.waitFor();
        expect(await flag.getAttribute('title')).toContain(stuck.reason);
        expect(await flag.textContent()).toContain('stuck since');
        await openById(stuckId);
        const banner = panel.locator('.stuck-banner');
        await banner.waitFor();
        expect(await banner.textContent()).toContain(stuck.reason);
        expect(await banner.locator('time').getAttribute('datetime')).toBe(stuck.since);
        await expect.poll(() => kinds.allTextContents()).toEqual(['original', 're-priced']);
        expect(await panel.locator('.timeline .event-signed').last().textContent()).toContain('max fee 20 gwei');
        const waiting = panel.locator('.timeline .event-stuck').first();
        expect(await waiting.locator('.status-stuck').textContent()).toBe('stuck');
        expect(await waiting.textContent()).toContain('re-sent, not re-priced');
        // Stuck is still success: it may be canceled.
        expect(await cancelButton.count()).toBe(1);
        await page.screenshot({ path: `${shots}/detail-stuck-laptop.png` });
      } finally {
        spiking = false;
        await spike;
        await anvil.setNextBlockBaseFeePerGas({ baseFeePerGas: parseGwei('1') });
      }
      // The market falls, blocks go on (a node dropped it during the spike; the tracker sends it again): it is
      // mined, no longer stuck, and past canceling.
      await eventually(
        async () => {
          if ((await view(stuckId)).status === 'confirmed') return true;
          await anvil.mine({ blocks: 1 });
          await sleep(1000);
          return undefined;
        },
        30_000,
        'mined after the spike',
      );
      await panel.locator('.detail-head .status-confirmed').waitFor({ timeout: 30_000 });
      await expect.poll(() => panel.locator('.stuck-banner').count()).toBe(0);
      expect(await cancelButton.count()).toBe(0);

      // A transaction the node took, not mined: Cancel asks first, and keeping it sends nothing.
      const validUntil = new Date(Date.now() + 3_600_000).toISOString();
      const cancelId = await submit({ to, value: '12', validUntil }, capped);
      await until(cancelId, 'success', (tx) => tx.status === 'success');
      await openById(cancelId);
      await panel.locator('.detail-head .status-success').waitFor();
      expect(await panel.locator('.field:has(dt:text-is("Valid until")) dd').textContent()).toContain(
        'canceled if not mined by then',
      );
      await cancelButton.click();
      const dialog = page.getByRole('dialog', { name: 'Cancel this transaction?' });
      await dialog.waitFor();
      const said = (await dialog.textContent()) ?? '';
      expect(said).toContain('zero-value transfer from the sender to itself');
      expect(said).toContain('original’s outcome stands');
      await page.screenshot({ path: `${shots}/confirm-cancel-laptop.png` });
      await dialog.getByRole('button', { name: 'Keep it' }).click();
      await expect.poll(() => dialog.count()).toBe(0);
      expect(posted).toEqual([]);
      expect((await view(cancelId)).cancel).toBeNull();

      // Confirmed: one POST to …/cancel with the admin token and no body; the 202's state is shown, and the panel follows it.
      await cancelButton.click();
      await dialog.getByRole('button', { name: 'Cancel transaction' }).click();
      await page.getByText(/Cancel asked for transaction/).waitFor();
      expect(posted).toEqual([
        {
          method: 'POST',
          url: `${capped.url}/transactions/${cancelId}/cancel`,
          authorization: `Bearer ${testTokens.admin}`,
          body: null,
        },
      ]);
      const asked = panel.locator('dl.cancel-asked');
      expect(await asked.locator('.field:has(dt:text-is("Cancel asked by")) dd').textContent()).toBe('admin');
      expect(await asked.locator('.field:has(dt:text-is("Why")) dd').textContent()).toBe('asked for');
      expect(await asked.locator('.field:has(dt:text-is("Came to")) dd').textContent()).toMatch(/^on its way/);
      await page.locator(`tr[data-id="${cancelId}"] .tag-cancel`, { hasText: 'cancel asked' }).waitFor();
      await until(cancelId, 'its cancel signed', (tx) => tx.hashes.some((h) => h.kind === 'cancel'));
      await expect.poll(() => kinds.allTextContents(), { timeout: 10_000 }).toEqual(['original', 'cancel']);

      // The cancel transfer is mined: canceled, failed, with the cancel's receipt, and no Cancel any more.
      await anvil.mine({ blocks: 1 });
      await panel.locator('.detail-head .status-failed').waitFor({ timeout: 30_000 });
      expect(await panel.locator('.detail-head .tag-cancel').textContent()).toBe('canceled');
      expect(await asked.locator('.field:has(dt:text-is("Came to")) dd').textContent()).toMatch(/^canceled/);
      expect(await panel.locator('.timeline .event-signed:has(.sig-cancel) .tag-mined').count()).toBe(1);
      expect(await panel.locator('#detail-receipt + p').textContent()).toContain('Of the cancel');
      expect(await cancelButton.count()).toBe(0);
      await page.screenshot({ path: `${shots}/detail-canceled-laptop.png` });

      // Too late: asked while it showed success, it was mined before the click; the server's words are shown.
      const lateId = await submit({ to, value: '13' }, capped);
      await until(lateId, 'success', (tx) => tx.status === 'success');
      await openById(lateId);
      await panel.locator('.detail-head .status-success').waitFor();
      await cancelButton.click();
      await dialog.waitFor();
      await anvil.mine({ blocks: 1 });
      await until(lateId, 'confirmed', (tx) => tx.status === 'confirmed');
      await dialog.getByRole('button', { name: 'Cancel transaction' }).click();
      await expect
        .poll(() => dialog.getByRole('alert').textContent())
        .toBe(`transaction ${lateId} is confirmed: its outcome is final; a cancel can no longer replace it`);
      expect(posted.map((p) => p.url)).toEqual([
        `${capped.url}/transactions/${cancelId}/cancel`,
        `${capped.url}/transactions/${lateId}/cancel`,
      ]);
      await page.screenshot({ path: `${shots}/confirm-cancel-late-laptop.png` });
      await dialog.getByRole('button', { name: 'Keep it' }).click();
      await panel.locator('.detail-head .status-confirmed').waitFor();
      expect(await cancelButton.count()).toBe(0);
      await context.close();
    } finally {
      await capped.stop();
    }
  });

  it('follows a transaction from success to mined, says plainly when its block was reorged away, and on to confirmed', async () => {
    // A chain 3 blocks deep, looked at every 5 s: with anvil mining a block per transaction, a lone one
    // stays success for seconds, then mined until blocks are mined on top of it.
    const deep = await startRunner({
      DATA_DIR: tempDataDir(),
      RETRY_BASE_SECONDS: '0',
      BROADCAST_WAIT_MS: '0',
      CONFIRMATIONS: '3',
      TRACK_INTERVAL_SECONDS: '5',
    });
    try {
      const anvil = createTestClient({ mode: 'anvil', transport: http(deep.rpcUrl) });
      const context = await browser.newContext({ viewport: laptop });
      const page = await openPage(context, problems, deep);
      await signIn(page, testTokens.admin);
      await page.getByRole('heading', { name: 'Transactions' }).waitFor();

      const before = await anvil.snapshot();
      const id = await submit({ to, value: '3' }, deep);
      await eventually(async () => ((await statusOf(id, deep)) === 'success' ? true : undefined), 30_000, 'success');
      const find = page.getByRole('search', { name: 'Open a transaction by id' });
      await find.getByLabel('Transaction id').fill(id);
      await find.getByRole('button', { name: 'Open' }).click();
      const panel = page.locator('aside.detail');
      await panel.locator('.detail-head .status-success').waitFor();
      expect(await panel.locator('#detail-receipt + p').textContent()).toBe('Not in a block yet.');

      // success is not the end: the panel goes on reading it until it is mined.
      await panel.locator('.detail-head .status-mined').waitFor({ timeout: 30_000 });
      const block = (await request(deep, 'GET', `/transactions/${id}`)).body.receipt.blockNumber as number;
      expect(await panel.locator('.timeline .event-mined').textContent()).toContain(`mined in block ${block}`);
      expect(await panel.locator('.field:has(dt:text-is("Confirmations")) dd').textContent()).toBe('1 when last seen');
      await expect.poll(() => page.locator('.count-mined .count-value').textContent(), countsSettle).toBe('1');

      // The block goes away (the chain is put back to before it): the tracker notices and sends the bytes again.
      await anvil.revert({ id: before });
      const reorged = panel.locator('.timeline .event-reorged');
      await reorged.waitFor({ timeout: 30_000 });
      expect(await reorged.textContent()).toContain(`its block ${block} was reorged away; sent again`);
      // Still followed: mined again, in the block that took its place.
      await expect.poll(() => panel.locator('.timeline .event-mined').count(), { timeout: 30_000 }).toBe(2);
      await page.screenshot({ path: `${shots}/detail-reorged-laptop.png` });

      // Two blocks on top of it: at the chain's depth, confirmed, and the panel says so without a reload.
      await anvil.mine({ blocks: 2 });
      await panel.locator('.detail-head .status-confirmed').waitFor({ timeout: 30_000 });
      expect(await panel.locator('.field:has(dt:text-is("Confirmations")) dd').textContent()).toBe('3 when last seen');
      await context.close();
    } finally {
      await deep.stop();
    }
  });

  it('shows the signer pool per chain, refreshed with the list, and the signer filter narrows the list and its counts', async () => {
    // A pool of two of anvil's dev accounts, on a chain of its own; B is below LOW_BALANCE_WEI.
    const mnemonic = 'test test test test test test test test test test test junk';
    const accounts = [3, 4].map((addressIndex) => mnemonicToAccount(mnemonic, { addressIndex }));
    const [a, b] = accounts.map((account) => account.address) as [Hex, Hex];
    const admin = { authorization: `Bearer ${testTokens.admin}` };
    const pooled = await startRunner({
      DATA_DIR: tempDataDir(),
      RETRY_BASE_SECONDS: '0',
      BROADCAST_WAIT_MS: '0',
      SIGNER_PRIVATE_KEYS: accounts.map((account) => toHex(account.getHdKey().privateKey as Uint8Array)).join(','),
      LOW_BALANCE_WEI: parseEther('1').toString(),
      BALANCE_CACHE_MS: '0',
    });
    try {
      const chain = createPublicClient({ transport: http(pooled.rpcUrl) });
      const anvil = createTestClient({ mode: 'anvil', transport: http(pooled.rpcUrl) });
      const fromA = [
        await submit({ to, value: '21', from: a }, pooled),
        await submit({ to, value: '22', from: a }, pooled),
      ];
      const fromB = await submit({ to, value: '23', from: b }, pooled);
      for (const id of [...fromA, fromB]) {
        await eventually(
          async () => ((await statusOf(id, pooled)) === 'confirmed' ? true : undefined),
          30_000,
          'confirmed',
        );
      }
      await anvil.setBalance({ address: b, value: parseEther('0.25') });

      const context = await browser.newContext({ viewport: laptop });
      const page = await openPage(context, problems, pooled);
      await signIn(page, testTokens.admin);
      const table = page.locator('table.signers-table[data-chain="31337"]');
      await table.waitFor();
      const cell = (address: string, label: string) =>
        table.locator(`tr[data-address="${address}"] td[data-label="${label}"]`).textContent();
      expect(await table.locator('caption').textContent()).toContain('0 waiting for a signer');
      expect(await table.locator('tbody tr').count()).toBe(2);
      expect(await cell(a, 'Address')).toBe(a);
      expect(await cell(a, 'Balance (ETH)')).toBe(formatEther(await chain.getBalance({ address: a })));
      expect(await cell(a, 'In flight / cap')).toBe('0 / 16');
      expect(await cell(a, 'Next nonce')).toBe('2');
      expect(await cell(a, 'Mined nonce')).toBe('2');
      expect(await cell(a, 'Health')).toBe('healthy');
      expect(await cell(b, 'Balance (ETH)')).toBe('0.25');
      expect(await cell(b, 'Next nonce')).toBe('1');
      expect(await cell(b, 'Mined nonce')).toBe('1');
      await expect
        .poll(() => cell(b, 'Health'))
        .toMatch(/^not healthy its balance 250000000000000000 wei is below LOW_BALANCE_WEI/);
      expect(await table.locator('caption').textContent()).toContain('1 not healthy');
      // In the header, B is marked, A not.
      const headerBalance = (address: string) =>
        page.locator(`header.top .balance-chain[data-chain="31337"] li.balance[data-address="${address}"]`);
      expect(await headerBalance(b).locator('.balance-unhealthy').textContent()).toBe('not healthy');
      expect(await headerBalance(b).locator('.balance-eth').textContent()).toBe('0.25 ETH');
      expect(await headerBalance(a).getAttribute('class')).toBe('balance');
      await page.screenshot({ path: `${shots}/signers-laptop.png` });

      // Refreshed with the list: one in flight while no block is mined, then mined.
      await anvil.setAutomine(false);
      try {
        const held = await submit({ to, value: '24', from: a }, pooled);
        await eventually(
          async () => ((await statusOf(held, pooled)) === 'success' ? true : undefined),
          30_000,
          'success',
        );
        await expect.poll(() => cell(a, 'In flight / cap'), { timeout: 10_000 }).toBe('1 / 16');
        expect(await cell(a, 'Next nonce')).toBe('3');
        expect(await cell(a, 'Mined nonce')).toBe('2');
        // The header: what the held transaction may still spend of A's balance, as the API counts it.
        const open: string = await eventually(
          async () => {
            const view: SignersView = (await request(pooled, 'GET', '/admin/signers', undefined, admin)).body;
            const spend = view.chains[0]?.signers.find((s) => s.address === a)?.openSpend;
            return spend && spend !== '0' ? spend : undefined;
          },
          10_000,
          'an open spend for A',
        );
        await expect
          .poll(() => headerBalance(a).locator('.balance-open').textContent(), { timeout: 10_000 })
          .toBe(`open ${formatEther(BigInt(open))} ETH`);
        fromA.push(held);
      } finally {
        await anvil.setAutomine(true);
        await anvil.mine({ blocks: 1 });
      }
      await expect.poll(() => cell(a, 'In flight / cap'), { timeout: 10_000 }).toBe('0 / 16');
      expect(await cell(a, 'Mined nonce')).toBe('3');
      await expect.poll(() => headerBalance(a).locator('.balance-open').textContent()).toBe('open 0 ETH');

      // The filter: a select of the pool's addresses; one of them lists only its transactions, with its counts.
      const signerFilter = page.getByLabel('Signer', { exact: true });
      expect(await signerFilter.locator('option').allTextContents()).toEqual(['any signer', a, b]);
      await expect.poll(() => page.locator('tr[data-id]').count()).toBe(4);
      await signerFilter.selectOption(b);
      await expect.poll(() => page.locator('tr[data-id]').count()).toBe(1);
      expect(await page.locator('tr[data-id]').first().getAttribute('data-id')).toBe(fromB);
      await expect.poll(() => page.locator('.count-all .count-value').textContent()).toBe('1');
      await page.screenshot({ path: `${shots}/signer-filter-laptop.png` });
      await signerFilter.selectOption(a);
      await expect.poll(() => page.locator('tr[data-id]').count()).toBe(3);
      expect(
        new Set(await page.locator('tr[data-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')))),
      ).toEqual(new Set(fromA));
      await expect.poll(() => page.locator('.count-all .count-value').textContent()).toBe('3');
      await signerFilter.selectOption('');
      await expect.poll(() => page.locator('tr[data-id]').count()).toBe(4);
      await context.close();

      // At phone width each signer is a card, its cells labelled; nothing scrolls sideways.
      const phoneContext = await browser.newContext({ viewport: phone, isMobile: true, hasTouch: true });
      const phonePage = await openPage(phoneContext, problems, pooled);
      await signIn(phonePage, testTokens.admin);
      const phoneTable = phonePage.locator('table.signers-table');
      await phoneTable.locator(`tr[data-address="${b}"]`).waitFor();
      expect(await phoneTable.locator('thead').isVisible()).toBe(false);
      expect(await phonePage.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(phone.width);
      await phonePage.screenshot({ path: `${shots}/signers-phone.png` });
      await phoneContext.close();
    } finally {
      await pooled.stop();
    }
  });

  it('shows a transaction’s events with each webhook’s delivery in the panel, an error line when they cannot be read, and each signer’s balance and open spend in the header', async () => {
    const id = await submit({ to, value: '5' });
    await eventually(async () => ((await statusOf(id)) === 'confirmed' ? true : undefined), 30_000, 'confirmed');

    // The events, the callback URL and `openSpend` are set by the test, over the runner's own answers: the
    // page must show any the API may give, hostile text included. A callback URL with a bidi override, a
    // receiver's answer with one and 300 characters without a space, and one delivery sent elsewhere.
    const callbackUrl = 'https://hooks.example/tx\u202e?a=1';
    const events = [
      {
        id: `evt_${id}_1`,
        sequence: 1,
        type: 'transaction.success',
        at: '2026-05-01T10:00:01.000Z',
        delivery: {
          url: callbackUrl,
          state: 'delivered',
          attempts: 1,
          lastAnswer: { at: '2026-05-01T10:00:02.000Z', status: 200, excerpt: 'ok', error: null },
          nextAttemptAt: null,
          deliveredAt: '2026-05-01T10:00:02.000Z',
        },
      },
      {
        id: `evt_${id}_2`,
        sequence: 2,
        type: 'transaction.mined',
        at: '2026-05-01T10:00:03.000Z',
        delivery: {
          url: callbackUrl,
          state: 'retrying',
          attempts: 3,
          lastAnswer: {
            at: '2026-05-01T10:01:00.000Z',
            status: 503,
            excerpt: `busy\u202e later ${'x'.repeat(300)}`,
            error: 'status 503',
          },
          nextAttemptAt: '2026-05-01T10:05:00.000Z',
          deliveredAt: null,
        },
      },
      {
        id: `evt_${id}_3`,
        sequence: 3,
        type: 'transaction.confirmed',
        at: '2026-05-01T10:00:09.000Z',
        delivery: {
          url: 'https://old.example/hook',
          state: 'failed',
          attempts: 11,
          lastAnswer: {
            at: '2026-05-01T11:00:00.000Z',
            status: null,
            excerpt: null,
            error: 'connect ECONNREFUSED 203.0.113.7:443',
          },
          nextAttemptAt: null,
          deliveredAt: null,
        },
      },
      { id: `evt_${id}_4`, sequence: 4, type: 'transaction.stuck', at: '2026-05-01T10:00:10.000Z', delivery: null },
    ];
    /** What the events route answers now: the events, or a 500. */
    let eventsAnswer: 'events' | 'error' = 'error';
    /** The openSpend and health the test gives the signers the runner reports, from its balance. */
    let spend: (balance: bigint) => { openSpend: string; healthy?: boolean; why?: string } = () => ({
      openSpend: '21000000000000',
    });
    const shown: { balance: string; address: string }[] = [];
    const calls = { list: 0, signers: 0, events: [] as { url: string; authorization: string | undefined }[] };

    // The reader's time zone is UTC, so the times shown can be written here.
    const context = await browser.newContext({ viewport: laptop, timezoneId: 'UTC' });
    await context.route('**/transactions/*/events', async (route) => {
      calls.events.push({ url: route.request().url(), authorization: route.request().headers().authorization });
      if (eventsAnswer === 'error') {
        await route.fulfill({
          status: 500,
          json: { error: { code: 'internal', message: 'the events could not be read\u202e now' } },
        });
      } else await route.fulfill({ json: { items: events } });
    });
    await context.route(`${runner.url}/transactions/${id}`, async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, json: { ...(await res.json()), callbackUrl } });
    });
    await context.route('**/admin/signers', async (route) => {
      const res = await route.fetch();
      const view: SignersView = await res.json();
      calls.signers += 1;
      shown.length = 0;
      for (const chain of view.chains) {
        chain.signers = chain.signers.map((row) => {
          shown.push({ balance: row.balance ?? '', address: row.address });
          return { ...row, ...spend(BigInt(row.balance ?? '0')) };
        });
      }
      await route.fulfill({ response: res, json: view });
    });
    const heard: string[] = [];
    const page = await openPage(context, heard);
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/transactions') calls.list += 1;
    });
    await signIn(page, testTokens.admin);
    await page.locator(`tr[data-id="${id}"]`).waitFor();

    // The header: per chain, each signer's balance and what its open transactions may still spend of it.
    const header = page.locator('header.top');
    const chainLine = header.locator('.balances .balance-chain[data-chain="31337"]');
    await chainLine.waitFor();
    expect(await chainLine.locator('.balance-chain-name').textContent()).toBe('Chain 31337');
    const signer = shown[0]?.address ?? '';
    const balance = chainLine.locator(`li.balance[data-address="${signer}"]`);
    await expect
      .poll(async () => (await balance.locator('.balance-eth').textContent())?.trim())
      .toBe(`${formatEther(BigInt(shown[0]?.balance ?? ''))} ETH`);
    expect((await balance.locator('.balance-open').textContent())?.trim()).toBe('open 0.000021 ETH');
    expect(await balance.getAttribute('class')).toBe('balance');
    expect(await balance.locator('.balance-flag').count()).toBe(0);

    // The panel: opened on a transaction whose events cannot be read, it shows the transaction and a line that says so.
    await page.locator(`tr[data-id="${id}"] button`).click();
    const panel = page.locator('aside.detail');
    const section = panel.locator('section.events');
    await section.locator('.events-error').waitFor();
    expect(await section.locator('.events-error').textContent()).toBe('the events could not be read\\u202E now');
    expect(await panel.locator('dl.receipt').isVisible()).toBe(true);
    expect(await panel.locator('.detail-head .status-confirmed').count()).toBe(1);
    expect(await section.locator('.webhook-event').count()).toBe(0);
    await page.screenshot({ path: `${shots}/detail-events-error-laptop.png` });
    await page.keyboard.press('Escape');
    await expect.poll(() => panel.count()).toBe(0);

    // Opened again, the events are read with it: with the admin token, from transactions/{id}/events.
    eventsAnswer = 'events';
    calls.events.length = 0;
    await page.locator(`tr[data-id="${id}"] button`).click();
    const items = section.locator('li.webhook-event');
    await expect.poll(() => items.count()).toBe(4);
    expect(calls.events[0]).toEqual({
      url: `${runner.url}/transactions/${id}/events`,
      authorization: `Bearer ${testTokens.admin}`,
    });
    expect(await section.locator('h3').textContent()).toBe('Events (4)');
    expect(await section.locator('.callback').textContent()).toBe('Posted to https://hooks.example/tx\\u202E?a=1');
    const item = (sequence: number) => section.locator(`li.webhook-event[data-sequence="${sequence}"]`);
    const text = async (sequence: number) => (await item(sequence).textContent())?.replace(/\s+/g, ' ').trim();

    expect(await item(1).locator('.event-sequence').textContent()).toBe('#1');
    expect(await item(1).locator('.event-type').textContent()).toBe('transaction.success');
    expect(await item(1).locator('.status-success:not(.delivery)').count()).toBe(1);
    expect(await item(1).locator('time').first().getAttribute('datetime')).toBe('2026-05-01T10:00:01.000Z');
    expect(await item(1).locator('.event-webhook-id').textContent()).toBe(`evt_${id}_1`);
    expect(await item(1).locator('.delivery').textContent()).toBe('delivered');
    expect(await text(1)).toContain('1 attempt · delivered 2026-05-01 10:00:02');
    expect(await item(1).locator('.delivery-answer').textContent()).toBe('last answer 2026-05-01 10:00:02: HTTP 200');

    expect(await item(2).locator('.delivery').textContent()).toBe('retrying');
    expect(await text(2)).toContain('transaction.mined 2026-05-01 10:00:03');
    expect(await text(2)).toContain('3 attempts · next attempt 2026-05-01 10:05:00');
    expect(await item(2).locator('.delivery-answer').textContent()).toBe(
      'last answer 2026-05-01 10:01:00: HTTP 503 status 503',
    );
    expect(await item(2).locator('.delivery-excerpt').textContent()).toBe(`busy\\u202E later ${'x'.repeat(300)}`);

    expect(await item(3).locator('.delivery').textContent()).toBe('failed');
    expect(await text(3)).toContain('11 attempts');
    expect(await text(3)).toContain('to https://old.example/hook');
    expect(await item(3).locator('.delivery-answer').textContent()).toBe(
      'last answer 2026-05-01 11:00:00: no HTTP status connect ECONNREFUSED 203.0.113.7:443',
    );
    expect(await item(4).locator('.delivery-none').textContent()).toBe('not posted yet');

    // What the API sent is text: no override applied, nothing wider than the panel.
    expect(await panel.textContent()).not.toContain('\u202e');
    expect(await panel.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    await section.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${shots}/detail-events-laptop.png` });

    // A delivery still retried keeps the panel reading; a read that fails now is a line above the events last read.
    eventsAnswer = 'error';
    await section.locator('.events-error').waitFor({ timeout: 10_000 });
    expect(await items.count()).toBe(4);
    expect(await panel.locator('dl.receipt').isVisible()).toBe(true);

    // The header again, from the same reads of the signers: short when the balance does not cover what the
    // open transactions may still spend, and marked when the signer is not healthy.
    spend = (b) => ({ openSpend: (b + parseEther('0.5')).toString() });
    await expect.poll(() => balance.locator('.balance-short').count(), { timeout: 10_000 }).toBe(1);
    expect(await balance.locator('.balance-short').textContent()).toBe('short by 0.5 ETH');
    expect(await balance.getAttribute('class')).toBe('balance balance-warn');
    spend = () => ({ openSpend: '0', healthy: false, why: 'its balance is below LOW_BALANCE_WEI\u202e' });
    await expect.poll(() => balance.locator('.balance-unhealthy').count(), { timeout: 10_000 }).toBe(1);
    expect(await balance.locator('.balance-short').count()).toBe(0);
    expect(await balance.locator('.balance-unhealthy').textContent()).toBe('not healthy');
    expect(await balance.locator('.balance-unhealthy').getAttribute('title')).toBe(
      'its balance is below LOW_BALANCE_WEI\\u202E',
    );
    expect(await balance.getAttribute('class')).toBe('balance balance-warn');
    await page.screenshot({ path: `${shots}/header-balances-laptop.png` });
    // The header shows the signers the page already reads with the list: no second poll of them.
    expect(calls.signers).toBeGreaterThan(2);
    expect(calls.signers).toBeLessThanOrEqual(calls.list + 1);
    await context.close();

    // The refusals the browser logged are the 500s this test answered, and nothing else.
    expect(heard.length).toBeGreaterThan(0);
    for (const line of heard) {
      expect(line).toMatch(/^error: Failed to load resource: the server responded with a status of 500/);
    }
  });

  it('says so in a banner while the service is not configured, and drops it once it is', async () => {
    const context = await browser.newContext({ viewport: laptop });
    // The browser logs the 503 below as a failed load: heard here, not among the page's problems.
    const heard: string[] = [];
    const page = await openPage(context, heard);
    // A fresh stack's answer (the local runner is always configured): GET /admin/health's configuration check.
    const missing =
      'not configured: CHAINS_SECRET_ARN: the secret arn:aws:secretsmanager:eu-west-1:1:secret:Chains holds no RPC URLs yet';
    await page.route('**/admin/health', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ ok: false, checks: { table: 'ok', configuration: missing } }),
      }),
    );
    await signIn(page, testTokens.admin);
    const banner = page.locator('.unconfigured');
    await expect.poll(() => banner.textContent()).toContain('Not configured yet');
    await expect.poll(() => banner.textContent()).toContain('holds no RPC URLs yet');
    // The list still loads: only new transactions wait for the configuration.
    await expect.poll(() => page.locator('.live').textContent()).toContain('updated');
    // Configured: the next refresh reads the runner's real answer, and the banner goes.
    await page.unroute('**/admin/health');
    await expect.poll(() => banner.count(), { timeout: 15_000 }).toBe(0);
    expect(heard.filter((h) => !/status of 503/.test(h))).toEqual([]);
    await context.close();
  });

  it('the console listeners hear a CSP violation', async () => {
    const context = await browser.newContext({ viewport: laptop });
    const heard: string[] = [];
    const page = await openPage(context, heard);
    // connect-src 'self': a call to another origin is refused by the page's policy before it leaves.
    await page.evaluate(() => fetch('http://127.0.0.2:9/').catch(() => undefined));
    const violation = /violates the following Content Security Policy directive/;
    await expect.poll(() => heard.join('\n')).toMatch(violation);
    watched.heardViolation = true;
    await context.close();
  });

  it('said nothing in the console: no CSP violation, no error', () => {
    // The listeners ran: pages were opened with them on, each one's load was seen, and they can hear a violation.
    expect(watched.opened).toBeGreaterThan(0);
    expect(watched.loaded).toBe(watched.opened);
    expect(watched.heardViolation).toBe(true);
    expect(problems).toEqual([]);
  });
});
