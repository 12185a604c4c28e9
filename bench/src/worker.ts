/**
 * A worker process of the spread layout: runs a share of the peers in a PeerHost and answers the
 * main process over IPC (host-protocol.ts). State changes are batched per tick. It exits when the
 * main process disconnects.
 */
import type { FromWorker, HostNotice, StateEvent, ToWorker } from './host-protocol.js';
import { PeerHost } from './peer-host.js';

function send(message: FromWorker): void {
  // With a callback, a channel closed under us is reported here instead of thrown.
  if (process.connected) process.send?.(message, undefined, {}, () => {});
}

const pending: StateEvent[] = [];
let flushing = false;

function notify(notice: HostNotice): void {
  if (notice.notice !== 'state') {
    send(notice);
    return;
  }
  pending.push(...notice.events);
  if (flushing) return;
  flushing = true;
  setImmediate(() => {
    flushing = false;
    send({ notice: 'state', events: pending.splice(0) });
  });
}

const host = new PeerHost(notify);

process.on('message', (message: ToWorker) => {
  host.handle(message.request).then(
    (answer) => send({ id: message.id, answer: answer as never }),
    (error: unknown) => send({ id: message.id, error: String((error as Error)?.stack ?? error) }),
  );
});

process.on('disconnect', () => {
  void host.close().finally(() => process.exit(0));
});

send({ ready: true });
