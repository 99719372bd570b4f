"""The report cache is shared by the server processes of a host, or between hosts."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.cache.backends.filebased import FileBasedCache
from django.core.exceptions import ImproperlyConfigured

from tsunagu.core import file_cache
from tsunagu.settings import cache_settings


def test_by_default_a_private_folder_in_the_data_folder_shared_by_processes(
    tmp_path: Path,
) -> None:
    config = cache_settings("", tmp_path)["default"]
    assert config["BACKEND"].endswith("FileBasedCache")
    folder = Path(config["LOCATION"])
    assert folder == tmp_path / "cache" and folder.stat().st_mode & 0o077 == 0
    # Two processes build their own cache object from the same settings: what one
    # computed, the other reads.
    one = FileBasedCache(config["LOCATION"], {})
    other = FileBasedCache(config["LOCATION"], {})
    one.set("reports:x", {"advised": 3})
    assert other.get("reports:x") == {"advised": 3}


def test_redis_and_per_process_and_nothing_else(tmp_path: Path) -> None:
    redis = cache_settings("redis://127.0.0.1:6379/3", tmp_path)["default"]
    assert redis == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/3",
    }
    assert cache_settings("locmem", tmp_path)["default"]["BACKEND"].endswith("LocMemCache")
    with pytest.raises(ImproperlyConfigured, match="TSUNAGU_CACHE_URL"):
        cache_settings("memcached://x", tmp_path)


def test_the_folder_is_culled_when_it_holds_too_many_entries(tmp_path: Path) -> None:
    """The default backend counts its files cheaply, and still culls (Django's own
    cull: a third of the entries) once there are `MAX_ENTRIES`."""
    config = cache_settings("", tmp_path)["default"]
    assert config["BACKEND"] == "tsunagu.core.file_cache.FileBasedCache"
    small = file_cache.FileBasedCache(config["LOCATION"], {"OPTIONS": {"MAX_ENTRIES": 6}})
    for i in range(6):
        small.set(f"k{i}", i)
    assert len(list(Path(config["LOCATION"]).iterdir())) == 6
    small.set("k6", 6)  # six entries already: a third of them go first
    assert len(list(Path(config["LOCATION"]).iterdir())) == 5
    assert small.get("k6") == 6
