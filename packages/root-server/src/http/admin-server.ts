import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@p2p/stream';
import { DashboardAssets } from './dashboard/assets.js';
import { dashboardPage } from './dashboard/page.js';
import { EventStream } from './event-stream.js';
import { httpListenFailure } from './listen-failure.js';

/** What the admin HTTP server shows; the root server provides it. */
export interface AdminSource {
  /** True while the root serves its TCP address. */
  healthy(): boolean;
  /**
   * For roots that share a PostgreSQL database: whether this one leads, and why it does not
   * (shown by `/healthz`).
   */
  role?(): { role: 'leader' | 'standby'; term: number; reason?: string };
  /** Prometheus text and its content type. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** The `/api/topology` document (its shape is in the root-server README). */
  topology(): unknown;
  /** Counters the dashboard shows beside the tree. */
  stats(): unknown;
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, {
    'content-type': contentType,
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

function sendJson(response: ServerResponse, value: unknown): void {
  send(response, 200, 'application/json; charset=utf-8', JSON.stringify(value));
}

/**
 * The root's admin HTTP surface (docs/architecture.md): `/healthz`, `/metrics`, `/api/topology` and `/`, the
 * dashboard's `/api/stats`, `/api/events` and `/assets/…`.
 * Read-only: every route answers GET (and HEAD); anything else is 405.
 */
export class AdminServer {
  readonly #server: Server;
  readonly #source: AdminSource;
  readonly #logger: Logger;
  readonly #assets = new DashboardAssets();
  /** Server-sent events for the dashboard: `topology` when the tree changed. */
  readonly events = new EventStream();
  #closed: Promise<void> | undefined;

  private constructor(server: Server, source: AdminSource, logger: Logger) {
    this.#server = server;
    this.#source = source;
    this.#logger = logger;
  }

  /** Listens on host:port (port 0: the OS picks). */
  static async listen(
    host: string,
    port: number,
    source: AdminSource,
    logger: Logger,
  ): Promise<AdminServer> {
    let admin: AdminServer | undefined;
    const server = createServer((request, response) => {
      admin?.handle(request, response).catch((error: unknown) => {
        logger.error({ err: (error as Error).message, url: request.url }, 'admin request failed');
        if (!response.headersSent)
          send(response, 500, 'text/plain; charset=utf-8', 'internal error\n');
        else response.destroy();
      });
    });
    admin = new AdminServer(server, source, logger);
    server.keepAliveTimeout = 5_000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      const fail = (error: NodeJS.ErrnoException) =>
        reject(httpListenFailure(`${host}:${port}`, error));
      server.once('error', fail);
      server.listen(port, host, () => {
        server.off('error', fail);
        resolve();
      });
    });
    return admin;
  }

  /** The bound 'HOST:PORT'. */
  get address(): string {
    const info = this.#server.address() as AddressInfo;
    return `${info.address}:${info.port}`;
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://admin').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return send(
        response,
        405,
        'text/plain; charset=utf-8',
        'method not allowed: the admin API is read-only\n',
      );
    }
    switch (path) {
      case '/healthz': {
        // Load balancers route to 200 only: a standby answers 503 and says so.
        const role = this.#source.role?.();
        if (!this.#source.healthy()) {
          const why =
            role?.role === 'standby'
              ? `standby${role.reason ? `: ${role.reason}` : ''}`
              : 'not serving';
          return send(response, 503, 'text/plain; charset=utf-8', `${why}\n`);
        }
        const body = role === undefined ? 'ok' : `ok ${role.role} term ${role.term}`;
        return send(response, 200, 'text/plain; charset=utf-8', `${body}\n`);
      }
      case '/metrics': {
        const { contentType, body } = await this.#source.metrics();
        return send(response, 200, contentType, body);
      }
      case '/api/topology':
        return sendJson(response, this.#source.topology());
      case '/api/stats':
        return sendJson(response, this.#source.stats());
      case '/api/events':
        this.events.attach(response, request.method === 'HEAD');
        return;
      case '/':
      case '/index.html':
        return send(response, 200, 'text/html; charset=utf-8', dashboardPage());
      default: {
        const asset = await this.#assets.get(path);
        if (asset !== undefined) return send(response, 200, asset.type, asset.body);
        this.#logger.debug({ path }, 'admin: not found');
        return send(
          response,
          404,
          'text/plain; charset=utf-8',
          `not found: ${path}\ntry /, /healthz, /metrics, /api/topology, /api/stats or /api/events\n`,
        );
      }
    }
  }

  /** Stops listening and closes every connection. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.events.close();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }
}
