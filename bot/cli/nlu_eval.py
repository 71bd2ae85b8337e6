"""Held-out NLU evaluation: intent macro-F1 and entity canonical-value accuracy.

`python -m bot nlu-eval --model models/zct.tar.gz --data tests/nlu_heldout tests/nlu_blind tests/nlu_blind2 --min-f1 0.90`
reports each held-out set overall and per style (one file per style) and exits 1 when any set's
macro-F1 is below --min-f1, so `make test` fails on a regression.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Tuple

from bot.rasa.nlu.normalizer import ProfileEntityNormalizer


def gold_entities(message) -> List[Tuple[str, Any]]:
    """The annotated entities as the pipeline's normaliser would give them: canonical words and
    numbers, and one region for a place annotated in touching pieces ("江苏" + "无锡")."""
    normalized = [ProfileEntityNormalizer.normalize_entity(dict(e)) for e in message.get("entities") or []]
    merged = ProfileEntityNormalizer.merge_regions(message.get("text") or "", [e for e in normalized if e is not None])
    return [(e["entity"], e["value"]) for e in merged]


def nlu_files(path: str) -> List[Path]:
    """The NLU files of a held-out set: a file, or every *.yml in a folder (READMEs ignored)."""
    p = Path(path)
    return sorted(p.glob("*.yml")) if p.is_dir() else [p]


async def _parse_all(agent, files: List[Path]) -> List[Dict[str, Any]]:
    from rasa.shared.nlu.training_data.loading import load_data

    rows = []
    for path in files:
        for message in load_data(str(path)).intent_examples:
            parsed = await agent.parse_message(message.get("text"))
            rows.append({"style": path.stem, "message": message, "parsed": parsed})
    return rows


def _score(rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    from sklearn.metrics import classification_report, f1_score

    gold, predicted, errors = [], [], []
    entity_total = entity_hit = 0
    for row in rows:
        message, parsed = row["message"], row["parsed"]
        text = message.get("text")
        intent = (parsed.get("intent") or {}).get("name")
        gold.append(message.get("intent"))
        predicted.append(intent)
        if intent != message.get("intent"):
            errors.append({"style": row["style"], "text": text, "gold": message.get("intent"), "predicted": intent})
        got = Counter((e["entity"], e["value"]) for e in parsed.get("entities") or [])
        for item in gold_entities(message):
            entity_total += 1
            if got[item] > 0:
                got[item] -= 1
                entity_hit += 1
            else:
                errors.append({"style": row["style"], "text": text, "entity": item,
                               "predicted_entities": list(got.elements())})
    labels = sorted(set(gold))
    return {
        "examples": len(rows),
        "intent_macro_f1": round(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0), 4),
        "intent_accuracy": round(sum(g == p for g, p in zip(gold, predicted)) / max(1, len(gold)), 4),
        "entity_total": entity_total,
        "entity_value_accuracy": round(entity_hit / entity_total, 4) if entity_total else None,
        "per_intent": classification_report(gold, predicted, labels=labels, zero_division=0, output_dict=True),
        "errors": errors,
    }


async def evaluate(model: str, data_sets: List[str]) -> Dict[str, Any]:
    """Scores for each held-out set, overall and per style (one file = one style)."""
    from rasa.core.agent import Agent

    import jieba

    agent = Agent.load(model)
    # The JiebaTokenizer loads our user dictionary into jieba when the model loads.
    dictionary_loaded = jieba.lcut("六税两费减半和创业担保贷款")[:1] == ["六税两费"]
    sets = {}
    for data in data_sets:
        rows = await _parse_all(agent, nlu_files(data))
        result = _score(rows)
        styles = sorted({row["style"] for row in rows})
        result["per_style"] = {style: {k: v for k, v in _score([r for r in rows if r["style"] == style]).items()
                                       if k in ("examples", "intent_macro_f1", "intent_accuracy",
                                                "entity_total", "entity_value_accuracy")}
                               for style in styles} if len(styles) > 1 else {}
        sets[data] = result
    return {"jieba_user_dictionary_loaded": dictionary_loaded, "sets": sets}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot nlu-eval")
    parser.add_argument("--model", default="models/zct.tar.gz")
    parser.add_argument("--data", nargs="+", default=["tests/nlu_heldout", "tests/nlu_blind", "tests/nlu_blind2"],
                        help="held-out sets (folders of *.yml or files), each gated on its own; "
                             "PATH:0.85 gives that set its own minimum F1")
    parser.add_argument("--min-f1", type=float, default=0.90)
    parser.add_argument("--report", default="var/nlu_eval.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    import logging

    from rasa.utils.log_utils import configure_structlog

    logging.basicConfig(level=logging.WARNING)
    configure_structlog(logging.WARNING)
    gates = {}
    for item in args.data:
        path, _, minimum = item.partition(":")
        gates[path] = float(minimum) if minimum else args.min_f1
    result = asyncio.run(evaluate(args.model, list(gates)))
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    failed = False
    for name, scores in result["sets"].items():
        for error in scores["errors"][:25]:
            print("  ✗", json.dumps(error, ensure_ascii=False))
        print(f"NLU held-out {name}: {scores['examples']} examples, intent macro-F1 {scores['intent_macro_f1']:.3f} "
              f"(accuracy {scores['intent_accuracy']:.3f}), entity canonical-value accuracy "
              f"{scores['entity_value_accuracy']} over {scores['entity_total']} entities")
        for style, figures in scores["per_style"].items():
            print(f"    {style:16s} {figures['examples']:4d} examples  F1 {figures['intent_macro_f1']:.3f}  "
                  f"accuracy {figures['intent_accuracy']:.3f}  entities {figures['entity_value_accuracy']}")
        if scores["intent_macro_f1"] < gates[name]:
            print(f"✗ {name}: intent macro-F1 below {gates[name]}")
            failed = True
    print(f"report {args.report}; jieba user dictionary loaded with the model: {result['jieba_user_dictionary_loaded']}")
    if not result["jieba_user_dictionary_loaded"]:
        print("✗ the jieba user dictionary (data/jieba) was not loaded")
        return 1
    return 1 if failed else 0
