import type { ChainSigners, SignerRow, SignersView } from '../../functions/lib/transactions/listing.ts';
import { balanceShortfall } from './balanceShortfall.ts';
import { formatEth, revealedText, shortHex } from './format.ts';
import { html } from './html.ts';

const openMeaning =
  'what its open transactions may still spend: the value plus gas × max fee of each one not yet mined';
const eth = (wei: string) => `${formatEth(wei)} ETH`;
/** A space between two parts of a line: htm drops the whitespace of a line break. */
const gap = ' ';

/** One signer: its balance, what its open transactions may still spend of it, and a flag when it lacks for them or is not healthy. */
function Balance({ row }: { row: SignerRow }) {
  // An API from before `openSpend` gives none: as unknown.
  const openSpend = row.openSpend ?? null;
  const short = balanceShortfall({ balance: row.balance, openSpend });
  const unhealthy = row.healthy === false;
  return html`
    <li
      class=${short !== undefined || unhealthy ? 'balance balance-warn' : 'balance'}
      data-address=${row.address}
    >
      <span class="balance-address mono" title=${row.address}>${shortHex(row.address)}</span>${gap}
      <span class="balance-eth" title=${row.balance === null ? 'the chain did not give it' : `${row.balance} wei`}>
        ${row.balance === null ? 'balance unknown' : eth(row.balance)}
      </span>${gap}
      <span class="balance-open" title=${openSpend === null ? openMeaning : `${openMeaning}: ${openSpend} wei`}>
        ${openSpend === null ? 'open: unknown' : `open ${eth(openSpend)}`}
      </span>
      ${short === undefined ? null : html`${gap}<span class="balance-flag balance-short" title="its balance minus what its open transactions may still spend is below zero">short by ${eth(short.toString())}</span>`}
      ${unhealthy ? html`${gap}<span class="balance-flag balance-unhealthy" title=${revealedText(row.why ?? '')}>not healthy</span>` : null}
    </li>
  `;
}

function ChainBalances({ chain }: { chain: ChainSigners }) {
  return html`
    <div class="balance-chain" data-chain=${chain.chainId}>
      <span class="balance-chain-name">Chain ${chain.chainId}</span>
      <ul>
        ${chain.signers.map((row) => html`<${Balance} key=${row.address} row=${row} />`)}
      </ul>
    </div>
  `;
}

/**
 * The header's line of balances: per chain, each signer's balance and what its open transactions may
 * still spend of it, flagged when the balance does not cover that or the signer is not healthy. It shows
 * the signers view the page already reads with the list; nothing until the first answer.
 */
export function SignerBalances({ view }: { view: SignersView | undefined }) {
  if (!view || view.chains.length === 0) return null;
  return html`
    <section class="balances" aria-label="Signer balances">
      ${view.chains.map((chain) => html`<${ChainBalances} key=${chain.chainId} chain=${chain} />`)}
    </section>
  `;
}
