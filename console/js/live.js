// Live updates, notify-then-fetch: a transport only says "something changed"; pages fetch what they show.
// The WebSocket transport (config.ws_url) hears the API's live events; polling is its fallback, and the
// transport when there is no socket. Both have start(notify) and stop().

/** Says "changed" every `intervalMs` (and once at start). */
export function pollingTransport(intervalMs) {
  let timer = null;
  return {
    name: 'polling',
    start(notify) {
      notify();
      timer = setInterval(notify, intervalMs);
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/**
 * Live events over the stack's WebSocket API (docs/console.md "Live events"): each event says only what
 * changed, so it is one "changed" for the pages, which re-fetch. The socket opens with the ID token as
 * `?token=` (browsers cannot set headers on a WebSocket). When it drops it reconnects with backoff (1 s,
 * doubling to 30 s, with jitter), catches up with `GET /v1/events?after=<last event_id>` and says "changed";
 * while it is down, and when it cannot open at all, polling keeps the pages fresh.
 *
 * `link(up)` tells the live channel whether the socket is up (the header says "reconnecting" while it is
 * not); after `giveUpAfter` failed attempts in a row the console counts as polling (`mode` 'polling') and
 * the header follows the fetches alone, while the socket keeps being retried at the slowest pace.
 *
 * While the socket is up, a quiet socket could also be a dead one (a half-open connection says nothing), so
 * every `checkMs` the transport asks `GET /v1/events?after=` — one small answer, usually empty — and
 * `report(ok)`s whether the API answered: the header can still say "stale since", and an event the socket
 * missed is caught.
 */
export function socketTransport({
  url,
  token,
  api,
  pollMs,
  checkMs = 5000,
  minDelayMs = 1000,
  maxDelayMs = 30000,
  giveUpAfter = 3,
  openTimeoutMs = 8000,
  debounceMs = 150,
  keepAliveMs = 5 * 60 * 1000,
  WebSocketImpl = globalThis.WebSocket,
  random = Math.random,
}) {
  let notify = () => {};
  let link = () => {};
  let report = () => {};
  let watch = null;
  let socket = null;
  let stopped = true;
  let failures = 0;
  let retry = null;
  let opening = null;
  let pending = null;
  let cursor = null;
  let keepAlive = null;
  const fallback = pollingTransport(pollMs);
  let polling = false;
  const self = {
    name: 'socket',
    mode: 'connecting',
    get cursor() {
      return cursor;
    },
    onLink(fn) {
      link = fn;
    },
    onReport(fn) {
      report = fn;
    },
    start(fn) {
      notify = fn;
      stopped = false;
      connect();
    },
    stop() {
      stopped = true;
      clearTimeout(retry);
      clearTimeout(opening);
      clearTimeout(pending);
      clearInterval(keepAlive);
      clearInterval(watch);
      stopPolling();
      if (socket) {
        socket.onclose = null;
        socket.close();
      }
      socket = null;
    },
    /** Closes the socket as a network drop would (tests, and a page that wants a fresh start). */
    drop() {
      if (socket) socket.close();
    },
  };

  function setMode(mode) {
    self.mode = mode;
    if (typeof document !== 'undefined') document.body.dataset.liveTransport = mode;
  }

  function startPolling() {
    if (polling || stopped) return;
    polling = true;
    fallback.start(() => notify());
  }

  function stopPolling() {
    if (!polling) return;
    polling = false;
    fallback.stop();
  }

  function changed() {
    // a burst of events (one alert's deliveries) is one re-fetch
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      notify();
    }, debounceMs);
  }

  /** Reads the events after the cursor (a few pages at most); whether there were any. */
  async function catchUp() {
    let any = false;
    for (let page = 0; page < 5; page += 1) {
      const answer = await api.get(`/v1/events?after=${encodeURIComponent(cursor)}&limit=500`);
      if (answer.cursor) cursor = answer.cursor;
      any = any || (answer.items || []).length > 0;
      if (!answer.more) break;
    }
    return any;
  }

  async function check() {
    try {
      const any = await catchUp();
      report(true);
      if (any) changed();
    } catch (error) {
      report(!(error && error.status === 0)); // only an unreachable API makes the screen stale
    }
  }

  function connect() {
    if (stopped) return;
    let opened = false;
    const bearer = token();
    if (!url || !WebSocketImpl || !bearer) {
      setMode('polling');
      link(true);
      startPolling();
      return;
    }
    try {
      socket = new WebSocketImpl(`${url}?token=${encodeURIComponent(bearer)}`);
    } catch {
      failed(false);
      return;
    }
    const current = socket;
    opening = setTimeout(() => current.close(), openTimeoutMs); // a handshake that hangs counts as failed
    current.onopen = async () => {
      clearTimeout(opening);
      opened = true;
      failures = 0;
      // before any event is heard, a cursor a little in the past (the client's clock may run ahead): an
      // event read twice costs one re-fetch, a missed one a wrong screen
      if (!cursor) cursor = eventIdAt(Date.now() - 5 * 60 * 1000);
      clearInterval(watch);
      watch = setInterval(check, checkMs);
      // API Gateway closes a socket idle for 10 minutes; a message now and then keeps it open
      keepAlive = setInterval(() => current.readyState === 1 && current.send('{"action":"keepalive"}'), keepAliveMs);
      setMode('socket');
      link(true);
      stopPolling();
      try {
        await catchUp();
      } catch {
        // the re-fetch below reports whether the API answers
      }
      notify();
    };
    current.onmessage = (message) => {
      let event = null;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (!event || !event.event_id) return; // an answer to our keep-alive, not an event
      if (!cursor || event.event_id > cursor) cursor = event.event_id;
      changed();
    };
    current.onclose = () => {
      clearTimeout(opening);
      clearInterval(keepAlive);
      clearInterval(watch);
      if (socket === current) socket = null;
      failed(opened);
    };
    current.onerror = () => {}; // onclose follows
  }

  function failed(wasOpen) {
    if (stopped) return;
    failures = wasOpen ? 1 : failures + 1;
    if (failures >= giveUpAfter) {
      setMode('polling');
      link(true); // the fetches alone say whether the screen is fresh
    } else {
      setMode('reconnecting');
      link(false);
    }
    startPolling();
    const delay = Math.min(maxDelayMs, minDelayMs * 2 ** Math.max(0, failures - 1));
    retry = setTimeout(connect, delay * (0.75 + random() / 2));
  }

  return self;
}

/** An event_id's shape for a time (`20261130T140500000000Z-00000000`): a cursor for GET /v1/events. */
export function eventIdAt(ms) {
  const iso = new Date(ms).toISOString(); // 2026-11-30T14:05:00.000Z
  return `${iso.slice(0, 19).replace(/[-:]/g, '')}${iso.slice(20, 23)}000Z-00000000`;
}

/**
 * The console's one live channel: subscribers run on every change, and the fetches they make report
 * whether the API answered, which drives the header's "live / reconnecting / stale since hh:mm".
 */
export function createLive({ transport, staleAfterMs, now = () => Date.now() }) {
  const subscribers = new Set();
  const watchers = new Set();
  let lastOk = null;
  let failing = false;
  let running = false;
  let clock = null;
  let linkDown = false; // the transport's socket is down (it reconnects meanwhile)

  function state() {
    if (lastOk === null) return { state: failing ? 'stale' : 'reconnecting', since: null };
    if (!failing) return { state: linkDown ? 'reconnecting' : 'live', since: lastOk };
    return now() - lastOk > staleAfterMs ? { state: 'stale', since: lastOk } : { state: 'reconnecting', since: lastOk };
  }

  function publish() {
    const current = state();
    for (const fn of watchers) fn(current);
  }

  async function changed() {
    for (const fn of Array.from(subscribers)) {
      try {
        await fn();
        report(true);
      } catch (error) {
        report(!(error && error.status === 0)); // only an unreachable API makes the screen stale
      }
    }
  }

  function report(ok) {
    if (ok) {
      lastOk = now();
      failing = false;
    } else {
      failing = true;
    }
    publish();
  }

  return {
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    onStatus(fn) {
      watchers.add(fn);
      fn(state());
      return () => watchers.delete(fn);
    },
    /** Re-fetch now (after an action of ours), without waiting for the transport. */
    refresh: () => changed(),
    report,
    state,
    start() {
      if (running) return;
      running = true;
      if (transport.onReport) transport.onReport(report);
      if (transport.onLink) {
        transport.onLink((up) => {
          linkDown = !up;
          publish();
        });
      }
      transport.start(() => changed());
      clock = setInterval(publish, 1000); // "reconnecting" turns "stale" with time alone
    },
    stop() {
      running = false;
      transport.stop();
      clearInterval(clock);
      subscribers.clear();
    },
  };
}
