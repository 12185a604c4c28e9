import type { ServerResponse } from 'node:http';

/** Keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

/**
 * Server-sent events to every open `/api/events` response. Events are coalesced: a burst of
 * changes within `coalesceMs` reaches the browsers as one event.
 */
export class EventStream {
  readonly #clients = new Set<ServerResponse>();
  readonly #coalesceMs: number;
  #pending: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(coalesceMs = 200) {
    this.#coalesceMs = coalesceMs;
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Takes over a response as an event stream until the client leaves or the stream closes. */
  attach(response: ServerResponse): void {
    if (this.#closed) {
      response.writeHead(503).end();
      return;
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    response.write('retry: 1000\nevent: hello\ndata: {}\n\n');
    this.#clients.add(response);
    response.on('close', () => {
      this.#clients.delete(response);
      if (this.#clients.size === 0) this.#stopHeartbeat();
    });
    this.#heartbeat ??= setInterval(() => this.#broadcast(': heartbeat\n\n'), HEARTBEAT_MS).unref();
  }

  /** Announces that `event` happened; several announcements in a burst become one. */
  notify(event: string): void {
    if (this.#closed || this.#clients.size === 0 || this.#pending !== undefined) return;
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      this.#broadcast(`event: ${event}\ndata: {}\n\n`);
    }, this.#coalesceMs);
    this.#pending.unref();
  }

  /** Ends every stream and stops the timers. Idempotent. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#pending);
    this.#pending = undefined;
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
