"""The pure rules of an assessment: which answers are valid, how a level is reached.

Nothing here touches the database; the service and the tests call these on the
instrument's definition (a validated dict).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tsunagu.cases.timeline import Refusal


@dataclass(frozen=True)
class Answer:
    rating: str
    note: str = ""


def check_answers(definition: dict[str, Any], answers: dict[str, Answer]) -> None:
    """Refuse an unknown item, a rating outside its scale, a missing required item."""
    items = {item["id"]: item for s in definition["sections"] for item in s["items"]}
    for item_id in answers:
        if item_id not in items:
            raise Refusal("This item is not in the instrument.", field=f"items.{item_id}")
    for item_id, item in items.items():
        answer = answers.get(item_id)
        if answer is None or not answer.rating:
            if item.get("required", True):
                raise Refusal("This item must be answered.", field=f"items.{item_id}")
            continue
        values = [option["value"] for option in definition["scales"][item["scale"]]]
        if answer.rating not in values:
            raise Refusal("This rating is not on the item's scale.", field=f"items.{item_id}")


def positive_count(definition: dict[str, Any], answers: dict[str, Answer]) -> int:
    """How many answers are positive (for a `count` summary, or as an aid)."""
    positive = {
        (name, option["value"])
        for name, scale in definition["scales"].items()
        for option in scale
        if option.get("positive")
    }
    items = {item["id"]: item for s in definition["sections"] for item in s["items"]}
    return sum(
        1
        for item_id, answer in answers.items()
        if item_id in items and (items[item_id]["scale"], answer.rating) in positive
    )


def counted_level(definition: dict[str, Any], count: int) -> str:
    """The level of a `count` summary: the highest threshold reached."""
    reached = [t for t in definition["summary"]["thresholds"] if count >= t["at_least"]]
    return max(reached, key=lambda t: t["at_least"])["level"]


def summary_level(
    definition: dict[str, Any], answers: dict[str, Answer], level: str, rationale: str
) -> str:
    """The assessment's level: computed for `count`, chosen (and checked) otherwise."""
    kind = definition["summary"]["kind"]
    if kind == "count":
        if level:
            raise Refusal("This instrument computes the level; do not enter one.", field="level")
        return counted_level(definition, positive_count(definition, answers))
    codes = [lv["code"] for lv in definition["levels"]]
    if not level:
        raise Refusal("Choose the risk level.", field="level")
    if level not in codes:
        raise Refusal("This level is not one of the instrument's levels.", field="level")
    if kind == "judgement" and not rationale.strip():
        raise Refusal("Give the rationale for the level.", field="rationale")
    return level


def level_order(definition: dict[str, Any], level: str) -> tuple[int, bool]:
    """The level's order (1 = lowest) and whether it is the instrument's top level."""
    orders = {lv["code"]: lv["order"] for lv in definition["levels"]}
    return orders[level], orders[level] == max(orders.values())
