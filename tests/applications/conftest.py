from __future__ import annotations

import httpx
import pytest

from tests.applications.flow import set_up
from tests.conftest import AppFixture


@pytest.fixture(scope="session")
async def people(app: AppFixture, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The orgs, staff and procedure every application test shares (made once)."""
    await set_up(app, tmp_path_factory.mktemp("applications"))


@pytest.fixture
async def resident(app: AppFixture, people: None) -> httpx.AsyncClient:
    return app.client(None)  # from the internet: no zone
