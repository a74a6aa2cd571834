"""A trial SMTP relay for make compose: accepts every message on port 1025
and writes it, as received, to /var/spool/relay/<n>.eml, with the envelope
recipients in a first header line (X-Relay-To). Nothing is delivered."""

import os
import signal
import threading

from aiosmtpd.controller import Controller

SPOOL = os.environ.get("RELAY_SPOOL", "/var/spool/relay")
PORT = int(os.environ.get("RELAY_PORT", "1025"))


class Keep:
    def __init__(self):
        self.n = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            n = self.n
        name = os.path.join(SPOOL, "%06d.eml" % n)
        tmp = name + ".partial"
        with open(tmp, "wb") as f:
            f.write(b"X-Relay-To: " + ", ".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, name)
        print("relay: %s for %s" % (os.path.basename(name), ", ".join(envelope.rcpt_tos)), flush=True)
        return "250 OK kept"


def main():
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    controller = Controller(Keep(), hostname="0.0.0.0", port=PORT,
                            ready_timeout=10, data_size_limit=10 * 1024 * 1024)
    controller.start()
    print("relay: listening on port %d, keeping messages in %s" % (PORT, SPOOL), flush=True)
    done.wait()
    controller.stop()


if __name__ == "__main__":
    main()
