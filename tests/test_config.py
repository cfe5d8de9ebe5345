from pathlib import Path

import pytest

from newsdigest import config

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_from_the_project_file(tmp_path: Path) -> None:
    cfg = config.load(ROOT / "newsdigest.toml", tmp_path, env={})
    assert cfg.get("schedule", "cron") == "0 8 * * 1"
    assert cfg.get("schedule", "timezone") == "Asia/Shanghai"
    assert cfg.store_url == f"sqlite:///{tmp_path / 'newsdigest.db'}"
    assert "产教融合" in [t.name for t in cfg.topics]
    assert cfg.sources[0].kind == "folder" and cfg.sources[0].path == str(ROOT / "seeds")


def test_environment_overrides_keep_the_file_types(tmp_path: Path) -> None:
    env = {
        "NEWSDIGEST_SMTP_PORT": "2525",
        "NEWSDIGEST_SMTP_HOST": "127.0.0.1",
        "NEWSDIGEST_MAIL_TO": "a@x.cn,b@x.cn",
        "NEWSDIGEST_SMTP_PASSWORD": "s3cret",
        "NEWSDIGEST_STORE_URL": "sqlite:////tmp/other.db",
    }
    cfg = config.load(ROOT / "newsdigest.toml", tmp_path, env=env)
    assert cfg.get("smtp", "port") == 2525
    assert cfg.get("smtp", "host") == "127.0.0.1"
    assert cfg.get("smtp", "mail_to") == "a@x.cn,b@x.cn"
    assert cfg.smtp_password == "s3cret"
    assert "s3cret" not in repr(cfg.sections)
    assert cfg.store_url == "sqlite:////tmp/other.db"


def test_bad_values_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match="NEWSDIGEST_SMTP_PORT"):
        config.load(ROOT / "newsdigest.toml", tmp_path, env={"NEWSDIGEST_SMTP_PORT": "many"})
    bad = tmp_path / "bad.toml"
    bad.write_text("[digest\n", encoding="utf-8")
    with pytest.raises(config.ConfigError, match="not valid TOML"):
        config.load(bad, tmp_path, env={})
    with pytest.raises(config.ConfigError, match="not found"):
        config.load(tmp_path / "missing.toml", tmp_path, env={})
