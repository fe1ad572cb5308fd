import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { TransactionEvent } from '../../functions/lib/transactions/events.ts';
import type { listLimits, SignersView } from '../../functions/lib/transactions/listing.ts';
import type { TransactionView } from '../../functions/lib/transactions/model.ts';
import { isTerminal, type Status } from '../../functions/lib/transactions/status.ts';
import { CancelDialog } from './CancelDialog.ts';
import { CountsBar } from './CountsBar.ts';
import { AdminApiError, createAdminClient } from './createAdminClient.ts';
import { DetailPanel } from './DetailPanel.ts';
import { type FilterState, Filters } from './Filters.ts';
import { FindById } from './FindById.ts';
import { formatTime } from './format.ts';
import { html } from './html.ts';
import { cancelOutcome } from './lifecycle.ts';
import { RebroadcastDialog } from './RebroadcastDialog.ts';
import { Revealed } from './Revealed.ts';
import { SignerBalances } from './SignerBalances.ts';
import { poolOf, SignersPanel } from './SignersPanel.ts';
import { TokenForm } from './TokenForm.ts';
import { TransactionTable } from './TransactionTable.ts';
import { resolveRange } from './timeRanges.ts';

const tokenKey = 'broadcaster.adminToken';
/** How often the list, and an open transaction, are read again while the tab is visible. */
const refreshMs = 2500;
/**
 * How many reads a final transaction's panel waits for a delivery not tried yet (30 s): a webhook is
 * posted moments after its event, and a notifier that is off must not keep the panel reading forever.
 */
const untriedReadsMax = 12;
// The API's limits, checked against its own by type: importing the value would bring zod into the page.
const limits: typeof listLimits = { default: 50, max: 200 };

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The admin page: the token once per tab, then the list with counts and filters and the signer pool,
 * refreshed while the tab is visible, a detail panel for one transaction, the rebroadcast of a failed
 * one and the cancel of one not yet mined.
 */
