"""`python -m bot wechat menu publish` (bot.cli.wechat.main) against the fake
WeChat API."""
from pathlib import Path

import pytest
import yaml

from bot.cli.wechat import main
from tests.channels.conftest import APPID, SECRET

MENU_FILE = Path(__file__).resolve().parents[2] / "bot" / "wechat_menu.yml"


@pytest.fixture
def api(wechat_api, monkeypatch):
    wechat_api.reset()
    monkeypatch.setenv("WECHAT_APPID", APPID)
    monkeypatch.setenv("WECHAT_SECRET", SECRET)
    monkeypatch.setenv("WECHAT_API_BASE", wechat_api.url)
    monkeypatch.delenv("WECHAT_MENU_FILE", raising=False)
    yield wechat_api
    wechat_api.reset()


def names(buttons):
    for b in buttons:
        yield b["name"]
        yield from names(b.get("sub_button", []))


def test_publish_sends_the_yaml_menu(api, capsys):
    assert main(["menu", "publish"]) == 0
    assert "菜单已发布" in capsys.readouterr().out
    (call,) = api.calls_of("menu")
    sent = call["json"]
    expected = yaml.safe_load(MENU_FILE.read_text(encoding="utf-8"))["menu"]
    assert list(names(sent["button"])) == list(names(expected["button"]))
    assert "FIND_POLICIES" in call["raw"].decode("utf-8")
    # our own keys (intent/reply) are not sent; names go as UTF-8, not \\u escapes
    assert "intent" not in call["raw"].decode("utf-8") and "reply" not in call["raw"].decode("utf-8")
    assert "找政策".encode("utf-8") in call["raw"]
    assert len(sent["button"]) <= 3 and all(len(b.get("sub_button", [])) <= 5 for b in sent["button"])


def test_publish_reports_api_error(api, capsys):
    api.fail_next("menu", 40018)
    assert main(["menu", "publish"]) == 1
    err = capsys.readouterr().err
    assert "40018" in err and "名称过长" in err


def test_publish_refreshes_expired_token(api):
    api.fail_next("menu", 42001)
    assert main(["menu", "publish"]) == 0
    assert [c["answer"]["errcode"] for c in api.calls_of("menu")] == [42001, 0]
    assert len(api.calls_of("token")) == 2


def test_publish_without_credentials(api, monkeypatch, capsys):
    monkeypatch.delenv("WECHAT_SECRET")
    assert main(["menu", "publish"]) == 1
    assert "WECHAT_SECRET" in capsys.readouterr().err
    assert api.calls_of("menu") == []


def test_publish_wrong_secret(api, monkeypatch, capsys):
    monkeypatch.setenv("WECHAT_SECRET", "wrong")
    assert main(["menu", "publish"]) == 1
    assert "40125" in capsys.readouterr().err


def test_publish_unreachable_api(api, monkeypatch, capsys):
    from tests.support.servers import free_port

    monkeypatch.setenv("WECHAT_API_BASE", f"http://127.0.0.1:{free_port()}")
    assert main(["menu", "publish"]) == 1
    assert "无法连接" in capsys.readouterr().err


def test_broken_menu_file(api, tmp_path, capsys):
    bad = tmp_path / "menu.yml"
    bad.write_text("menu: [not, a, mapping", encoding="utf-8")
    assert main(["menu", "publish", "--file", str(bad)]) == 1
    assert "菜单文件有误" in capsys.readouterr().err


def test_dry_run_prints_json(api, capsys):
    assert main(["menu", "publish", "--dry-run"]) == 0
    assert "找政策" in capsys.readouterr().out
    assert api.calls == []


def test_usage_error(capsys):
    assert main(["menu"]) == 2
    assert main(["nonsense"]) == 2
