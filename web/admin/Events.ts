import type {
  Delivery,
  DeliveryAnswer,
  TransactionEvent,
  TransactionEventType,
} from '../../functions/lib/transactions/events.ts';
import type { Attempt } from '../../functions/lib/transactions/model.ts';
import { formatTime, revealedText } from './format.ts';
import { html } from './html.ts';
import { Revealed } from './Revealed.ts';
import { StatusLabel } from './StatusLabel.ts';

// Each event is made from one entry of the history: it shows that entry's outcome as the timeline does.
// A type the events gain must be placed here, or this does not compile.
const outcomeOf: Record<TransactionEventType, Attempt['outcome']> = {
  'transaction.success': 'success',
  'transaction.retrying': 'retrying',
  'transaction.failed': 'failed',
  'transaction.mined': 'mined',
  'transaction.confirmed': 'confirmed',
  'transaction.reverted': 'reverted',
  'transaction.reorged': 'reorged',
  'transaction.stuck': 'stuck',
};

/** What each delivery state means: the label's title. */
/** A delivery's state in the colours of the status it resembles. */
const deliveryColour = { delivered: 'status-success', retrying: 'status-retrying', failed: 'status-failed' } as const;

const stateMeaning: Record<Delivery['state'], string> = {
  retrying: 'not answered with a 2xx yet: it is tried again, with a growing wait, until its attempts are spent',
  delivered: 'the receiver answered with a 2xx',
  failed: 'every attempt was spent without a 2xx: it is in the dead-letter queue, not tried again',
};

/** A space between two parts of a line: htm drops the whitespace of a line break. */
const gap = ' ';

/** An instant from the API; one that is not a date is shown as the text it is, escaped. */
const when = (iso: string) =>
  html`<time datetime=${iso} title=${revealedText(iso)}><${Revealed} text=${formatTime(iso)} /></time>`;

/** How the last attempt was answered: the receiver's status (or that none came), why it was not a 2xx, and the start of its body. */
function Answer({ answer }: { answer: DeliveryAnswer }) {
  return html`
    <p class="event-line delivery-answer">
      ${'last answer '}${when(answer.at)}${': '}
      <span class="delivery-status">${answer.status === null ? 'no HTTP status' : `HTTP ${answer.status}`}</span>
      ${answer.error ? html`${gap}<span class="attempt-error"><${Revealed} text=${answer.error} /></span>` : null}
    </p>
    ${answer.excerpt ? html`<p class="event-line delivery-excerpt mono wrap"><${Revealed} text=${answer.excerpt} /></p>` : null}
  `;
}

/** Where one event's delivery stands: its state, its attempts, when it arrived or is tried next, and its last answer. */
function DeliveryLines({ delivery, callbackUrl }: { delivery: Delivery; callbackUrl: string | null }) {
  const { state, attempts } = delivery;
  return html`
    <p class="event-line delivery-state">
      <span class=${`tag delivery ${deliveryColour[state]}`} title=${stateMeaning[state]}>${state}</span>${gap}
      <span class="delivery-attempts">${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}</span>
      ${state === 'delivered' && delivery.deliveredAt ? html`${' · delivered '}${when(delivery.deliveredAt)}` : null}
      ${state === 'retrying' && delivery.nextAttemptAt ? html`${' · next attempt '}<span class="delivery-next">${when(delivery.nextAttemptAt)}</span>` : null}
    </p>
    ${
      // Posted somewhere else than the transaction names now: say where.
      delivery.url !== callbackUrl
        ? html`<p class="event-line">to <span class="mono wrap"><${Revealed} text=${delivery.url} /></span></p>`
        : null
    }
    ${delivery.lastAnswer ? html`<${Answer} answer=${delivery.lastAnswer} />` : null}
  `;
}

/**
 * A transaction's events, oldest first, with where the callback URL is and how each event's webhook
 * delivery stands. Everything in them came through the API: it is shown as text, its invisible and
 * bidi characters as escapes. An error reading them is a line here, above the events last read.
 */
export function Events(props: {
  events: TransactionEvent[] | undefined;
  error: string | undefined;
  callbackUrl: string | null | undefined;
}) {
  const { events, error } = props;
  // An API from before webhooks gives no `callbackUrl`: as none.
  const callbackUrl = props.callbackUrl ?? null;
  return html`
    <section aria-labelledby="detail-events" class="events">
      <h3 id="detail-events">Events${events ? html` <span class="muted">(${events.length})</span>` : null}</h3>
      ${
        callbackUrl
          ? html`<p class="callback">Posted to <span class="mono wrap"><${Revealed} text=${callbackUrl} /></span></p>`
          : html`<p class="callback muted">No callback URL: its events are not posted.</p>`
      }
      ${error ? html`<p class="error events-error"><${Revealed} text=${error} /></p>` : null}
      ${
        !events
          ? error
            ? null
            : html`<p class="muted">Loading…</p>`
          : events.length === 0
            ? html`<p class="muted">None yet.</p>`
            : html`<ol class="webhook-events">
                ${events.map(
                  (e) => html`
                    <li key=${e.id} class="webhook-event" data-sequence=${e.sequence}>
                      <span class="event-sequence mono">#${e.sequence}</span>${gap}
                      <${StatusLabel} status=${outcomeOf[e.type]} />${gap}
                      <span class="event-type mono"><${Revealed} text=${e.type} /></span>${gap}
                      ${when(e.at)}
                      <p class="event-line event-webhook-id mono wrap small muted"><${Revealed} text=${e.id} /></p>
                      ${
                        e.delivery
                          ? html`<${DeliveryLines} delivery=${e.delivery} callbackUrl=${callbackUrl} />`
                          : html`<p class="event-line muted delivery-none">${callbackUrl ? 'not posted yet' : 'not posted'}</p>`
                      }
                    </li>
                  `,
                )}
              </ol>`
      }
    </section>
  `;
}
