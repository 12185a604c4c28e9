import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Asset {
  type: string;
  /** The file on disk, resolved on first request. */
  file: () => string;
}

/** A file of `./assets/` (copied beside the compiled code by `scripts/copy-assets.mjs`). */
const own = (name: string) => () => fileURLToPath(new URL(`./assets/${name}`, import.meta.url));

/**
 * d3-hierarchy's UMD build. The package's `exports` map only names its entry points (a plain
 * `resolve('d3-hierarchy/dist/d3-hierarchy.min.js')` is refused), and the UMD file sits beside
 * the module entry in its `dist/`.
 */
const d3Hierarchy = () =>
  join(dirname(createRequire(import.meta.url).resolve('d3-hierarchy')), 'd3-hierarchy.min.js');

const javascript = 'text/javascript; charset=utf-8';

const routes = new Map<string, Asset>([
  ['/assets/dashboard.js', { type: javascript, file: own('client.js') }],
  ['/assets/dashboard.css', { type: 'text/css; charset=utf-8', file: own('style.css') }],
  ['/assets/d3-hierarchy.min.js', { type: javascript, file: d3Hierarchy }],
]);

/** The dashboard's static files by route, read once and kept in memory (a few tens of KiB). */
export class DashboardAssets {
  readonly #cache = new Map<string, Promise<string>>();

  /** The file served at `route` and its content type, or undefined when no asset has that route. */
  async get(route: string): Promise<{ type: string; body: string } | undefined> {
    const asset = routes.get(route);
    if (asset === undefined) return undefined;
    let body = this.#cache.get(route);
    if (body === undefined) {
      body = readFile(asset.file(), 'utf8');
      this.#cache.set(route, body);
      // A failed read is retried by the next request rather than remembered.
      body.catch(() => this.#cache.delete(route));
    }
    return { type: asset.type, body: await body };
  }
}
