// Live updates, notify-then-fetch: a transport only says "something changed"; pages fetch what they show.
// Today's transport polls; a WebSocket transport with the same two methods (start, stop) replaces it.

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

  function state() {
    if (lastOk === null) return { state: failing ? 'stale' : 'reconnecting', since: null };
    if (!failing) return { state: 'live', since: lastOk };
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
