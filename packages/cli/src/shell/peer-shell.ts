import { clearLine, createInterface, cursorTo } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Peer, PeerEvents } from '@p2p/peer';
import { CliError } from '../errors.js';
import type { Output } from '../output.js';
import { parseCommand, shellHelp } from './parse-command.js';

export interface ShellIo {
  input: Readable & { isTTY?: boolean };
  output: Writable & { isTTY?: boolean };
}

export interface ShellOptions {
  /** How long a command that needs the tree (SendMessage) waits for the peer to join, in ms. */
  joinTimeoutMs: number;
  /** Ends the shell when aborted (SIGTERM), even while a command waits for the tree. */
  signal?: AbortSignal;
}

/** Prints the peer's events as they happen. Returns a function that stops printing them. */
export function reportPeerEvents(peer: Peer, out: Output): () => void {
  const onRegistered = () => out.event('registered', {}, `registered with the root ${peer.root}`);
  const onParent = ({ parent }: { parent: string | null }) =>
    out.event(
      'parent',
      { parent },
      parent === null ? 'left the tree (no parent)' : `parent is now ${parent}`,
    );
  // `from` is the neighbour the Message came through; `origin` its author, known only when it came
  // with an identifier (the lossless extension) all the way: version 1 carries no origin.
  const onMessage = ({
    text,
    from,
    origin,
  }: {
    text: string;
    from: string;
    origin: string | null;
  }) =>
    out.event(
      'message',
      { text, via: from, origin },
      origin === null ? `[via ${from}] ${text}` : `[from ${origin} via ${from}] ${text}`,
    );
  const onFailure = ({ reason }: { reason: string }) =>
    out.event(
      'reunion-failure',
      { reason },
      `reunion failure (${reason}): asking the root for a new parent`,
    );
  const onRootAway = ({ parent }: { parent: string }) =>
    out.event('root-away', { parent }, `the root does not answer: staying under ${parent}`);
  const onRootUnreachable = ({ error, retryInMs }: { error: string; retryInMs: number | null }) =>
    out.event(
      'root-unreachable',
      { error, retryInMs },
      retryInMs === null ? error : `${error}; retrying in ${(retryInMs / 1000).toFixed(1)} s`,
    );
  const onAdded = ({ neighbour, role }: { neighbour: string; role: string }) =>
    role === 'child' &&
    out.event('child-joined', { child: neighbour }, `${neighbour} joined as a child`);
  const onRemoved = ({
    neighbour,
    role,
    reason,
  }: {
    neighbour: string;
    role: string;
    reason: string;
  }) =>
    role === 'child' &&
    out.event('child-left', { child: neighbour, reason }, `child ${neighbour} left (${reason})`);
  const listening = [
    listen(peer, 'registered', onRegistered),
    listen(peer, 'neighbour-added', onAdded),
    listen(peer, 'neighbour-removed', onRemoved),
    listen(peer, 'parent', onParent),
    listen(peer, 'message', onMessage),
    listen(peer, 'reunion-failure', onFailure),
    listen(peer, 'root-unreachable', onRootUnreachable),
    listen(peer, 'root-away', onRootAway),
  ];
  return () => {
    for (const stop of listening) stop();
  };
}

/** Adds `listener` for `event`; returns the function that removes it. */
function listen<K extends keyof PeerEvents>(
  peer: Peer,
  event: K,
  listener: (...args: PeerEvents[K]) => void,
): () => void {
  // EventEmitter's conditional listener type does not resolve for a generic key: the cast is
  // checked by this function's own signature.
  const on = listener as Parameters<typeof peer.on<K>>[1];
  peer.on(event, on);
  return () => peer.off(event, on);
}

/**
 * The interactive peer shell: the original commands plus status, neighbours, help and quit. With
 * a terminal it has a prompt, line editing and history, and prints events above the line being
 * typed; without one it reads commands from the input, one per line, until the end.
 * Resolves when the user quits, the input ends or `signal` aborts. `SendMessage` in auto mode
 * first waits for the peer to join the tree; when it cannot within the bound, a script (no
 * terminal) ends with a CliError, a terminal user gets the error and the prompt back. Ctrl-C, the
 * signal and in a terminal Ctrl-D end such a wait (the user quits).
 */
