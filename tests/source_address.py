"""HTTP sessions that send from a chosen local address: the whole of 127.0.0.0/8 is loopback,
so a test's attacker binds 127.0.0.66 and the server sees another client than 127.0.0.1."""

import requests
from requests.adapters import HTTPAdapter


class SourceAddressAdapter(HTTPAdapter):
    """Sends every request from one local address."""

    def __init__(self, source_address: str, **kwargs):
        self.source_address = (source_address, 0)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = self.source_address
        super().init_poolmanager(*args, **kwargs)


def session_from(address: str) -> requests.Session:
    session = requests.Session()
    for scheme in ("http://", "https://"):
        session.mount(scheme, SourceAddressAdapter(address))
    return session
