import { appendFileSync } from 'node:fs';

/** A module loader hook that records each module loaded through `import` (not CJS `require`). */
export async function load(url, context, nextLoad) {
  appendFileSync(process.env.P2P_MODULE_LOG, `${url}\n`);
  return nextLoad(url, context);
}
