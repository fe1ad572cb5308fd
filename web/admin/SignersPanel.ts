import type { ChainSigners, SignersView } from '../../functions/lib/transactions/listing.ts';
import { formatEth } from './format.ts';
import { html } from './html.ts';
import { Revealed } from './Revealed.ts';

const dash = html`<span class="muted">—</span>`;
const orDash = (n: number | null) => (n === null ? dash : n);

/** One chain's signers: address, balance in ETH, in flight of the cap, next and mined nonce, health. */
function ChainTable({ chain }: { chain: ChainSigners }) {
  const unhealthy = chain.signers.filter((s) => s.healthy === false).length;
  return html`
    <div class="table-wrap">
      <table class="signers-table" data-chain=${chain.chainId}>
        <caption>
          ${`Chain ${chain.chainId} · `}<span class="waiting">${chain.waiting} waiting for a signer</span>${
            unhealthy > 0 ? html`${' · '}<span class="unhealthy">${unhealthy} not healthy</span>` : null
          }
        </caption>
        <thead>
          <tr>
            <th scope="col">Address</th>
            <th scope="col" class="num">Balance (ETH)</th>
            <th scope="col" class="num">In flight / cap</th>
            <th scope="col" class="num">Next nonce</th>
            <th scope="col" class="num">Mined nonce</th>
            <th scope="col">Health</th>
          </tr>
        </thead>
        <tbody>
          ${chain.signers.map(
            (s) => html`
              <tr key=${s.address} data-address=${s.address}>
                <td data-label="Address" class="mono">${s.address}</td>
                <td data-label="Balance (ETH)" class="num mono" title=${s.balance === null ? '' : `${s.balance} wei`}>
                  ${s.balance === null ? dash : formatEth(s.balance)}
                </td>
                <td data-label="In flight / cap" class="num">${orDash(s.inFlight)} / ${s.cap}</td>
                <td data-label="Next nonce" class="num mono">${orDash(s.next)}</td>
                <td data-label="Mined nonce" class="num mono">${orDash(s.mined)}</td>
                <td data-label="Health">
                  ${
                    s.healthy === null
                      ? dash
                      : s.healthy
                        ? html`<span class="health health-ok">healthy</span>`
                        : html`<span class="health health-bad">not healthy</span> <span class="why"><${Revealed} text=${s.why} /></span>`
                  }
                </td>
              </tr>
            `,
          )}
        </tbody>
      </table>
      ${chain.error ? html`<p class="error chain-error"><${Revealed} text=${chain.error} /></p>` : null}
    </div>
  `;
}

/**
 * The signer pool on each chain, read with the list: where each signer stands, and how many of the
 * chain's transactions wait for one. Collapsible, so the list stays in reach when the pool is large.
 */
export function SignersPanel(props: { view: SignersView | undefined; error: string | undefined }) {
  const { view, error } = props;
  return html`
    <details class="signers" open>
      <summary><h2>Signers</h2></summary>
      ${error ? html`<p class="error"><${Revealed} text=${error} /></p>` : null}
      ${view ? view.chains.map((chain) => html`<${ChainTable} key=${chain.chainId} chain=${chain} />`) : error ? null : html`<p class="muted">loading…</p>`}
    </details>
  `;
}

/** The pool's addresses, in its order, for the signer filter (every chain has the same pool). */
export function poolOf(view: SignersView | undefined): string[] {
  return [...new Set(view?.chains.flatMap((c) => c.signers.map((s) => s.address)) ?? [])];
}
