"""Keys: shown once, stored hashed, mapped to a user and role; write keys only ingest."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from leadpact.service.auth import (
    AccessDeniedError,
    KeyCreationError,
    hash_key,
    require_action,
    require_agreement_admin,
    require_ingest,
    require_reader,
)
from leadpact.service.container import Services


def test_a_user_key_authenticates_as_its_user_and_is_stored_hashed(services: Services) -> None:
    key = services.access.create_user_key("tanaka", "inside_sales", 0)
    who = services.access.authenticate(key)
    assert (who.name, who.role) == ("tanaka", "inside_sales")
    with services.store.read() as conn:
        stored = [row[0] for row in conn.execute(text("SELECT key_hash FROM api_keys"))]
    assert stored == [hash_key(key)] and key not in stored


def test_a_write_key_may_ingest_but_not_read(services: Services) -> None:
    who = services.access.authenticate(services.access.create_write_key("site", 0))
    require_ingest(who)
    with pytest.raises(AccessDeniedError) as denied:
        require_reader(who)
    assert denied.value.status == 403


def test_unknown_or_missing_keys_are_unauthorised(services: Services) -> None:
    for key in (None, "", "lpk_nope", "lpw_nope"):
        with pytest.raises(AccessDeniedError) as denied:
            services.access.authenticate(key)
        assert denied.value.status == 401


def test_roles_decide_actions_and_agreement_changes(services: Services) -> None:
    viewer = services.access.authenticate(services.access.create_user_key("v", "viewer", 0))
    seller = services.access.authenticate(services.access.create_user_key("s", "field_sales", 0))
    admin = services.access.authenticate(services.access.create_user_key("root", "admin", 0))
    with pytest.raises(AccessDeniedError):
        require_action(viewer, "accept")
    with pytest.raises(AccessDeniedError):
        require_action(seller, "accept")
    assert require_action(seller, "win") == "field_sales"
    assert require_action(admin, "accept") == "admin"
    with pytest.raises(AccessDeniedError):
        require_agreement_admin(seller)
    with pytest.raises(AccessDeniedError):
        require_ingest(viewer)


def test_a_user_keeps_one_role(services: Services) -> None:
    services.access.create_user_key("sato", "inside_sales", 0)
    services.access.create_user_key("sato", "inside_sales", 0)  # a second key is fine
    with pytest.raises(KeyCreationError, match="already exists with role inside_sales"):
        services.access.create_user_key("sato", "admin", 0)
    with pytest.raises(KeyCreationError, match="--role"):
        services.access.create_user_key("ito", "boss", 0)
