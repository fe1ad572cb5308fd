import { createHash } from 'node:crypto';
import type { HttpResult } from '../http/respond.ts';
import { adminScript, adminStyle } from './adminPageAssets.generated.ts';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * Only this page's own inline script and stylesheet run (by hash, so nothing injected would), it
 * talks only to its own origin, and no other site may frame it.
 */
export const adminContentSecurityPolicy = [
  "default-src 'none'",
  `script-src ${sha256(adminScript)}`,
  `style-src ${sha256(adminStyle)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const body = [
  '<!doctype html>',
  '<html lang="en">',
  '<head>',
  '<meta charset="utf-8">',
  '<meta name="viewport" content="width=device-width, initial-scale=1">',
  '<meta name="referrer" content="no-referrer">',
  '<title>Transactions · broadcaster admin</title>',
  '<link rel="icon" href="data:,">',
  `<style>${adminStyle}</style>`,
  '</head>',
  '<body>',
  '<div id="app"><noscript>This page needs JavaScript.</noscript></div>',
  `<script>${adminScript}</script>`,
  '</body>',
  '</html>',
].join('\n');

/** `GET /admin`: the admin page, one HTML document with its script and style inline; it holds no data. */
export function adminPage(): HttpResult {
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': adminContentSecurityPolicy,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
    },
    body,
  };
}
