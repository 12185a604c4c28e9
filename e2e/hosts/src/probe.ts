/**
 * An HTTP client that runs inside a namespace (the root's, whose admin HTTP listens on that
 * namespace's loopback): reads one request a line on standard input, `{"id":1,"url":"http://…"}`,
 * and answers each with `{"event":"response","id":1,"status":200,"body":"…"}` (or `"error"`).
 */
import { createInterface } from 'node:readline';

const REQUEST_TIMEOUT_MS = 10_000;

function answer(value: object): void {
  process.stdout.write(`${JSON.stringify({ event: 'response', ...value })}\n`);
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  const { id, url } = JSON.parse(line) as { id: number; url: string };
  fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }).then(
    async (response) => answer({ id, status: response.status, body: await response.text() }),
    (error: unknown) => answer({ id, error: String((error as Error).message ?? error) }),
  );
}
