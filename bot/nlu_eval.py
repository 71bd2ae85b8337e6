"""Held-out NLU evaluation: intent macro-F1 and entity canonical-value accuracy.

`python -m bot nlu-eval --model models/zct.tar.gz --data data/nlu_test --min-f1 0.90`
exits 1 when macro-F1 is below --min-f1, so `make test` fails on a regression.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Tuple

from bot.nlu import ProfileEntityNormalizer


def gold_entities(message) -> List[Tuple[str, Any]]:
    out = []
    for entity in message.get("entities") or []:
        normalized = ProfileEntityNormalizer.normalize_entity(dict(entity))
        if normalized is not None:
            out.append((normalized["entity"], normalized["value"]))
    return out


async def evaluate(model: str, data: str) -> Dict[str, Any]:
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data
    from sklearn.metrics import classification_report, f1_score

    import jieba

    agent = Agent.load(model)
    # The JiebaTokenizer loads our user dictionary into jieba when the model loads.
    dictionary_loaded = jieba.lcut("六税两费减半和创业担保贷款")[:1] == ["六税两费"]
    examples = [m for m in load_data(data).intent_examples]
    gold, predicted, errors = [], [], []
    entity_total = entity_hit = 0
    for message in examples:
        text = message.get("text")
        parsed = await agent.parse_message(text)
        intent = (parsed.get("intent") or {}).get("name")
        gold.append(message.get("intent"))
        predicted.append(intent)
        if intent != message.get("intent"):
            errors.append({"text": text, "gold": message.get("intent"), "predicted": intent})
        got = Counter((e["entity"], e["value"]) for e in parsed.get("entities") or [])
        for item in gold_entities(message):
            entity_total += 1
            if got[item] > 0:
                got[item] -= 1
                entity_hit += 1
            else:
                errors.append({"text": text, "entity": item, "predicted_entities": list(got.elements())})
    labels = sorted(set(gold))
    return {
        "examples": len(examples),
        "intent_macro_f1": round(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0), 4),
        "intent_accuracy": round(sum(g == p for g, p in zip(gold, predicted)) / max(1, len(gold)), 4),
        "entity_total": entity_total,
        "entity_value_accuracy": round(entity_hit / entity_total, 4) if entity_total else None,
        "jieba_user_dictionary_loaded": dictionary_loaded,
        "per_intent": classification_report(gold, predicted, labels=labels, zero_division=0, output_dict=True),
        "errors": errors,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot nlu-eval")
    parser.add_argument("--model", default="models/zct.tar.gz")
    parser.add_argument("--data", default="tests/nlu_heldout")
    parser.add_argument("--min-f1", type=float, default=0.90)
    parser.add_argument("--report", default="var/nlu_eval.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    import logging

    from rasa.utils.log_utils import configure_structlog

    logging.basicConfig(level=logging.WARNING)
    configure_structlog(logging.WARNING)
    result = asyncio.run(evaluate(args.model, args.data))
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    for error in result["errors"][:40]:
        print("  ✗", json.dumps(error, ensure_ascii=False))
    print(f"NLU held-out: {result['examples']} examples, intent macro-F1 {result['intent_macro_f1']:.3f} "
          f"(accuracy {result['intent_accuracy']:.3f}), entity canonical-value accuracy "
          f"{result['entity_value_accuracy']} over {result['entity_total']} entities; report {args.report}")
    print(f"jieba user dictionary loaded with the model: {result['jieba_user_dictionary_loaded']}")
    if not result["jieba_user_dictionary_loaded"]:
        print("✗ the jieba user dictionary (data/jieba) was not loaded")
        return 1
    if result["intent_macro_f1"] < args.min_f1:
        print(f"✗ intent macro-F1 below {args.min_f1}")
        return 1
    return 0
