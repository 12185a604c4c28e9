#!/usr/bin/env python3
"""Runs one node of the reference implementation (RadNi/tree-p2p) for the interop suite.

The reference is used as an external program: this launcher imports it from the directory given
with --reference and never copies its code. It adds what the reference lacks for testing:

- the Python >= 3.9 shim (Thread.isAlive was removed; a peer's main loop dies without it);
- a report on standard output, one line per event, `@interop ` followed by a JSON object:
  `listening` once the node's server accepts connections, `recv` for every socket read its server
  makes (the bytes in hex: the reference takes each read as one packet), `handle` for every packet
  its main loop hands to its packet handler (type, source, body), `main-loop-died` if the main
  loop raises (the process then lives on without processing anything, as the reference does), and
  `thread-died` if another of its threads does (its server thread: the node then reads nothing
  any more, see docs/interop.md).

Everything else on standard output is the reference's own printing. Commands (`Register`,
`Advertise`, `SendMessage <text>`) go to standard input, which must stay open.
"""

import argparse
import json
import os
import sys
import threading
import time
import traceback

PREFIX = "@interop "
_emit_lock = threading.Lock()


def emit(event, **fields):
    line = PREFIX + json.dumps({"event": event, **fields}) + "\n"
    with _emit_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def padded(ip):
    """The reference wants 15-character zero-padded IPv4 addresses (127.000.000.001)."""
    return ".".join(part.zfill(3) for part in ip.split("."))


def is_listening(port):
    """True once a socket is listening on `port` (read from /proc, without connecting to it)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as rows:
                next(rows)
                for row in rows:
                    fields = row.split()
                    local_port = int(fields[1].rsplit(":", 1)[1], 16)
                    if local_port == port and fields[3] == "0A":
                        return True
        except FileNotFoundError:
            continue
    return False


def trace_reads(tcpserver_module):
    """Reports every read of the node's server before the reference's own callback sees it."""
    original_init = tcpserver_module.TCPServer.__init__

    def init(self, mode, port, read_callback, *args, **kwargs):
        def traced(ip, queue, data):
            emit("recv", hex=bytes(data).hex())
            return read_callback(ip, queue, data)

        original_init(self, mode, port, traced, *args, **kwargs)

    tcpserver_module.TCPServer.__init__ = init


def report_thread_deaths():
    """Reports a thread that dies of an exception, then prints its traceback as Python would."""
    default = threading.excepthook

    def hook(hook_args):
        emit(
            "thread-died",
            thread=hook_args.thread.name if hook_args.thread is not None else None,
            error=repr(hook_args.exc_value),
        )
        default(hook_args)

    threading.excepthook = hook


def trace_handling(peer):
    """Reports every packet the main loop hands to the node's packet handler."""
    original = peer.handle_packet

    def handle(packet):
        ip, port = packet.get_source_server_address()
        emit(
            "handle",
            type=packet.get_type(),
            version=packet.get_version(),
            source="%s:%s" % (ip, port),
            body=packet.get_body(),
        )
        return original(packet)

    peer.handle_packet = handle


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", required=True, help="the tree-p2p directory")
    parser.add_argument("--ip", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root-port", type=int, help="the root's port; omit to run the root")
    parser.add_argument("--root-ip", default="127.0.0.1")
    args = parser.parse_args()

    # The shim must be in place before the reference is imported.
    threading.Thread.isAlive = threading.Thread.is_alive
    report_thread_deaths()
    sys.path.insert(0, os.path.abspath(args.reference))
    from src.tools.simpletcp import tcpserver

    trace_reads(tcpserver)
    from src.Peer import Peer

    is_root = args.root_port is None
    root_address = None if is_root else (padded(args.root_ip), args.root_port)
    peer = Peer(padded(args.ip), args.port, is_root=is_root, root_address=root_address)
    trace_handling(peer)

    deadline = time.monotonic() + 10
    while not is_listening(args.port):
        if time.monotonic() > deadline:
            emit("failed", reason="the server did not start listening within 10 s")
            os._exit(2)
        time.sleep(0.02)
    emit("listening", port=args.port, root=is_root)

    peer.start_user_interface()
    try:
        peer.run()
    except BaseException as error:  # noqa: BLE001 - reported, then the process lives on as the reference's would
        emit("main-loop-died", error=repr(error), traceback=traceback.format_exc())


if __name__ == "__main__":
    main()