export function App() {
  const [token, setToken] = useState<string | undefined>(() => sessionStorage.getItem(tokenKey) ?? undefined);
  const [verified, setVerified] = useState(false);
  const [authError, setAuthError] = useState<string>();
  const client = useMemo(() => (token ? createAdminClient(token) : undefined), [token]);

  const [filter, setFilter] = useState<FilterState>({
    status: undefined,
    client: '',
    signer: '',
    range: 'all',
    from: '',
    to: '',
  });
  const [items, setItems] = useState<TransactionView[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const cursorRange = useRef<ReturnType<typeof resolveRange>>({});
  const [counts, setCounts] = useState<Record<Status, number>>();
  const [listError, setListError] = useState<string>();
  const [updatedAt, setUpdatedAt] = useState<Date>();
  const [loadingMore, setLoadingMore] = useState(false);
  const [signers, setSigners] = useState<SignersView>();
  const [signersError, setSignersError] = useState<string>();

  const [selected, setSelected] = useState<string>();
  const [detail, setDetail] = useState<TransactionView>();
  const [detailError, setDetailError] = useState<string>();
  /** The open transaction's events, read with it; kept when a later read of them fails. */
  const [events, setEvents] = useState<TransactionEvent[]>();
  const [eventsError, setEventsError] = useState<string>();
  /** The confirmation open, if any. */
  const [confirming, setConfirming] = useState<'rebroadcast' | 'cancel'>();
  const [sending, setSending] = useState(false);
  const [sendError, setSendError] = useState<string>();
  const [notice, setNotice] = useState<string>();

  /**
   * How many index entries the rows shown were read from (each page reads `limit` of them, and a page
   * filtered after the read, by signer or by status within a client, shows fewer): a refresh reads as
   * many again, so "load older" survives it.
   */
  const covered = useRef(0);
  /** Bumped when the filter changes, so an answer to the old filter is dropped. */
  const generation = useRef(0);

  const forget = useCallback((message?: string) => {
    sessionStorage.removeItem(tokenKey);
    setToken(undefined);
    setVerified(false);
    setAuthError(message);
    setItems([]);
    setCounts(undefined);
    setSelected(undefined);
  }, []);

  const failed = useCallback(
    (error: unknown, show: (message: string) => void) => {
      if (error instanceof AdminApiError && error.auth) forget(error.message);
      else show(messageOf(error));
    },
    [forget],
  );

  // Read once when the token is set, and again while it says so: a fresh stack takes nothing until configured.
  const [unconfigured, setUnconfigured] = useState<string | undefined>(undefined);
  const checkedConfiguration = useRef(false);
  const refreshConfiguration = useCallback(async () => {
    if (!client || (checkedConfiguration.current && unconfigured === undefined)) return;
    checkedConfiguration.current = true;
    try {
      setUnconfigured(await client.unconfigured());
    } catch {
      // The list's own read shows what is wrong with the API.
    }
  }, [client, unconfigured]);

  const refreshSigners = useCallback(async () => {
    if (!client) return;
    try {
      setSigners(await client.signers());
      setSignersError(undefined);
    } catch (error) {
      failed(error, setSignersError);
    }
  }, [client, failed]);

  const refresh = useCallback(async () => {
    if (!client) return;
    const gen = generation.current;
    void refreshSigners();
    void refreshConfiguration();
    try {
      const range = resolveRange(filter.range, filter);
      const limit = Math.min(limits.max, Math.max(limits.default, covered.current));
      const page = await client.list(
        { status: filter.status, client: filter.client, signer: filter.signer, ...range },
        { limit },
      );
      if (gen !== generation.current) return;
      cursorRange.current = range;
      sessionStorage.setItem(tokenKey, token ?? '');
      setVerified(true);
      setItems(page.items);
      covered.current = limit;
      setCursor(page.cursor);
      if (page.counts) setCounts(page.counts);
      setListError(undefined);
      setUpdatedAt(new Date());
    } catch (error) {
      if (gen === generation.current) failed(error, setListError);
    }
  }, [client, filter, token, failed, refreshSigners, refreshConfiguration]);

  const loadOlder = useCallback(async () => {
    if (!client || !cursor) return;
    const gen = generation.current;
    setLoadingMore(true);
    try {
      // The range the cursor was made in: a relative range ("last 15 minutes") has moved on since.
      const page = await client.list(
        { status: filter.status, client: filter.client, signer: filter.signer, ...cursorRange.current },
        { cursor, limit: limits.default },
      );
      if (gen !== generation.current) return;
      covered.current += limits.default;
      setItems((current) => {
        const seen = new Set(current.map((t) => t.id));
        return [...current, ...page.items.filter((t) => !seen.has(t.id))];
      });
      setCursor(page.cursor);
    } catch (error) {
      failed(error, setListError);
    } finally {
      setLoadingMore(false);
    }
  }, [client, cursor, filter, failed]);

  // A new filter starts from its first page; then the list is read again while the tab is visible.
  useEffect(() => {
    generation.current++;
    covered.current = 0;
    void refresh();
    const timer = setInterval(() => {
      if (!document.hidden) void refresh();
    }, refreshMs);
    const onVisible = () => {
      if (!document.hidden) void refresh();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [refresh]);

  // The open transaction and its events are read at once, then again until its outcome is known and its
  // webhooks are done: none still retried, and (for a while) none of a callback URL still untried, as its
  // last event's is when it has just become final. A failed read of the events leaves the transaction shown.
  useEffect(() => {
    // Another transaction's events are not shown under this one, even for a moment.
    setEvents(undefined);
    setEventsError(undefined);
    if (!client || !selected) return;
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let untriedReads = untriedReadsMax;
    const read = async () => {
      const [got, listed] = await Promise.allSettled([client.get(selected), client.events(selected)]);
      if (stop) return;
      const items = listed.status === 'fulfilled' ? listed.value.items : [];
      if (listed.status === 'fulfilled') {
        setEvents(items);
        setEventsError(undefined);
      } else {
        failed(listed.reason, setEventsError);
      }
      if (got.status === 'fulfilled') {
        const tx = got.value;
        setDetail(tx);
        setDetailError(undefined);
        if (isTerminal(tx.status) && (tx.status !== 'failed' || tx.rebroadcastAs)) {
          const retrying = items.some((e) => e.delivery?.state === 'retrying');
          const untried = Boolean(tx.callbackUrl) && items.some((e) => e.delivery === null);
          if (!retrying && !(untried && untriedReads > 0)) return;
          if (!retrying) untriedReads--;
        }
      } else {
        const error: unknown = got.reason;
        failed(error, setDetailError);
        // An id that names nothing will not start to: stop asking.
        if (error instanceof AdminApiError && error.status === 404) return;
      }
      timer = setTimeout(read, refreshMs);
    };
    void read();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [client, selected, failed]);

  const open = useCallback(
    (id: string) => {
      setSelected(id);
      setDetail(items.find((t) => t.id === id));
      setDetailError(undefined);
      setNotice(undefined);
    },
    [items],
  );

  const close = useCallback(() => {
    const id = selected;
    setSelected(undefined);
    setDetail(undefined);
    // Back to the row the panel was opened from, for keyboard users.
    requestAnimationFrame(() => {
      const row = id ? document.querySelector(`tr[data-id="${CSS.escape(id)}"] button`) : null;
      if (row instanceof HTMLElement) row.focus();
    });
  }, [selected]);

  /** Runs a confirmed action on the open transaction: the dialog shows it sending, closes on success, keeps an error. */
  const act = useCallback(
    async (run: (id: string) => Promise<void>) => {
      if (!client || !detail) return;
      setSending(true);
      setSendError(undefined);
      try {
        await run(detail.id);
        setConfirming(undefined);
        void refresh();
      } catch (error) {
        failed(error, setSendError);
      } finally {
        setSending(false);
      }
    },
    [client, detail, refresh, failed],
  );

  const rebroadcast = useCallback(
    () =>
      act(async (id) => {
        if (!client) return;
        const { tx, created } = await client.rebroadcast(id);
        setNotice(
          created ? `Sent again as transaction ${tx.id}.` : `It had been sent again already, as transaction ${tx.id}.`,
        );
        setSelected(tx.id);
        setDetail(tx);
      }),
    [act, client],
  );

  // 200: canceled (now or before); 202: on its way, and the panel goes on reading it. 409 stays in the dialog.
  const cancel = useCallback(
    () =>
      act(async (id) => {
        if (!client) return;
        const { tx, final } = await client.cancel(id);
        const name = tx.id.slice(0, 8);
        setNotice(
          final
            ? `Transaction ${name}: ${cancelOutcome(tx)}.`
            : `Cancel asked for transaction ${name}: ${cancelOutcome(tx)}. The panel follows it.`,
        );
        setDetail(tx);
      }),
    [act, client],
  );

  if (!token || !verified) {
    return html`<${TokenForm}
      error=${authError}
      checking=${Boolean(token) && !authError}
      onSubmit=${(t: string) => {
        setAuthError(undefined);
        setToken(t);
      }}
    />`;
  }

  return html`
    <div class=${selected ? 'app with-detail' : 'app'}>
      <header class="top">
        <h1>Transactions</h1>
        <p class="live" title="The list is read again every few seconds while this tab is visible">
          <span class="dot" aria-hidden="true"></span>
          ${updatedAt ? `live · updated ${formatTime(updatedAt.toISOString()).slice(11)}` : 'loading…'}
        </p>
        <button type="button" class="link" onClick=${() => forget()}>Forget token</button>
        <${SignerBalances} view=${signers} />
      </header>
      <main>
        ${
          unconfigured
            ? html`<p class="error unconfigured" role="alert">
                <strong>Not configured yet: no transaction is taken.</strong> <${Revealed} text=${unconfigured} />
              </p>`
            : null
        }
        <${SignersPanel} view=${signers} error=${signersError} />
        <${CountsBar} counts=${counts} active=${filter.status} onPick=${(status: Status | undefined) => setFilter({ ...filter, status })} />
        <div class="toolbar">
          <${Filters} value=${filter} signers=${poolOf(signers)} onChange=${setFilter} />
          <${FindById} onOpen=${open} />
        </div>
        <div aria-live="polite">
          ${notice ? html`<p class="notice">${notice}</p>` : null}
          ${listError ? html`<p class="error"><${Revealed} text=${listError} /></p>` : null}
        </div>
        ${
          items.length === 0 && updatedAt
            ? html`<p class="empty">No transactions match these filters.</p>`
            : html`<div class="table-wrap"><${TransactionTable} items=${items} selectedId=${selected} onOpen=${open} /></div>`
        }
        ${
          cursor
            ? html`<p class="more"><button type="button" onClick=${loadOlder} disabled=${loadingMore}>${loadingMore ? 'Loading…' : 'Load older'}</button></p>`
            : null
        }
      </main>
      ${
        selected
          ? html`<${DetailPanel}
              id=${selected}
              tx=${detail}
              error=${detailError}
              events=${events}
              eventsError=${eventsError}
              onClose=${close}
              onOpen=${open}
              onRebroadcast=${() => {
                setSendError(undefined);
                setConfirming('rebroadcast');
              }}
              onCancel=${() => {
                setSendError(undefined);
                setConfirming('cancel');
              }}
            />`
          : null
      }
      ${
        confirming && detail
          ? html`<${confirming === 'cancel' ? CancelDialog : RebroadcastDialog}
              tx=${detail}
              sending=${sending}
              error=${sendError}
              onConfirm=${confirming === 'cancel' ? cancel : rebroadcast}
              onCancel=${() => setConfirming(undefined)}
            />`
          : null
      }
    </div>
  `;
}
