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
    """Which channel fits what was charged: prices → 12315, everything else → 12345."""
    lines = ["12345 政务服务便民热线（乱收费、乱罚款、乱摊派都可以反映，会转办到责任部门）"]
    if re.search(r"价|收费|涨|平台|物业|电费|水费|银行|手续费|服务费", text):
        lines.append("12315 市场监管投诉举报热线（价格违法、乱收费；原 12358 价格举报已并入 12315）")
    lines.append("也可以在“国务院客户端”小程序或全国12315平台网上提交")
    return lines


class ActionSubmitFeeComplaint(Action):
    def name(self) -> Text:
        return "action_submit_fee_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        what, who, when, amount = (tracker.get_slot(s) or "（未说明）" for s in FEE_SLOTS)
        summary = (f"【涉企收费问题反映】\n收费事项：{what}\n收费单位：{who}\n时间：{when}\n金额：{amount}\n"
                   f"诉求：请核查该收费是否有依据，如属违规请予以清退。")
        dispatcher.utter_message(text="我帮您整理好了，可以直接复制去反映：\n" + summary)
        dispatcher.utter_message(text="可以打这些电话：\n" + "\n".join(f"• {line}" for line in hotlines(f"{what}{who}")))
        return [SlotSet(slot, None) for slot in FEE_SLOTS]
