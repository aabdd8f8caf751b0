#!/usr/bin/env python3
"""Verifies the first DKIM signature of the message on stdin with dkimpy (Debian's python3-dkim), a
verifier independent of the signer the relay uses, looking the key up in the DNS server named by
the first argument ("127.0.0.1:PORT", a test's server on loopback) and nowhere else.

Prints one JSON object: {"verified": bool, "d": ..., "s": ..., "a": ..., "h": [...], "reason": ...}.
Exit status 0 whatever the verdict; 2 on a usage error.
"""
import json
import logging
import sys

import dkim
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype


class Reasons(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def main():
    if len(sys.argv) != 2 or ":" not in sys.argv[1]:
        print("usage: dkimVerify.py HOST:PORT < message.eml", file=sys.stderr)
        return 2
    host, port = sys.argv[1].rsplit(":", 1)

    def dnsfunc(name, timeout=5):
        query = dns.message.make_query(name.decode("ascii") if isinstance(name, bytes) else name, dns.rdatatype.TXT)
        # UDP first, TCP when the answer is truncated: a 2048-bit key's record is near the UDP limit
        answer, _ = dns.query.udp_with_fallback(query, host, port=int(port), timeout=timeout)
        if answer.rcode() != dns.rcode.NOERROR:
            return None
        for rrset in answer.answer:
            if rrset.rdtype == dns.rdatatype.TXT:
                return b"".join(list(rrset.items)[0].strings)
        return None

    reasons = Reasons()
    logger = logging.getLogger("dkimVerify")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(reasons)
    message = sys.stdin.buffer.read()
    verifier = dkim.DKIM(message, logger=logger, minkey=1024)
    try:
        verified = bool(verifier.verify(dnsfunc=dnsfunc))
    except Exception as error:  # dkimpy lets some key mismatches out as other errors (nacl's ValueError)
        verified = False
        reasons.lines.append(f"{type(error).__name__}: {error}")
    fields = getattr(verifier, "signature_fields", None) or {}
    text = lambda key: fields[key].decode("ascii", "replace") if key in fields else None
    print(json.dumps({
        "verified": verified,
        "d": text(b"d"),
        "s": text(b"s"),
        "a": text(b"a"),
        "c": text(b"c"),
        "h": [h.decode("ascii") for h in getattr(verifier, "include_headers", ())],
        "reason": "; ".join(line for line in reasons.lines if not line.startswith("sig:"))[-2000:],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
