import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { encode, parseAddress } from '@p2p/codec';
import { RootServer } from '@p2p/root-server';
import ts from 'typescript';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { P2pProcess } from './processes.js';

/**
 * Every TypeScript example of the packages' READMEs, run as written in a Node process of its own
 * (only a root address is replaced by a live one, where the example needs a root): an example
 * that no longer compiles, throws or hangs fails here.
 */
const packages = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'p2p-readme-'));
const running: P2pProcess[] = [];
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const p of running) p.kill();
  await Promise.all(running.splice(0).map((p) => p.exited));
  await Promise.all(closers.splice(0).map((close) => close()));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The ```ts blocks of a package's README. */
function examples(name: string): string[] {
  const readme = readFileSync(join(packages, name, 'README.md'), 'utf8');
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] as string);
}

/** Replaces `from` by `to` in the example; `from` must be there (else the test is out of date). */
function replace(code: string, from: string, to: string): string {
  expect(code).toContain(from);
  return code.replaceAll(from, to);
}

let modules = 0;
/** Compiles an example to a module importing the packages' builds, and starts it. */
function start(code: string): P2pProcess {
  const linked = code.replace(
    /from '@p2p\/([a-z-]+)'/g,
    (_, name: string) => `from '${pathToFileURL(join(packages, name, 'dist', 'index.js')).href}'`,
  );
  const { outputText } = ts.transpileModule(linked, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const file = join(work, `example-${++modules}.mjs`);
  writeFileSync(file, outputText);
  const p = new P2pProcess([], file);
  running.push(p);
  return p;
}

async function run(code: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = start(code);
  p.child.stdin.end();
  const exit = await p.exited;
  return { code: exit, stdout: p.stdout, stderr: p.stderr };
}

async function liveRoot(): Promise<RootServer> {
  const root = await RootServer.start({ listen: '127.0.0.1:0', http: null, timings: 'fast' });
  closers.push(() => root.close());
  return root;
}

describe('the README examples run as written', () => {
  it('@p2p/peer: joins a live root, then a broadcast reaches it', async () => {
    const [example] = examples('peer');
    const root = await liveRoot();
    const received = new Promise<string>((resolve) =>
      root.once('message', ({ text }) => resolve(text)),
    );
    const result = await run(replace(example as string, '127.0.0.1:5353', root.address));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`in the tree under ${root.address}\nsent to 1 neighbour(s)\n`);
    expect(await received).toBe('hello tree');
  });

  it('@p2p/root-server: a root and a peer in one program', async () => {
    const [example] = examples('root-server');
    const result = await run(example as string);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^127\.0\.0\.1:\d+ placed under 127\.0\.0\.1:\d+\n/);
    expect(result.stdout).toContain('alive: true');
  });

  it('@p2p/stream: alice sends bob a message', async () => {
    const [example] = examples('stream');
    const result = await run(example as string);
    expect(result).toEqual({ code: 0, stdout: 'bob got "hello, bob" (binary)\n', stderr: '' });
  });

  it('@p2p/codec: encode and decode one frame', async () => {
    const [first] = examples('codec');
    const result = await run(first as string);
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('@p2p/codec: the FrameDecoder server acknowledges frames and closes on a malformed one', async () => {
    const [first, server] = examples('codec');
    // The server listens on a port the system picks and says which once it listens.
    const p = start(
      `${first}\n${replace(
        server as string,
        'listen(5353)',
        "listen(0, function () { console.log('listening on ' + this.address().port); })",
      )}`,
    );
    await p.until(() => /^listening on \d+\n/.test(p.stdout));
    const port = Number(/^listening on (\d+)\n/.exec(p.stdout)?.[1]);
    const socket = await connect(port);
    const acks = collect(socket);
    const frame = encode(
      { kind: 'message', source: parseAddress('127.0.0.1:6500'), text: 'hi' },
      'binary',
    );
    socket.write(frame);
    await p.until(() => p.stdout.includes("text: 'hi'"));
    expect(p.stdout).toMatch(/^listening on \d+\nbinary \{/);
    socket.write(Buffer.from('garbage!'));
    await p.until(() =>
      p.stderr.includes(`malformed frame at byte ${frame.length}: ERR_CODEC_UNKNOWN_FRAMING`),
    );
    await new Promise((resolve) => socket.once('close', resolve));
    expect(acks()).toBe('ACK');
  });
});

function connect(port: number): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

function collect(socket: net.Socket): () => string {
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return () => text;
}
