"""bot.rasa.speedups validates action server responses exactly as Rasa's own schema does."""
import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

from bot.rasa import speedups

GOOD = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "industry", "value": "餐饮"},
                {"event": "active_loop", "name": None}, {"event": "followup", "name": "utter_greet"}],
     "responses": [{"text": "您好"}]},
    {"events": [{"event": "bot", "text": "hi", "data": {}, "timestamp": None}]},
]
BAD = [
    {"events": "not a list"},
    {"events": [{"name": "no event key"}]},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot"}]},                      # slot without a name
    {"events": [{"event": "user", "text": 5}]},           # text must be a string
    {"responses": [1]},
]


@pytest.mark.parametrize("result", GOOD)
def test_accepts_what_rasa_accepts(result):
    validate(result, RemoteAction.action_response_format_spec())
    assert speedups._validate_action_result(None, result) is True


@pytest.mark.parametrize("result", BAD)
def test_rejects_what_rasa_rejects(result):
    with pytest.raises(ValidationError):
        validate(result, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError):
        speedups._validate_action_result(None, result)


def test_installed_explicitly_by_the_conversation_store(tmp_path):
    from bot.rasa.tracker_store import ConversationStore
    from rasa.shared.core.domain import Domain

    ConversationStore(Domain.empty(), url=f"sqlite:///{tmp_path / 'tracker.db'}")
    assert RemoteAction._validate_action_result is speedups._validate_action_result
    assert speedups.install() is True  # once is enough; a second call changes nothing


def test_skipped_with_a_warning_on_another_rasa(monkeypatch, caplog):
    monkeypatch.setattr(RemoteAction, "_validate_action_result", speedups._rasa_validate)
    monkeypatch.setattr(speedups.rasa, "__version__", "3.7.0")
    assert speedups.install() is False
    assert RemoteAction._validate_action_result is speedups._rasa_validate
    assert "not what this was written for" in caplog.text