export async function runPeerShell(
  peer: Peer,
  io: ShellIo,
  out: Output,
  options: ShellOptions,
): Promise<void> {
  const terminal = io.input.isTTY === true && io.output.isTTY === true && !out.json;
  const rl = createInterface({
    input: io.input,
    output: io.output,
    terminal,
    historySize: 200,
    prompt: 'p2p> ',
  });
  // Ctrl-C, the signal, or in a terminal the end of the input (Ctrl-D) is quitting: a command
  // waiting for the tree stops waiting. A script's input ending is not: the commands it sent run.
  // Once the line reader is closed no prompt is drawn again (drawing one resumes the input, and
  // the process would never exit).
  const quitting = new AbortController();
  let closed = false;
  rl.once('close', () => {
    closed = true;
    if (terminal) quitting.abort();
  });
  const stop = () => {
    quitting.abort();
    rl.close();
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) stop();
  // Ctrl-C at the prompt leaves like quit, ending the line so the terminal's prompt starts afresh.
  rl.on('SIGINT', () => {
    if (terminal) io.output.write('\n');
    stop();
  });
  // While a command runs, its replies and the events print without a prompt: the loop draws one
  // when it is done (drawing it after each line too drew it twice).
  let busy = false;
  const prompt = () => {
    if (terminal && !closed) rl.prompt();
  };
  if (terminal) {
    out.interrupt = (print) => {
      clearLine(io.output, 0);
      cursorTo(io.output, 0);
      print();
      if (!busy && !closed) rl.prompt(true);
    };
    prompt();
  }
  const context: CommandContext = { peer, out, options, terminal, quitting: quitting.signal };
  try {
    for await (const line of rl) {
      let done: boolean;
      busy = true;
      try {
        done = await execute(line, context);
      } catch (error) {
        if (!(error instanceof CliError && error.code === 'ERR_CLI_TIMEOUT')) throw error;
        // The peer's code says why it did not join (a timeout, a root it cannot reach…).
        const code = (error.cause as { code?: unknown }).code ?? error.code;
        out.reply('error', { message: error.message, code }, `error: ${error.message}`);
        if (!terminal) throw error;
        done = false;
      } finally {
        busy = false;
      }
      if (done || quitting.signal.aborted) break;
      prompt();
    }
  } finally {
    out.interrupt = undefined;
    options.signal?.removeEventListener('abort', stop);
    rl.close();
  }
}

interface CommandContext {
  peer: Peer;
  out: Output;
  options: ShellOptions;
  terminal: boolean;
  /** Aborted when the user quits. */
  quitting: AbortSignal;
}

/**
 * Waits until the peer is in the tree, in auto mode (manual mode: the user joins it). Resolves
 * false when the user quit meanwhile.
 */
async function inTree({
  peer,
  out,
  options,
  terminal,
  quitting,
}: CommandContext): Promise<boolean> {
  // In the tree: a hello answered through the parent, or a parent that acknowledged our Join. The
  // second matters while the root is away: the tree floods without it, but no hello is answered.
  if (peer.mode !== 'auto' || peer.status().joined) return true;
  if (peer.parent !== null && peer.joinAcknowledged) return true;
  if (terminal)
    out.event(
      'waiting',
      {},
      `waiting to join the tree (up to ${formatMs(options.joinTimeoutMs)})…`,
    );
  try {
    await peer.joined({ timeoutMs: options.joinTimeoutMs, signal: quitting });
    return true;
  } catch (error) {
    if (quitting.aborted) return false;
    throw new CliError('ERR_CLI_TIMEOUT', (error as Error).message, { cause: error });
  }
}

function formatMs(ms: number): string {
  return ms >= 1_000 ? `${Number((ms / 1_000).toFixed(1))} s` : `${ms} ms`;
}

async function execute(line: string, context: CommandContext): Promise<boolean> {
  const { peer, out } = context;
  const command = parseCommand(line);
  try {
    switch (command.name) {
      case 'nothing':
        return false;
      case 'quit':
        return true;
      case 'help':
        out.reply('help', { text: shellHelp }, shellHelp);
        return false;
      case 'invalid':
        out.reply('error', { message: command.error }, `error: ${command.error}`);
        return false;
      case 'register':
        await peer.register();
        out.reply('ok', { command: 'register' }, 'registered');
        return false;
      case 'advertise': {
        const parent = await peer.advertise();
        out.reply('ok', { command: 'advertise', parent }, `attached to ${parent}`);
        return false;
      }
      case 'send': {
        peer.checkMessage(command.text); // refused at once, not after waiting for the tree
        if (!(await inTree(context))) return true; // the user quit while waiting
        const { delivered, failed } = await peer.broadcast(command.text);
        const note =
          delivered === 0 && failed.length === 0 ? ' (no neighbours yet: not in the tree)' : '';
        out.reply(
          'sent',
          { text: command.text, delivered, failed },
          `sent to ${delivered} neighbour${delivered === 1 ? '' : 's'}${failed.length ? `, failed: ${failed.join(', ')}` : ''}${note}`,
        );
        return false;
      }
      case 'status': {
        const status = peer.status();
        out.reply(
          'status',
          { ...status },
          [
            `address     ${status.address}`,
            `root        ${status.root}${status.roots.length > 1 ? ` (of ${status.roots.join(', ')})` : ''}`,
            `mode        ${status.mode}`,
            `registered  ${status.registered ? 'yes' : 'no'}`,
            `parent      ${status.parent ?? '(none)'}`,
            `children    ${status.children.length ? status.children.join(', ') : '(none)'}`,
            `reunion     ${status.reunion}${status.helloOutstanding ? ' (hello outstanding)' : ''}`,
          ].join('\n'),
        );
        return false;
      }
      case 'neighbours': {
        const human = peer.neighbours.length
          ? [
              `parent    ${peer.parent ?? '(none)'}`,
              `children  ${peer.children.join(', ') || '(none)'}`,
            ].join('\n')
          : 'no neighbours: not in the tree';
        out.reply('neighbours', { parent: peer.parent, children: peer.children }, human);
        return false;
      }
    }
  } catch (error) {
    if (error instanceof CliError && error.code === 'ERR_CLI_TIMEOUT') throw error;
    const { message, code } = error as Error & { code?: string };
    out.reply('error', { message, ...(code === undefined ? {} : { code }) }, `error: ${message}`);
    return false;
  }
}
