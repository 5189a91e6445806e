#!/usr/bin/env python3
"""A PostgreSQL server that is still starting up, in front of a real one.

    pg_starting_proxy.py LISTEN_DIR SERVER_SOCKET REFUSE COUNT_FILE

Listens on LISTEN_DIR/.s.PGSQL.5432. The first REFUSE connections are
answered the way a server that is starting up answers a start-up packet
(FATAL 57P03 "the database system is starting up") and closed; every later
one is passed through, byte for byte, to the real server's Unix socket
SERVER_SOCKET. After each connection is accepted, COUNT_FILE holds the
number accepted so far. Prints "ready" once it listens; runs until killed.
Used by the CLI tests to put the moment a server finishes starting up
exactly where a test wants it.
"""
import os
import socket
import struct
import sys
import threading

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def refuse(conn):
    """Reads the start-up packet (declining SSL or GSS encryption first)
    and answers that the server is starting up."""
    while True:
        head = read_exact(conn, 8)
        if head is None:
            return
        length, code = struct.unpack("!ii", head)
        if length > 8 and read_exact(conn, length - 8) is None:
            return
        if code in (SSL_REQUEST, GSSENC_REQUEST):
            conn.sendall(b"N")
            continue
        break
    fields = b"".join(kind + text + b"\0" for kind, text in (
        (b"S", b"FATAL"), (b"V", b"FATAL"), (b"C", b"57P03"),
        (b"M", b"the database system is starting up")))
    body = fields + b"\0"
    conn.sendall(b"E" + struct.pack("!i", len(body) + 4) + body)


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(conn, server_path):
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(server_path)
    except OSError:
        conn.close()
        return
    other = threading.Thread(target=pump, args=(upstream, conn), daemon=True)
    other.start()
    pump(conn, upstream)
    other.join()
    conn.close()
    upstream.close()


def main():
    listen_dir, server_path, refuse_n, count_file = sys.argv[1:5]
    refuse_n = int(refuse_n)
    path = os.path.join(listen_dir, ".s.PGSQL.5432")
    if os.path.exists(path):
        os.unlink(path)
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(path)
    lsock.listen(16)
    print("ready", flush=True)
    accepted = 0
    while True:
        conn, _ = lsock.accept()
        accepted += 1
        with open(count_file + ".tmp", "w") as f:
            f.write("%d\n" % accepted)
        os.replace(count_file + ".tmp", count_file)
        if accepted <= refuse_n:
            try:
                refuse(conn)
            finally:
                conn.close()
        else:
            threading.Thread(target=serve, args=(conn, server_path),
                             daemon=True).start()


if __name__ == "__main__":
    main()
