"""Where the store lives (store/url.py)."""

import pytest

from neuroscape.errors import DataError
from neuroscape.store.url import database_url, safe_url


def test_default_is_a_sqlite_file_in_the_user_data_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("NEUROSCAPE_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert database_url() == f"sqlite:///{tmp_path / 'neuroscape' / 'neuroscape.db'}"


def test_the_environment_overrides_and_a_bare_path_is_sqlite(monkeypatch, tmp_path):
    monkeypatch.setenv("NEUROSCAPE_DB", str(tmp_path / "x.db"))
    assert database_url() == f"sqlite:///{tmp_path / 'x.db'}"
    assert database_url("postgresql://u:secret@127.0.0.1/db") == "postgresql+psycopg://u:secret@127.0.0.1/db"
    assert "secret" not in safe_url("postgresql+psycopg://u:secret@127.0.0.1/db")


@pytest.mark.parametrize("value, message", [
    ("mysql://u@h/db", "'mysql' databases are not supported"),
    ("/no/such/folder/x.db", "the folder /no/such/folder does not exist"),
])
def test_bad_locations_name_the_fix(value, message):
    with pytest.raises(DataError, match=message):
        database_url(value)


def test_a_folder_is_not_a_database(tmp_path):
    with pytest.raises(DataError, match="is a folder; give a database file"):
        database_url(str(tmp_path))
