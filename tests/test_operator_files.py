"""What an operator is handed agrees with itself: .env.example with the README, a systemd unit systemd accepts."""

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
QUICK_START_ONLY = {"NEWS_SOURCES"}  # examples/news, with a comment saying it is for the quick start


def readme_defaults() -> dict[str, str]:
    """The configuration table of the README: variable -> default ("" for none)."""
    rows = re.findall(r"^\| `([A-Z_]+)` \| (.+?) \|", (ROOT / "README.md").read_text(), re.MULTILINE)
    return {name: "" if default == "none" else default.strip("`") for name, default in rows}


def test_env_example_defaults_are_the_readme_defaults():
    documented = readme_defaults()
    example = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            example[name] = value
    assert set(example) == set(documented)  # every variable in both
    differ = {name: (value, documented[name]) for name, value in example.items()
              if value and value != documented[name] and name not in QUICK_START_ONLY}
    assert differ == {}
    assert "quick start only" in (ROOT / ".env.example").read_text()
    # and the settings read from it are the built-in defaults, but for the quick-start sources
    settings = load_settings({}, env_file=ROOT / ".env.example")
    assert (settings.digest_tz.key, settings.source_tz.key) == ("UTC", "UTC")


def test_the_systemd_unit_restarts_on_failure_as_its_own_user_with_its_settings_and_data_folder(tmp_path):
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # systemd keys are case-sensitive
    unit.read(ROOT / "examples" / "newsdigest.service")
    service = unit["Service"]
    assert service["Restart"] == "on-failure" and service["RestartPreventExitStatus"] == "2"
    assert service["User"] == "newsdigest" and service["EnvironmentFile"] == "/etc/newsdigest/newsdigest.env"
    assert service["StateDirectory"] == "newsdigest" and service["WorkingDirectory"] == "/var/lib/newsdigest"
    assert service["ExecStart"] == "/opt/newsdigest/bin/newsdigest run"
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed: the unit's syntax is not checked")
    text = (ROOT / "examples" / "newsdigest.service").read_text()
    copy = tmp_path / "newsdigest.service"  # with an ExecStart that exists here
    copy.write_text(text.replace("/opt/newsdigest/bin/newsdigest", str(Path(sys.executable).with_name("newsdigest"))))
    result = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout + result.stderr == ""


def test_the_readme_s_topic_map_example_loads_and_does_what_it_says(tmp_path):
    from digests.sources import Source, load_sources_file

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = readme[readme.index("#### The topic map"):].split("```toml", 1)[1].split("```", 1)[0]
    (tmp_path / "sources.toml").write_text(example, encoding="utf-8")
    abc, metan = load_sources_file(tmp_path / "sources.toml")
    assert abc.rules.topics(["Federal Government", "Cricket"]) == ["Politics"]
    assert metan.rules.topics(["АГНКС «Лида»"]) == ["Belarus"]
    # the [topics] table holds for every source, one of NEWS_SOURCES too
    anywhere = Source(location="/srv/drop", topic_map=abc.topic_map).rules
    assert anywhere.topics(["Argument", "Behind The Blog", "India", "Cronaca"]) == ["Opinion", "India", "Crime"]
