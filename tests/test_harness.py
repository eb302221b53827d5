"""The test harness itself: where ../shared is absent, tests skip, or fail under NEWSDIGEST_REQUIRE_SHARED."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("required", "outcome"), [("", "3 skipped"), ("1", "2 failed, 1 error")])  # the sample: a fixture
def test_tests_that_read_shared_data_skip_or_fail_where_it_is_absent(tmp_path, required, outcome):
    """A copy of the tests in a folder with no ../shared beside it: the sample, an attack file and the
    feedparser suite (one case where the folder is absent) skip, or fail as .ci/run wants."""
    shutil.copytree(ROOT / "tests", tmp_path / "repo" / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "repo")
    env = {**{k: v for k, v in os.environ.items() if k != "NEWSDIGEST_SHARED"}, "PYTHONPATH": str(ROOT),
           "NEWSDIGEST_REQUIRE_SHARED": required}
    selected = ["tests/test_summary.py::test_sample_summary",
                "tests/test_parsing.py::test_shared_xml_attacks_are_refused[defusedxml/xmlbomb.xml]",
                "tests/test_feeds.py::test_feedparser_suite"]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *selected], env=env,
                         cwd=tmp_path / "repo", capture_output=True, text=True, timeout=120)
    assert not (tmp_path / "shared").exists()
    assert outcome in run.stdout.splitlines()[-1], run.stdout
    assert run.returncode == (1 if required else 0)
    if required:
        assert "is absent" in run.stdout and "NEWSDIGEST_REQUIRE_SHARED is set" in run.stdout
