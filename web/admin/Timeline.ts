import type { Attempt, SignatureRecord, TransactionView } from '../../functions/lib/transactions/model.ts';
import { formatGwei, formatTime } from './format.ts';
import { html } from './html.ts';
import { kindLabel } from './lifecycle.ts';
import { Revealed } from './Revealed.ts';
import { StatusLabel } from './StatusLabel.ts';

/** One line of the timeline: a signature made, or an entry of the history (an attempt, or what the tracker saw). */
type Entry =
  | { kind: 'signed'; at: string; signature: SignatureRecord; role: 'mined' | 'latest' | undefined }
  | { kind: 'outcome'; at: string; entry: Attempt; block: number | undefined };

const atMs = (iso: string) => {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : ms;
};

/**
 * The signatures and the history of a transaction as one list in time order. A signature comes before
 * an entry of the same instant: what an attempt came to follows the bytes it sent. A `reorged` entry
 * names the block it lost, taken from the `mined` entry before it when it does not carry one.
 */
function timelineOf(tx: TransactionView): Entry[] {
  // The receipt names the signature mined: a canceled transaction's is its cancel transfer's.
  const mined = tx.receipt?.txHash;
  const signed: Entry[] = tx.hashes.map((signature) => ({
    kind: 'signed',
    at: signature.signedAt,
    signature,
    role: mined
      ? signature.txHash === mined
        ? 'mined'
        : undefined
      : signature.txHash === tx.txHash && tx.hashes.length > 1
        ? 'latest'
        : undefined,
  }));
  let lastBlock: number | undefined;
  const outcomes: Entry[] = tx.history.map((entry) => {
    const block = entry.blockNumber ?? (entry.outcome === 'reorged' ? lastBlock : undefined);
    if (entry.outcome === 'mined') lastBlock = entry.blockNumber;
    return { kind: 'outcome', at: entry.at, entry, block };
  });
  const merged: Entry[] = [];
  let s = 0;
  let o = 0;
  while (s < signed.length || o < outcomes.length) {
    const a = signed[s];
    const b = outcomes[o];
    if (a && (!b || atMs(a.at) <= atMs(b.at))) {
      merged.push(a);
      s++;
    } else if (b) {
      merged.push(b);
      o++;
    }
  }
  return merged;
}

/** What an entry of the history says beside its status, in words. */
function said(entry: Attempt, block: number | undefined): string {
  const inBlock = block === undefined ? 'in a block' : `in block ${block}`;
  switch (entry.outcome) {
    case 'success':
      return 'accepted by the node';
    case 'retrying':
      return 'it will be tried again';
    case 'failed':
      return 'it will not be sent again';
    case 'mined':
      return `mined ${inBlock}`;
    case 'confirmed':
      return `confirmed ${inBlock}, at the chain’s depth`;
    case 'reverted':
      return `reverted ${inBlock}, at the chain’s depth`;
    case 'reorged':
      return `its block${block === undefined ? '' : ` ${block}`} was reorged away; sent again`;
    case 'stuck':
      return 'at the chain’s fee cap: re-sent, not re-priced, until the market falls';
  }
}

/** A space between two parts of a line: htm drops the whitespace of a line break, and a reader must not hear them run together. */
const gap = ' ';

function Signed({ signature, role }: { signature: SignatureRecord; role: 'mined' | 'latest' | undefined }) {
  const kind = signature.kind ?? 'original';
  return html`
    <span class="event-kind">signed</span>${gap}
    <span class=${`tag sig-kind sig-${kind}`}>${kindLabel[kind]}</span>${gap}
    ${role ? html`<span class=${`tag tag-${role}`}>${role === 'mined' ? 'the one mined' : 'latest'}</span>` : null}${gap}
    <p class="event-line mono wrap">${signature.txHash}</p>
    ${kind === 'cancel' ? html`<p class="event-line muted">a zero-value transfer to the sender itself, same nonce</p>` : null}
    <p class="event-line">
      ${'max fee '}<span class="mono">${formatGwei(signature.maxFeePerGas)}</span>${' gwei · priority fee '}<span class="mono">${formatGwei(signature.maxPriorityFeePerGas)}</span>${' gwei'}
    </p>
  `;
}

/** The outcomes of an attempt to send; the others are what the tracker saw on chain, where an attempt number says nothing. */
const byBroadcaster = new Set<Attempt['outcome']>(['success', 'retrying', 'failed']);

function Outcome({ entry, block }: { entry: Attempt; block: number | undefined }) {
  return html`
    <${StatusLabel} status=${entry.outcome} />${gap}
    <span class="event-said">${said(entry, block)}</span>${gap}
    ${byBroadcaster.has(entry.outcome) ? html`<span class="muted">attempt ${entry.attempt}</span>` : null}${gap}
    ${entry.error ? html`<p class="event-line attempt-error"><${Revealed} text=${entry.error} /></p>` : null}
  `;
}

/**
 * Everything that happened to a transaction, in order: each signature (its kind, hash and fees in gwei)
 * and each entry of its history (an attempt's outcome, the block it was mined and confirmed in, a reorg,
 * a wait at the fee cap).
 */
export function Timeline({ tx }: { tx: TransactionView }) {
  const entries = timelineOf(tx);
  if (entries.length === 0) return html`<p class="muted">Nothing yet.</p>`;
  return html`
    <ol class="timeline">
      ${entries.map(
        (e) => html`
          <li class=${`event event-${e.kind}${e.kind === 'outcome' ? ` event-${e.entry.outcome}` : ''}`}>
            <time datetime=${e.at} title=${e.at}>${formatTime(e.at)}</time>${gap}
            ${
              e.kind === 'signed'
                ? html`<${Signed} signature=${e.signature} role=${e.role} />`
                : html`<${Outcome} entry=${e.entry} block=${e.block} />`
            }
          </li>
        `,
      )}
    </ol>
  `;
}
