"""Trusting an outside OIDC issuer: its RS256 tokens name a local account."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import Engine

from api.app import create_app
from matcher.service import accounts
from matcher.store.engine import session_scope
from tests.api.conftest import SETTINGS, Clock

ISSUER = "https://id.example.org/realms/lead"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks() -> str:
    public = json.loads(RSAAlgorithm.to_jwk(KEY.public_key()))
    return json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]})


def token(key: rsa.RSAPrivateKey = KEY, **claims: object) -> str:
    now = datetime.now(UTC)
    body = {
        "iss": ISSUER,
        "aud": "lead-matcher-api",
        "sub": "u-1",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "preferred_username": "ana@example.org",
        **claims,
    }
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
def oidc_client(app_engine: Engine, clock: Clock) -> Iterator[TestClient]:
    with session_scope(app_engine) as s:
        accounts.create_account(
            s,
            username="ana@example.org",
            role="case_manager",
            password=None,
            subject_id="cm-ana",
            now=datetime.now(UTC),
        )
    settings = SETTINGS.model_copy(update={"oidc_issuer": ISSUER, "oidc_jwks": jwks()})
    with TestClient(create_app(settings, engine=app_engine, clock=clock)) as c:
        yield c


def test_an_issuer_token_names_a_local_account(oidc_client: TestClient) -> None:
    url = "/case-managers/cm-ana/participants"
    ok = oidc_client.get(url, headers={"Authorization": f"Bearer {token()}"})
    assert ok.status_code == 200
    bad = {
        "other key": token(OTHER),
        "other issuer": token(iss="https://evil.example.org"),
        "other audience": token(aud="someone-else"),
        "expired": token(exp=datetime.now(UTC) - timedelta(minutes=1)),
        "unknown user": token(preferred_username="mallory@example.org"),
    }
    for name, value in bad.items():
        assert (
            oidc_client.get(url, headers={"Authorization": f"Bearer {value}"}).status_code == 401
        ), name
    # The issuer proves who someone is; the local account decides what they may see.
    assert (
        oidc_client.get(
            "/case-managers/cm-bob/participants", headers={"Authorization": f"Bearer {token()}"}
        ).status_code
        == 404
    )
