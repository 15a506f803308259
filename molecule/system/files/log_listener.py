"""Minimal TCP syslog receiver: appends every received line to a file (test stand-in)."""

import socketserver
import sys


class SyslogLine(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        for raw in self.rfile:
            with open(self.server.out_path, "ab") as out:  # type: ignore[attr-defined]
                out.write(raw.rstrip(b"\r\n") + b"\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main() -> None:
    host, port, out_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with Server((host, port), SyslogLine) as server:
        server.out_path = out_path  # type: ignore[attr-defined]
        server.serve_forever()


if __name__ == "__main__":
    main()
