"""The event registry: one declaration per kind (payload type, instrument, rule), and it agrees
with the tables ``events.Event`` validates against."""

from __future__ import annotations

import inspect
import typing

import pytest

from pipedeal.ledger import events, rules
from pipedeal.ledger.events import EventKind
from pipedeal.ledger.registry import RULES, check_registry, register


def test_every_kind_is_registered_once_and_agrees_with_events():
    assert set(RULES) == set(EventKind)
    for kind, rule in RULES.items():
        assert rule.kind is kind
        assert rule.payload is events.PAYLOADS[kind], kind
        assert rule.applies_to == events.INSTRUMENT_TYPE[kind], kind
    check_registry()  # what rules runs at import


def test_apply_dispatches_through_the_registry():
    assert {kind: rule.handler for kind, rule in RULES.items()} == rules._RULES


def test_handlers_take_their_concrete_payload_type():
    for kind, rule in RULES.items():
        hints = typing.get_type_hints(rule.handler)
        params = list(inspect.signature(rule.handler).parameters)
        assert len(params) == 4, kind
        assert hints[params[3]] is rule.payload, kind


def test_registering_a_kind_twice_is_refused():
    with pytest.raises(RuntimeError, match="registered twice"):
        register(EventKind.MEMO, payload=events.Memo, applies_to="any")(lambda c, b, e, p: b)
    assert RULES[EventKind.MEMO].handler.__name__ == "_memo"


def test_a_disagreement_with_events_is_caught(monkeypatch):
    monkeypatch.setitem(events.PAYLOADS, EventKind.MEMO, events.Empty)
    with pytest.raises(RuntimeError, match="memo: registered payload Memo"):
        check_registry()
    monkeypatch.setitem(events.PAYLOADS, EventKind.MEMO, events.Memo)
    monkeypatch.setitem(events.INSTRUMENT_TYPE, EventKind.MEMO, "deal")
    with pytest.raises(RuntimeError, match="memo: registered for any"):
        check_registry()


def test_an_unregistered_kind_is_caught(monkeypatch):
    monkeypatch.delitem(RULES, EventKind.MEMO)
    with pytest.raises(RuntimeError, match="without a rule: memo"):
        check_registry()


def test_old_import_paths_still_work():
    from pipedeal.ledger.rules import (  # noqa: F401
        ONE_DAY,
        Book,
        DealTotals,
        ElectionWindow,
        LedgerState,
        NoteState,
        RegistrationState,
        RuleViolation,
        WarrantState,
        _dec,
        _Note,
        accrued_exact,
        apply,
        fold,
        payable_interest,
        replay,
        snapshot,
    )
