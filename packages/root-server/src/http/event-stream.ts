import type { ServerResponse } from 'node:http';

/** Keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

/**
 * Server-sent events (`text/event-stream`) to every open `/api/events` response. An event is a
 * name with an empty JSON payload (`event: topology`, `data: {}`): a notification to fetch the
 * document again, so every client reads the one `/api/topology` contract. Notifications are
 * coalesced: a burst within `coalesceMs` reaches the clients as one event, at most one per
 * `coalesceMs` per name. Timers are unref'd: an open stream never keeps the process alive.
 */
export class EventStream {
  readonly #clients = new Set<ServerResponse>();
  readonly #coalesceMs: number;
  readonly #pending = new Map<string, NodeJS.Timeout>();
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(coalesceMs = 200) {
    this.#coalesceMs = coalesceMs;
  }

  /** Open streams. */
  get clients(): number {
    return this.#clients.size;
  }

  /**
   * Takes over a response as an event stream until the client leaves or the stream closes. It
   * starts with a `hello` event, so a client knows it is connected and fetches the first state.
   * `headOnly` (a HEAD request) answers the headers alone.
   */
  attach(response: ServerResponse, headOnly = false): void {
    if (this.#closed) {
      response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('shutting down\n');
      return;
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    if (headOnly) {
      response.end();
      return;
    }
    response.write('retry: 1000\nevent: hello\ndata: {}\n\n');
    this.#clients.add(response);
    response.on('close', () => {
      this.#clients.delete(response);
      if (this.#clients.size === 0) this.#stopHeartbeat();
    });
    this.#heartbeat ??= setInterval(() => this.#broadcast(': heartbeat\n\n'), HEARTBEAT_MS).unref();
  }

  /** Announces that `event` happened; the announcements of a burst become one event. */
  notify(event: string): void {
    if (this.#closed || this.#clients.size === 0 || this.#pending.has(event)) return;
    const timer = setTimeout(() => {
      this.#pending.delete(event);
      this.#broadcast(`event: ${event}\ndata: {}\n\n`);
    }, this.#coalesceMs);
    timer.unref();
    this.#pending.set(event, timer);
  }

  /** Ends every stream and stops the timers. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
    this.#stopHeartbeat();
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }

  #broadcast(text: string): void {
    for (const client of this.#clients) client.write(text);
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
