"""Which shopping mode to assume for a turn, and why, in plain words.

The mode sets how strongly to personalize (light when browsing, tight when
buying, own taste set aside for a gift), so the agent always says which one it
assumed; the wording of each reason lives in ``prompts/modes/``.
"""

from __future__ import annotations

from collections.abc import Sequence

import prompts
from agent.domain import EventKind, ShopperMode
from agent.wording import someone

__all__ = ["MODE_REASON_TEMPLATES", "detect_mode"]

# One template per way a mode can be chosen; the agent shows the rendered reason.
MODE_REASON_TEMPLATES = {
    "asked_browsing": "modes/asked_browsing",
    "asked_research": "modes/asked_research",
    "asked_purchase": "modes/asked_purchase",
    "asked_gift": "modes/asked_gift",
    "recipient": "modes/recipient",
    "cart": "modes/cart",
    "default": "modes/default",
    # Not chosen here: for a mode the shopper picked earlier and locked ($mode).
    "chosen": "modes/chosen",
}


def detect_mode(
    message_mode: ShopperMode | None,
    *,
    recent_kinds: Sequence[EventKind],
    recipient: str | None,
) -> tuple[ShopperMode, str]:
    """Pick the mode for this turn and the plain reason to show for it.

    What the shopper says wins; naming someone else means a gift; something in
    the basket this session means they are close to buying; otherwise assume
    browsing, the lightest touch, because guessing too strongly is the failure
    tactful exists to avoid.
    """
    if message_mode is not None:
        return message_mode, prompts.render(MODE_REASON_TEMPLATES[f"asked_{message_mode.value}"])
    if recipient and recipient.strip():
        # The age ("niece, 8") helps ranking but reads oddly in a one-line reason.
        who = someone(recipient.split(",")[0].strip() or recipient.strip())
        return ShopperMode.GIFT, prompts.render(MODE_REASON_TEMPLATES["recipient"], recipient=who)
    if EventKind.CART in recent_kinds:
        return ShopperMode.PURCHASE, prompts.render(MODE_REASON_TEMPLATES["cart"])
    return ShopperMode.BROWSING, prompts.render(MODE_REASON_TEMPLATES["default"])
