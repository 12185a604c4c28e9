// tsc emits only the compiled TypeScript: copy the dashboard's static files (the browser script
// and its styles) beside the compiled server code that serves them.
import { cpSync } from 'node:fs';

cpSync(
  new URL('../src/http/dashboard/assets/', import.meta.url),
  new URL('../dist/http/dashboard/assets/', import.meta.url),
  { recursive: true },
);
