"""Client ID metadata documents: an https URL as client_id, fetched only when an operator turns
the feature on, within strict limits (https, public addresses after DNS, no redirects, 5 KB),
and held to the rules every client obeys. The network is replaced by a fake resolver and a fake
connection pool, so the tests see exactly what the server would have connected to."""

import json
import socket

import pytest
import urllib3
from oauth2_provider import cimd

from oauth_portal.server.models import Application
from tests.oauth_helpers import authorize_url, pkce_pair

pytestmark = pytest.mark.django_db

CLIENT_ID = "https://tool.example.test/oauth/client.json"
REDIRECT_URI = "https://tool.example.test/callback"
PUBLIC_IP = "93.184.216.34"


def document(**changes) -> dict:
    return {
        "client_id": CLIENT_ID,
        "client_name": "Example tool",
        "redirect_uris": [REDIRECT_URI],
        "token_endpoint_auth_method": "none",
        "scope": "openid colors:read",
        **changes,
    }


class FakeResponse:
    def __init__(self, status: int, body: bytes, headers: dict):
        self.status, self.body, self.headers = status, body, headers

    def read(self, amount=None):
        return self.body[:amount]

    def release_conn(self):
        pass


class Network:
    """DNS answers and HTTP responses, and a record of every connection attempted."""

    def __init__(self):
        self.addresses = [PUBLIC_IP]
        self.status, self.headers = 200, {"Content-Type": "application/json"}
        self.body = json.dumps(document()).encode()
        self.connections: list[tuple[str, str]] = []

    def getaddrinfo(self, host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in self.addresses]

    def pool(self, host, port, **kwargs):
        network = self

        class Pool:
            def urlopen(self, method, path, **kw):
                assert kw["redirect"] is False
                network.connections.append((host, kwargs["server_hostname"]))
                return FakeResponse(network.status, network.body, network.headers)

            def close(self):
                pass

        return Pool()


@pytest.fixture
def network(monkeypatch):
    fake = Network()
    monkeypatch.setattr(cimd.socket, "getaddrinfo", fake.getaddrinfo)
    monkeypatch.setattr(urllib3, "HTTPSConnectionPool", fake.pool)
    return fake


@pytest.fixture
def documents_on(settings):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "CIMD_ENABLED": True}


def authorize(signed_in, client_id: str = CLIENT_ID, **extra):
    _verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "colors:read",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return signed_in.get(authorize_url(params))


def assert_refused(response, network, *, connected: bool = False):
    assert response.status_code in (400, 403)
    assert "Location" not in response  # the error page; never a redirect to the document's URIs
    assert not Application.objects.filter(client_id=CLIENT_ID).exists()
    assert bool(network.connections) is connected


def test_documents_are_not_fetched_unless_turned_on(signed_in, network, client):
    assert_refused(authorize(signed_in), network)
    assert (
        client.get("/o/.well-known/openid-configuration").json()[
            "client_id_metadata_document_supported"
        ]
        is False
    )


def test_a_valid_document_makes_a_client_that_reaches_the_consent_page(
    signed_in, network, documents_on, client
):
    response = authorize(signed_in)

    assert response.status_code == 200, response.content[:300]
    assert b"Example tool" in response.content
    app = Application.objects.get(client_id=CLIENT_ID)
    assert app.registration_source == Application.RegistrationSource.CIMD
    assert app.is_public and app.redirect_uris == REDIRECT_URI
    # The scopes the document names, and no others.
    assert sorted(app.allowed_scopes.values_list("name", flat=True)) == ["colors:read", "openid"]
    assert authorize(signed_in, scope="openid colors:write")["Location"].find("invalid_scope") > 0
    # Connected to the address it checked, with TLS names and Host for the real host name.
    assert network.connections == [(PUBLIC_IP, "tool.example.test")]
    # Cached: the next request does not fetch again.
    assert authorize(signed_in).status_code == 200
    assert len(network.connections) == 1
    assert (
        client.get("/o/.well-known/openid-configuration").json()[
            "client_id_metadata_document_supported"
        ]
        is True
    )


@pytest.mark.parametrize(
    "addresses",
    [
        ["10.0.0.5"],
        ["127.0.0.1"],
        ["169.254.169.254"],  # cloud metadata service
        ["::1"],
        ["::ffff:10.0.0.1"],  # a private IPv4 dressed as IPv6
        [PUBLIC_IP, "192.168.1.10"],  # one private answer spoils the host
    ],
)
def test_private_loopback_and_link_local_addresses_are_never_fetched(
    signed_in, network, documents_on, addresses
):
    network.addresses = addresses
    assert_refused(authorize(signed_in), network)


def test_plain_http_client_id_is_not_a_document(signed_in, network, documents_on):
    response = authorize(signed_in, client_id="http://tool.example.test/oauth/client.json")
    assert response.status_code in (400, 403)
    assert network.connections == []


def test_a_document_over_5_kb_is_refused(signed_in, network, documents_on):
    network.body = json.dumps(document(padding="x" * 6000)).encode()
    assert_refused(authorize(signed_in), network, connected=True)


def test_a_redirect_is_not_followed(signed_in, network, documents_on):
    network.status, network.headers = 302, {"Location": "https://10.0.0.5/client.json"}
    assert_refused(authorize(signed_in), network, connected=True)
    assert len(network.connections) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"redirect_uris": ["http://tool.example.test/callback"]},  # plain http off loopback
        {"redirect_uris": ["https://tool.example.test/callback#x"]},
        {"scope": "colors:read colors:delete-everything"},
        {"client_id": "https://someone-else.example.test/client.json"},
        {"token_endpoint_auth_method": "client_secret_basic"},
    ],
)
def test_a_document_breaking_our_client_rules_is_refused(signed_in, network, documents_on, changes):
    network.body = json.dumps(document(**changes)).encode()
    assert_refused(authorize(signed_in), network, connected=True)
