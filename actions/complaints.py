"""反映涉企违规收费: collect what, who, when, how much; give the right hotline and a summary."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

FEE_SLOTS = ["fee_what", "fee_who", "fee_when", "fee_amount"]


class ValidateFeeComplaintForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_fee_complaint_form"

    def _text(self, slot: str, value: Any) -> Dict[Text, Any]:
        """Any non-empty answer is kept as said: this is the owner's own account."""
        text = str(value or "").strip()
        return {slot: text[:200] if text else None}

    def validate_fee_what(self, value, dispatcher, tracker, domain):
        return self._text("fee_what", value)

    def validate_fee_who(self, value, dispatcher, tracker, domain):
        return self._text("fee_who", value)

    def validate_fee_when(self, value, dispatcher, tracker, domain):
        return self._text("fee_when", value)

    def validate_fee_amount(self, value, dispatcher, tracker, domain):
        return self._text("fee_amount", value)


def hotlines(text: str) -> List[str]:
    """Which channel fits what was charged: prices and market fees → 12315, everything → 12345."""
    lines = ["12345 政务服务便民热线（乱收费、乱罚款、乱摊派都能反映，会转给负责的部门，一般有回复时限）"]
    if re.search(r"价|收费|费|涨|平台|物业|电|水|银行|手续|摊位|市场|检测|押金", text):
        lines.append("12315 市场监管投诉举报热线（价格违法、乱收费；原 12358 价格举报电话已并入 12315）")
    if re.search(r"协会|商会|中介|评比|达标|赞助|会费|培训|检测|认证", text):
        lines.append("属于涉企收费（协会、中介、评比、检测等）的，也可以向当地市场监管或发展改革（价格）部门反映")
    lines.append("网上：“国务院客户端”小程序“我向总理说句话/政务服务投诉”，或全国 12315 平台")
    return lines


FEE_TITLES = {"fee_what": "收费事项", "fee_who": "收费单位", "fee_when": "时间", "fee_amount": "金额"}


class ActionSubmitFeeComplaint(Action):
    """Channels first, from the first message; the summary is drafted from what was said and
    updated as details come in (they are optional, never a gate)."""

    def name(self) -> Text:
        return "action_submit_fee_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        said = {slot: tracker.get_slot(slot) for slot in FEE_SLOTS}
        text = (tracker.latest_message or {}).get("text") or ""
        first = not tracker.get_slot("fee_open")
        if first:
            dispatcher.utter_message(text="这种情况可以直接反映：\n" + "\n".join(
                f"• {line}" for line in hotlines(f"{text}{said['fee_what'] or ''}{said['fee_who'] or ''}"))
                + "\n收费要有依据并公示标准；没有依据、超标准或强制摊派的，都可以反映。")
        summary = "【涉企收费问题反映】\n" + "\n".join(
            f"{FEE_TITLES[slot]}：{said[slot] or '（未说明）'}" for slot in FEE_SLOTS)
        summary += "\n诉求：请核查该收费是否有依据，如属违规请予以清退。"
        missing = [FEE_TITLES[slot] for slot in FEE_SLOTS if not said[slot]]
        lead = "我按您说的先整理了一份反映材料，可以直接复制去反映：" if first else "材料已更新：\n"
        tail = f"\n想补充{'、'.join(missing)}的话直接发给我，我更新材料；不补也能用。" if missing else ""
        dispatcher.utter_message(text=lead + "\n" + summary + tail)
        return [SlotSet("fee_open", bool(missing))]
