"""The repository contract, unchanged, against SQLite and PostgreSQL through ``SqlUnitOfWork``."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.contract.repository_contract import RepositoryContract
from tests.integration.conftest import UowFactory, sql_uow_factory


class TestSqliteRepository(RepositoryContract):
    """The shared contract over a migrated SQLite file."""

    @pytest.fixture
    def uow_factory(self, sqlite_engine: Engine) -> UowFactory:
        return sql_uow_factory(sqlite_engine)


@pytest.mark.postgres
class TestPostgresRepository(RepositoryContract):
    """The shared contract over the suite's migrated PostgreSQL database."""

    @pytest.fixture
    def uow_factory(self, postgres_engine: Engine) -> UowFactory:
        return sql_uow_factory(postgres_engine)
