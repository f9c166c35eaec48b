"""A TCP proxy on 127.0.0.1 that can turn into a black hole: a network that drops packets.

``TcpProxy(host, port)`` forwards every connection to the target. After ``black_hole()`` it still
accepts connections, but forwards nothing in either direction, on new connections and on those
already open: what a client sees when packets are dropped and nothing is refused. ``restore()``
closes the connections it held (their conversation is lost, as after a real outage) and forwards
again. One thread runs it; ``close()`` (or the context manager) stops it.
"""
import selectors
import socket
import threading

BUFFER = 65536


class TcpProxy:
    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.held = []  # sockets accepted or frozen while black-holed: never read, never forwarded
        self.accepted_while_held = 0
        self._peers = {}
        self._holding = False
        self._guard = threading.Lock()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.listener, selectors.EVENT_READ)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tcp-proxy", daemon=True)
        self._thread.start()

    def black_hole(self):
        """From now on nothing passes: open connections freeze, new ones are accepted and then ignored."""
        with self._guard:
            self._holding = True
            for sock in list(self._peers):
                self._selector.unregister(sock)
                self.held.append(sock)
            self._peers.clear()

    def restore(self):
        """Drop the frozen connections and forward new ones again."""
        with self._guard:
            self._holding = False
            held, self.held = self.held, []
        for sock in held:
            sock.close()

    def _accept(self):
        client, _ = self.listener.accept()
        if self._holding:
            self.held.append(client)
            self.accepted_while_held += 1
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        for sock, peer in ((client, upstream), (upstream, client)):
            sock.setblocking(True)
            self._peers[sock] = peer
            self._selector.register(sock, selectors.EVENT_READ)

    def _forward(self, sock):
        peer = self._peers.get(sock)
        if peer is None:
            return
        try:
            data = sock.recv(BUFFER)
            if data:
                peer.sendall(data)
                return
        except OSError:
            pass
        for end in (sock, peer):
            self._peers.pop(end, None)
            self._selector.unregister(end)
            end.close()

    def _run(self):
        while not self._stopped.is_set():
            for key, _ in self._selector.select(0.05):
                with self._guard:
                    if key.fileobj is self.listener:
                        self._accept()
                    else:
                        self._forward(key.fileobj)

    def close(self):
        self._stopped.set()
        self._thread.join(5)
        self.restore()
        for sock in list(self._peers):
            sock.close()
        self.listener.close()
        self._selector.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
