"""Fresh databases for tests: a migrated SQLite template copied per test, or a PostgreSQL schema
migrated once per session and truncated per test (when DATABASE_URL is set)."""
import os
import shutil
import uuid
from urllib.parse import quote

import sqlalchemy as sa

from consent_service import config


class SQLiteDatabases:
    kind = "sqlite"

    def __init__(self, directory):
        self.directory = directory
        self.template = os.path.join(directory, "template.sqlite3")

    def template_uri(self):
        return f"sqlite:///{self.template}"

    def fresh(self):
        """A new database file, a copy of the migrated template."""
        path = os.path.join(self.directory, f"{uuid.uuid4().hex}.sqlite3")
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def drop(self):
        pass


class PostgresDatabases:
    kind = "postgresql"

    def __init__(self, url):
        self.base = config.database_uri(url, "")
        self.schema = f"test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.admin = sa.create_engine(self.base, poolclass=sa.pool.NullPool)
        with self.admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{self.schema}"'))

    def template_uri(self):
        separator = "&" if "?" in self.base else "?"
        return f"{self.base}{separator}options={quote(f'-csearch_path={self.schema}')}"

    def fresh(self, keep=()):
        """The session's schema, emptied (but for the tables named in ``keep``)."""
        with self.admin.begin() as connection:
            tables = connection.execute(sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = :schema AND tablename <> 'alembic_version'"
            ), {"schema": self.schema}).scalars().all()
            tables = [table for table in tables if table not in keep]
            if tables:
                names = ", ".join(f'"{self.schema}"."{table}"' for table in tables)
                connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return self.template_uri()

    def drop(self):
        with self.admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{self.schema}" CASCADE'))
        self.admin.dispose()


def make_databases(tmp_dir):
    url = os.environ.get("DATABASE_URL")
    return PostgresDatabases(url) if url else SQLiteDatabases(tmp_dir)
