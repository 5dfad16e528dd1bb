"""Turn a shopper's message into a structured intent without an LLM.

This is the offline understanding layer: deterministic, fast (well under a
millisecond a message) and conservative. The LLM path, when configured, produces
the same :data:`Understanding` union, so everything downstream sees one shape.

Precedence, highest first (the order of the checks in :func:`understand`):
sensitive topics and handoff beat everything, then data requests, the
personalization switch, forgetting a fact, "why", feedback on a numbered
suggestion, an answer to a pending question, feedback on the whole set,
corrections, greetings and thanks, mode switches, a standing budget, and
finally a request. Anything left is :class:`Unclear`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

import prompts
from agent.brain.intents import (
    MAX_AMOUNT,
    MAX_CHARS,
    Answer,
    Budget,
    CallOff,
    Confirm,
    Correction,
    DataRequest,
    Feedback,
    Forget,
    Goodbye,
    Greeting,
    Handoff,
    ModeSwitch,
    Personalization,
    Request,
    Sensitive,
    SmallTalk,
    Thanks,
    Unclear,
    Understanding,
    Why,
)
from agent.brain.offline.recipients import parse_recipient
from agent.brain.offline.small_talk import small_talk
from agent.domain import FeedbackValue, ShopperMode

# --- vocabulary ---------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    """A vocabulary written as one space-separated string, for readability."""
    return frozenset(text.split())


_RECIPIENT_WORDS = _words(
    "mother-in-law father-in-law sister-in-law brother-in-law son-in-law daughter-in-law "
    "in-laws girlfriend boyfriend grandmother grandfather grandparents grandma "
    "grandpa granny grandad granddad grandson granddaughter grandkids grandchildren nana nan "
    "mum mom mummy mommy mother dad daddy father parents sister brother sis bro niece nephew "
    "son daughter kids children child baby toddler teenager teen boy girl wife husband "
    "partner fiancée fiancee fiancé fiance friend colleague coworker co-worker boss manager "
    "teacher neighbour neighbor aunt auntie aunty uncle cousin godson goddaughter godchild "
    "godmother godfather stepson stepdaughter stepmum stepdad flatmate roommate housemate "
    "host hostess twins family"
)
# Longest first so "grandmother" wins over "mother" in the alternation.
_WHO = r"best\s+friend|" + "|".join(
    re.escape(word) for word in sorted(_RECIPIENT_WORDS, key=lambda w: (-len(w), w))
)
# People one buys for without a determiner ("for mum"); others need "my/a" so that
# "toys for kids" stays a product description.
_BARE_WHO = (
    "mum|mom|mummy|mommy|dad|daddy|grandma|grandpa|granny|grandad|granddad|nana|nan|"
    "auntie|aunty|uncle|sis|bro"
)
_ADJ = (
    r"(?:(?:little|baby|big|older|younger|elder|eldest|oldest|youngest|new|lovely|teenage|"
    r"grown-up|twin|dear|favourite|favorite)\s+)?"
)
_AGE_BEFORE = r"(?:(?P<age_b>\d{1,2})[- ]?(?:years?|yrs?|yo|y/o)(?:[- ]old)?\s+)?"
_AGE_AFTER = (
    r"(?:(?:\s*[,(]\s*|\s+)(?:(?:who\s+is|who's|whos|aged|age|turning|who\s+turns|he's|she's"
    r"|they're|hes|shes|he\s+is|she\s+is|is)\s+)?(?P<age_a>\d{1,2})"
    r"(?![\d.,]*\s*(?:pounds?|quid|dollars?|euros?|bucks|p\b|[£$€%]))"
    r"(?:\s*\)|\s*(?:years?|yrs?)(?:\s*old)?)?)?"
)
_RECIPIENT_FOR = re.compile(
    rf"\b(?:for|to)\s+(?:(?P<det>my|a|our|the|his|her|their)\s+)?{_AGE_BEFORE}{_ADJ}"
    rf"(?P<who>{_WHO})(?:'s|s')?\b(?!'s day|s' day| day)"
    rf"{_AGE_AFTER}"
)
_RECIPIENT_MY = re.compile(
    rf"\bmy\s+{_AGE_BEFORE}{_ADJ}(?P<who>{_WHO})(?:'s)?\b(?!'s day| day){_AGE_AFTER}"
)
_RECIPIENT_ALONE = re.compile(
    rf"^(?:(?:a|an|my|our|the)\s+)?{_AGE_BEFORE}{_ADJ}(?P<who>{_WHO})\b{_AGE_AFTER}"
)
# "for a 5 year old": no word for who, but the age says a child is the recipient.
_RECIPIENT_AGE_ONLY = re.compile(
    r"\bfor\s+(?:a|an|my|our|the)\s+(?P<age>\d{1,2})[- ]?(?:years?|yrs?)[- ]old\b"
)
_BARE_WHO_RE = re.compile(rf"^(?:{_BARE_WHO})$")

_CURRENCY = re.compile(
    r"(?P<gbp>£|\b(?:pounds?|quid|gbp)\b|\d\s*p\b|\b(?:tenner|fiver)\b)"
    r"|(?P<usd>\$|\b(?:dollars?|bucks|usd)\b)|(?P<eur>€|\b(?:euros?|eur)\b)"
)
_CURRENCY_SYMBOL = {"gbp": "£", "usd": "$", "eur": "€"}
_PENCE = re.compile(r"\d\s*p\b")
_DIGITS = re.compile(r"\d+(?:[.,]\d{1,3})*")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?")
_DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}")
_NUMBER_WORDS = {
    "five": 5,
    "ten": 10,
    "fifteen": 15,
    "twenty": 20,
    "twenty five": 25,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "a hundred": 100,
    "one hundred": 100,
    "fiver": 5,
    "a fiver": 5,
    "tenner": 10,
    "a tenner": 10,
}
_NUMBER_WORD_CLEAN = re.compile(r"[\s-]+")
_CUR_WORD_STRIP = re.compile(r"\s*\b(?:pounds?|quid|gbp|dollars?|bucks|usd|euros?|eur)\b")
_CUR_WORD = r"(?:pounds?|quid|gbp|dollars?|bucks|usd|euros?|eur)"
_NUM_WORD = (
    r"(?:a\s+tenner|a\s+fiver|tenner|fiver|twenty[- ]five|one\s+hundred|a\s+hundred|"
    r"hundred|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|five|ten)"
)
# An amount: a number with an optional currency before or after, or a number word.
_AMOUNT = (
    rf"(?:[£$€]\s*\d+(?:[.,]\d{{1,3}})*(?:\s*{_CUR_WORD}\b)?"
    rf"|\d+(?:[.,]\d{{1,3}})*(?:\s*(?:{_CUR_WORD}\b|[£$€]|p\b))?"
    rf"|{_NUM_WORD}(?:\s+{_CUR_WORD}\b)?)"
)
# What may follow a number that makes it not money: ages, sizes, counts.
_NOT_MONEY_AFTER = re.compile(
    r"^(?:\s*(?:-\s*)?(?:years?|yrs?|yo\b|y/o|year-old|months?|weeks?|days?|hours?|hrs?|minutes?"
    r"|mins?|s\b|'s\b|kg|g\b|cm|mm|ml|l\b|m\b|inch|inches|in\b|people|guests|kids|children|pack"
    r"|pieces|pcs|x\b|%|st\b|nd\b|rd\b|th\b))"
)
_BETWEEN = re.compile(
    rf"\b(?:between|from)\s+(?P<a>{_AMOUNT})\s*(?:and|to|-|–)\s*(?P<b>{_AMOUNT})"
    rf"|(?P<c>[£$€]\s*\d+(?:[.,]\d{{1,2}})?)\s*(?:-|–|to)\s*(?P<d>[£$€]?\s*\d+(?:[.,]\d{{1,2}})?)"
)
_AROUND = re.compile(
    rf"\b(?:around|about|roughly|approximately|approx\.?|circa|something like|in the region of)"
    rf"\s+(?P<a>{_AMOUNT})|~\s*(?P<b>{_AMOUNT})"
    rf"|(?P<c>[£$€]?\s*\d+(?:[.,]\d{{1,2}})?\s*-?ish\b(?:\s+{_CUR_WORD}\b)?)"
)
_MAX = re.compile(
    rf"(?:\b(?:under|below|less\s+than|cheaper\s+than|max(?:imum)?|up\s+to|no\s+more\s+than|"
    rf"not\s+more\s+than|at\s+most|within|budget(?:'s|\s+is|\s+of|\s+is\s+only)?:?|"
    rf"(?:never|don't|do\s+not|won't)\s+spend\s+more\s+than|"
    rf"spend(?:ing)?|for\s+less\s+than|not\s+over|no\s+higher\s+than|top\s+price)"
    rf"\s+(?P<a>{_AMOUNT})"
    rf"|(?P<b>{_AMOUNT})\s+(?:or\s+(?:less|under|below)|max(?:imum)?|tops|at\s+most)\b)"
)
_MIN = re.compile(
    rf"(?:\b(?:over|above|more\s+than|at\s+least|minimum|min|upwards\s+of|starting\s+at)"
    rf"\s+(?P<a>{_AMOUNT})"
    rf"|(?P<b>{_AMOUNT})\s*(?:or\s+(?:more|over|above)|plus\b|\+))"
)
_BARE_MONEY = re.compile(
    rf"(?P<a>[£$€]\s*\d+(?:[.,]\d{{1,3}})*|\d+(?:[.,]\d{{1,3}})*\s*(?:{_CUR_WORD}\b|[£$€]|p\b)"
    rf"|(?:a\s+)?(?:tenner|fiver)\b|{_NUM_WORD}\s+{_CUR_WORD}\b)"
)
_MONEYISH = re.compile(rf"[\d£$€]|\b{_NUM_WORD}\b")
_STANDING_BUDGET = re.compile(
    r"\b(?:my\s+(?:usual\s+|normal\s+|general\s+|overall\s+|typical\s+|total\s+)?budget"
    r"(?:'s|\s+is|\s+would\s+be|\s+tends\s+to\s+be)?"
    r"|i\s+(?:usually|normally|generally|typically|tend\s+to|always|mostly|often)\s+spend"
    r"|i\s+(?:never|don't|do\s+not|won't)\s+(?:usually\s+)?spend\s+more\s+than"
    r"|(?:set|change|update)\s+my\s+budget)\b"
)

# --- intent patterns ----------------------------------------------------------------------

_PAYMENT = re.compile(
    r"\b(?:charged\s+(?:me\s+)?(?:twice|two\s+times|double|wrongly|too\s+much|again)"
    r"|double[- ]charged|overcharged|over-charged|billing|billed|refunds?|refunded"
    r"|chargeback|payments?|money\s+back|unauthori[sz]ed\s+(?:charge|payment)"
    r"|(?:card|transaction)\s+(?:was\s+|got\s+|keeps\s+(?:getting\s+|being\s+)?|has\s+been\s+|is\s+)?"
    r"(?:declined|rejected|refused|failing|failed)"
    r"|(?:charge|charges)\s+on\s+my\s+(?:card|account|statement))\b"
)
_RETURN = re.compile(
    r"\b(?:return(?:ing)?\s+(?:this|it|that|them|these|those|my|an?|the|something|items?)\b"
    r"|(?:how|where)\s+(?:do|can|would|should)\s+i\s+return"
    r"|(?:want|need|like|wish|have)\s+to\s+return"
    r"|returns?\s+(?:policy|label|form|process|address)"
    r"|send\s+(?:it|this|them|these|that|those)\s+back"
    r"|exchange\s+(?:it|this|them|these|that|my|for)\b"
    r"|(?:an|make\s+an|do\s+an)\s+exchange\b|^exchange\b|exchanges?\s+policy"
    r"|swap\s+(?:it|this|them)\s+for)"
)
_COMPLAINT = re.compile(
    r"\b(?:complain(?:t|ts|ing)?"
    r"|this\s+is\s+(?:terrible|awful|appalling|ridiculous|unacceptable|a\s+joke|disgraceful"
    r"|shocking|outrageous|a\s+disgrace)"
    r"|(?:terrible|awful|appalling|shocking|poor|bad|horrible|worst|rubbish)\s+"
    r"(?:service|experience|quality|customer\s+service)"
    r"|never\s+(?:arrived|came|turned\s+up|showed\s+up|got\s+it|received)"
    r"|(?:has\s*n't|has\s+not|hasn't|did\s*n't|didn't|did\s+not|still\s+(?:not|hasn't)|not\s+yet)"
    r"\s+(?:arrived|come|turned\s+up|been\s+delivered|received)"
    r"|(?:arrived|came|turned\s+up|was\s+delivered)\s+(?:damaged|broken|faulty|smashed|cracked"
    r"|defective|late|open|wet)"
    r"|(?:it|this|they|order|parcel|package|item)(?:'s|'re|\s+is|\s+was|\s+were|\s+are)\s+"
    r"(?:broken|damaged|faulty|defective|smashed|cracked|missing)"
    r"|damaged(?!\s+(?:hair|skin|nails|ends|lips))|faulty|defective"
    r"|missing\s+(?:item|items|parts?|pieces?|from\s+my\s+order)"
    r"|wrong\s+(?:item|size|colour|color|order|product)\s+(?:arrived|sent|delivered|came)"
    r"|(?:sent|delivered|received|got)\s+(?:me\s+)?the\s+wrong"
    r"|where(?:'s|\s+is)\s+my\s+(?:order|parcel|package|delivery)"
    r"|lost\s+(?:my\s+)?(?:parcel|package|order|delivery)"
    r"|scam|rip[- ]?off|ripped\s+off|furious|disgusted"
    r"|not\s+happy\s+with\s+(?:my|the|your)\s+(?:order|service|delivery|purchase))\b"
)
_HANDOFF = re.compile(
    r"\b(?:(?:talk|speak|chat)(?:ing)?\s+(?:to|with)\s+(?:a\s+|an\s+|some\s+|your\s+|the\s+)?"
    r"(?:real\s+|actual\s+|live\s+)?(?:person|human|people|someone|somebody|agent|advisor|adviser"
    r"|manager|staff|team|member\s+of\s+staff|operator|representative|rep)\b"
    r"|(?:real|actual|live)\s+(?:person|human|agent|people)\b"
    r"|human\s+(?:please|agent|being)\b"
    r"|(?:human|person|agent|operator),?\s+please\b"
    r"|customer\s+(?:service|services|support|care)\b"
    r"|get\s+me\s+(?:a\s+|an\s+)?(?:human|person|agent|manager|someone)\b"
    r"|(?:can|could)\s+(?:i|someone)\s+(?:get|have)\s+(?:a\s+|an\s+)?(?:human|person|agent)\b"
    r"|connect\s+me\s+(?:to|with)\b|transfer\s+me\b|escalate\b"
    r"|contact\s+(?:support|a\s+person|someone|staff|a\s+human)\b)"
    r"|^(?:a\s+)?(?:human|agent|person|operator|representative)[.!?]*$"
)
_DATA_ERASE = re.compile(
    r"\b(?:(?:delete|erase|wipe|remove|clear|destroy|purge)\s+(?:all\s+)?(?:of\s+)?"
    r"(?:my\s+(?:data|information|info|profile|history|account|details|personal\s+data)"
    r"|everything(?:\s+about\s+me|\s+you\s+know(?:\s+about\s+me)?|\s+you\s+have)?\b"
    r"|all\s+(?:my\s+)?(?:data|information|history))"
    r"|forget\s+(?:me|everything(?!\s+(?:i|i've)\s+(?:said|told|mentioned))|all\s+about\s+me"
    r"|about\s+me|who\s+i\s+am)\b"
    r"|right\s+to\s+be\s+forgotten)"
)
_DATA_EXPORT = re.compile(
    r"\b(?:(?:export|download|send\s+me|give\s+me|email\s+me|get)\s+(?:a\s+copy\s+of\s+)?"
    r"(?:all\s+)?(?:of\s+)?my\s+(?:data|information|info|personal\s+data)"
    r"|(?:copy|export)\s+of\s+(?:all\s+)?my\s+(?:data|information)|data\s+export)\b"
)
_DATA_PROFILE = re.compile(
    r"\b(?:what\s+(?:do|did|have)\s+you\s+(?:know|think|remember|have|store|keep|believe|learned"
    r"|learnt|got|saved|stored)(?:\s+\w+)?\s+(?:about|of|on)\s+me"
    r"|what\s+(?:do\s+)?you\s+(?:know|think)\s+i\s+(?:like|want|am\s+into|'m\s+into)"
    r"|what\s+you\s+(?:know|think)\s+about\s+me"
    r"|(?:show|see|view|open|check)\s+(?:me\s+)?my\s+(?:profile|preferences|data|facts)"
    r"|my\s+profile|what\s+do\s+you\s+know)\b"
)
_CONFIRM_YES = re.compile(
    r"^(?:yes|yeah|yep|yup|yes\s+please|sure|ok|okay|confirm(?:ed)?|i'm\s+sure|i\s+am\s+sure"
    r"|do\s+it|go\s+ahead|please\s+do|absolutely|definitely|delete\s+it|erase\s+it"
    r"|delete\s+(?:it\s+)?all|erase\s+(?:it\s+)?all|that's\s+right|correct)\b"
)
_CONFIRM_NO = re.compile(
    r"^(?:no|nope|nah|don't|do\s+not|cancel|stop|wait|hold\s+on|not\s+(?:now|yet|really)"
    r"|never\s*mind|keep\s+(?:it|them|my)|changed\s+my\s+mind)\b"
    r"|\b(?:don't|do\s+not)\s+(?:delete|erase|remove|wipe)\b"
)
_CALL_OFF = re.compile(
    r"\b(?:never\s*mind|no\s+need(?:\s+for)?|(?:don't|do\s+not|no\s+longer)\s+need"
    r"\s+(?:a\s+|an\s+|the\s+)?(?:person|human|anyone|anybody|someone|somebody|help|agent"
    r"|staff|team|them|it)"
    r"|(?:i'll|i\s+will|i'm\s+going\s+to|let\s+me)\s+(?:just\s+)?(?:keep|carry\s+on|go\s+on"
    r"|continue)(?:\s+(?:browsing|looking|shopping|with\s+you))?"
    r"|cancel\s+(?:that|it|the\s+request|my\s+request|the\s+hand-?over)"
    r"|call\s+(?:it|that)\s+off|forget\s+it|sorted\s+it|(?:it's|its)\s+(?:fine|ok|okay)\s+now"
    r"|i'm\s+(?:fine|ok|okay|good)\s+now|no\s+longer\s+needed)\b"
)
_PERSONAL = r"personali[sz](?:e|ing|ation|ed)"
_PERSONALIZATION_OFF = re.compile(
    rf"\b(?:(?:stop|quit|don't|do\s+not|no\s+more|turn\s+off|switch\s+off|disable|pause|without)"
    rf"\s+(?:the\s+|any\s+)?{_PERSONAL}"
    rf"|{_PERSONAL}\s+off|(?:turn|switch)\s+{_PERSONAL}\s+off"
    rf"|(?:don't|do\s+not|stop|quit)\s+(?:using|use|looking\s+at|tracking)\s+my\s+"
    rf"(?:history|data|past|purchases|activity|behaviou?r|browsing|profile)"
    rf"|(?:generic|non-?\s?{_PERSONAL}|un{_PERSONAL}|neutral)\s+"
    rf"(?:suggestions|recommendations|results|picks|ideas|mode)"
    rf"|without\s+(?:using\s+)?my\s+(?:history|data|profile)"
    rf"|ignore\s+my\s+(?:history|data|past|purchases|profile)"
    rf"|(?:don't|do\s+not)\s+track\s+me)\b"
)
_PERSONALIZATION_ON = re.compile(
    rf"\b(?:personali[sz]e\s+(?:again|it\s+again|me\s+again|away)"
    rf"|personali[sz]ation\s+(?:back\s+)?on"
    rf"|(?:turn|switch)\s+(?:on\s+)?{_PERSONAL}(?:\s+back)?\s+on"
    rf"|(?:turn|switch)\s+on\s+{_PERSONAL}"
    rf"|(?:re-?enable|enable|resume|restart|start|go\s+back\s+to)\s+(?:the\s+)?{_PERSONAL}"
    rf"|use\s+my\s+(?:history|data|past|purchases|profile)(?:\s+again)?"
    rf"|(?:{_PERSONAL}|tailored)\s+(?:suggestions|recommendations|results)"
    rf"\s+(?:again|please|back))\b"
)
_FORGET = re.compile(
    r"\b(?:forget|unlearn)\s+(?:about\s+)?(?:the\s+fact\s+)?(?:that\s+)?(?P<what>.+)"
    r"|\b(?:remove|delete|drop|clear)\s+(?:the\s+)?(?:fact|note|bit|thing)s?\s+(?:that|about)\s+"
    r"(?P<what2>.+)"
    r"|\b(?:remove|delete|drop|clear|reset)\s+my\s+(?P<what3>budget|preferences?|recipients?)\b"
)
_WRONG_ABOUT_ME = re.compile(
    r"\b(?:that's|that\s+is|this\s+is|it's|thats)\s+(?:wrong|not\s+true|incorrect|not\s+right"
    r"|not\s+me)\s+about\s+me\s*[:,-]?\s*(?P<what>.*)$"
)
_FORGET_LEAD = re.compile(
    r"^(?:(?:that|about|the\s+fact\s+that|my|what\s+i\s+(?:said|told\s+you|mentioned)"
    r"(?:\s+about)?|everything\s+i\s+(?:said|told\s+you)(?:\s+about)?)\s+)+"
)
_FORGET_NOT_A_FACT = re.compile(r"^(?:it|that|this|about\s+it|it\s+all|them)?[\s.!?]*$")
_WHY = re.compile(
    r"^(?:(?:so|but|and|ok|okay|hmm|um|hm)[,\s]+)?(?:why|how\s+come|what\s+makes\s+you\s+think"
    r"|explain|reason\s+for)\b"
    r"|\bwhy\s+(?:am\s+i|are\s+you|do\s+i|did\s+you|do\s+you|would\s+you|is\s+(?:this|that|it)"
    r"|are\s+(?:these|those)|this|that|these|those|number|the)\b"
)
_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "sixth": 6,
    "6th": 6,
    "seventh": 7,
    "7th": 7,
    "eighth": 8,
    "8th": 8,
    "ninth": 9,
    "9th": 9,
    "tenth": 10,
    "10th": 10,
    "last": -1,
}
_POSITION_NOUN = r"(?:one|ones|item|option|suggestion|pick|thing|product|result|idea|choice)"
_POSITION = re.compile(
    r"#\s*(?P<hash>\d{1,2})\b"
    r"|\b(?:number|no\.|item|option|suggestion|pick|result)\s*#?\s*(?P<num>\d{1,2})\b"
    r"|\b(?P<ord>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
    r"1st|2nd|3rd|[4-9]th|10th|last)"
    rf"(?=\s+{_POSITION_NOUN}\b|\s*$|\s*[,.!?;:)]|\s+(?:is|was|looks|seems|please|pls|too)\b|'s\b)"
)
_THUMB_UP_ONLY = re.compile(r"^👍[\U0001f3fb-\U0001f3ff]*[\s!.]*$")
_THUMBS = re.compile(r"[👍👎]|\bthumbs?\s*(?:up|down)\b")
_QUESTION = re.compile(
    r"^(?:is|are|does|do|can|could|would|will|how|what|which|where|when|has|have)\b.*\?\s*$"
)
_THUMB_DOWN = "👎"
_EMOJI_POSITION = re.compile(
    r"(?:[👍👎]|thumbs?\s*(?:up|down))[\U0001f3fb-\U0001f3ff\s]*(?:on|for|to)?\s*"
    r"(?:#|number\s+|no\.\s*)?(?P<a>\d{1,2})\b"
    r"|\b(?P<b>\d{1,2})\s*[👍👎]"
)
_NOT_FOR_ME = re.compile(
    r"\b(?:(?:not|isn't|aren't)\s+(?:really\s+)?for\s+me"
    r"|(?:not|isn't|aren't)\s+(?:really\s+)?my\s+(?:thing|style|taste|cup\s+of\s+tea)"
    r"|not\s+really\s+me)\b"
)
_DOWN = re.compile(
    r"👎|\bthumbs?\s*down\b|\b(?:no\s+to|don't\s+(?:really\s+)?like|do\s+not\s+like"
    r"|not\s+(?:keen|a\s+fan|fussed)|dislike|hate|rubbish|awful|ugly|meh|pass\s+on|not\s+great"
    r"|not\s+good|not\s+right|not\s+quite|none\s+of|bad|boring|nope|nah|skip)\b"
)
_UP = re.compile(
    r"👍|❤|😍|\bthumbs?\s*up\b|\b(?:love|loving|like|great|perfect|nice|lovely|good|yes\s+to"
    r"|brilliant|gorgeous|cute|beautiful|more\s+like|fan\s+of|keen\s+on|spot\s+on|ideal"
    r"|amazing|fab|fabulous)\b"
)
_SET_FEEDBACK = re.compile(
    r"^(?:(?:i|we)\s+)?(?:really\s+|absolutely\s+|don't\s+|do\s+not\s+|quite\s+)?"
    r"(?:love|like|hate|dislike)\s+(?:these|them|those|it|this|that|(?:all|any)\s+of\s+(?:them|these|those)"
    r"|this\s+one|that\s+one|the\s+lot|these\s+ones|those\s+ones)\b"
    r"|^(?:these|they|those|this|that|it|them)(?:'s|'re|\s+is|\s+are|\s+look|\s+looks)\s+"
    r"(?:all\s+|really\s+|so\s+|very\s+)?(?:great|perfect|lovely|nice|good|brilliant|spot\s+on"
    r"|rubbish|awful|bad|not\s+great|not\s+right|not\s+for\s+me|not\s+my\s+style|boring|meh)\b"
    r"|^(?:none\s+of\s+(?:these|them|those)|not\s+for\s+me|not\s+my\s+(?:thing|style|taste)"
    r"|more\s+like\s+(?:these|this|that|them)|[👍👎]+)"
)
_NEG_CORRECTION = re.compile(
    r"(?:^|\b(?:i|and|but|also|so|honestly|really)\s+|^)"
    r"(?:"
    r"(?:i'm|im|i\s+am)\s+not\s+(?:really\s+|very\s+|that\s+|too\s+|so\s+|a\s+big\s+|a\s+huge\s+)*"
    r"(?P<not_into>into|keen\s+on|fussed\s+(?:on|about)|a\s+fan\s+of|a\s+big\s+fan\s+of|fan\s+of)"
    r"|(?:i\s+)?(?:really\s+)?(?:don't|do\s+not|dont|didn't)\s+(?:really\s+|much\s+)?"
    r"(?:(?P<dislikes>like|love|enjoy|care\s+for)|(?P<dont_want>want\s+any\s*more|want\s+more))"
    r"|(?:i\s+)?(?:really\s+)?(?P<hates>hate|dislike|detest|loathe|can't\s+stand|cannot\s+stand)"
    r"|(?P<not_fan>not\s+a\s+(?:big\s+|huge\s+)?fan\s+of)"
    r"|(?:please\s+)?(?P<no_more>no\s+more)(?!\s+than\b)"
    r"|(?:please\s+)?(?:stop|quit)\s+(?P<stop>showing|suggesting|recommending|sending)(?:\s+me)?"
    r"|(?:please\s+)?(?:don't|do\s+not)\s+(?P<dont_show>show|suggest|recommend|send)"
    r"(?:\s+me)?(?:\s+any)?(?:\s+more)?"
    r"|(?:i'm|im|i\s+am)\s+(?P<allergic>allergic)\s+to"
    r"|(?:i\s+)?(?P<avoids>avoid|never\s+buy|don't\s+buy|never\s+use|don't\s+use|don't\s+wear"
    r"|never\s+wear|don't\s+eat|never\s+eat)"
    r")\s+(?P<subject>[^,.;!?]+)"
)
_POS_CORRECTION = re.compile(
    r"(?:^|\b(?:i|and|but|also|so|honestly)\s+|^)"
    r"(?:"
    r"(?:i\s+)?(?:really\s+|also\s+|just\s+|do\s+|absolutely\s+|quite\s+|totally\s+)*"
    r"(?P<verb>like|love|adore|enjoy|prefer|collect)"
    r"|(?:i'm|im|i\s+am)\s+(?:really\s+|very\s+|quite\s+|also\s+|so\s+|totally\s+)*"
    r"(?P<into>into|keen\s+on|passionate\s+about|obsessed\s+with|a\s+(?:big\s+|huge\s+)?fan\s+of"
    r"|mad\s+about|crazy\s+about)"
    r")\s+(?P<subject>[^,.;!?]+)"
)
_POS_VERB_TEMPLATE = {
    "like": "likes",
    "love": "loves",
    "adore": "loves",
    "enjoy": "enjoys",
    "prefer": "prefers",
    "collect": "collects",
}
_SUBJECT_CUT = re.compile(
    r"\s+(?:but|so|because|cause|cos|though|although|if|when|unless|anyway|instead)\b.*$"
    r"|\s+and\s+(?:show|find|can|could|please|give|suggest|i|would|want|need|get)\b.*$"
)
_SUBJECT_LEAD = re.compile(
    r"^(?:(?:any|the|those|these|all|more|of|some|anything|things|stuff|that|to|with|about|me"
    r"|too\s+many|so\s+many|much|lots\s+of|a\s+lot\s+of|more\s+of|any\s+more|anymore)\s+)+"
)
_SUBJECT_TRAIL = re.compile(
    r"(?:\s+(?:please|pls|anymore|any\s+more|at\s+all|really|much|so\s+much|very\s+much"
    r"|a\s+lot|either|though|tbh|thanks|thank\s+you|now|either|too|as\s+well|stuff|things"
    r"|items|products|in\s+general|generally|much\s+at\s+all|on\s+it|on\s+them|in\s+it))+$"
)
_PRONOUN_SUBJECT = re.compile(
    r"^(?:it|this|that|these|those|them|one|ones|this\s+one|that\s+one|these\s+ones|those\s+ones"
    r"|the\s+lot|all|any|you|him|her|everything|anything|something|what\s+.*|which\s+.*"
    r"|how\s+.*|to\s+.*|a|an|the|(?:spending|paying|spend|pay)\b.*)$"
)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|heya|hiya|howdy|yo|hallo|hullo|greetings"
    r"|(?:good\s+)?(?:morning|afternoon|evening)(?=\s*[,!.]|\s*$)|good\s+day)"
    r"(?:\s+(?:there|tactful|all|again|folks))?\b"
    r"[\s,!.:;-]*(?:how\s+are\s+you(?:\s+doing|\s+today)?|how's\s+it\s+going)?[\s,!.?:;-]*"
)
_THANKS = re.compile(
    r"^(?:(?:ok|okay|great|perfect|lovely|brilliant|cool|awesome|nice|wonderful|fab|super|oh)"
    r"[\s,!.]*)*"
    r"(?:thanks|thank\s+you|thank\s+u|thx|ty|cheers|ta|many\s+thanks|much\s+appreciated"
    r"|no\s+thanks|no\s+thank\s+you"
    r"|that's\s+(?:great|perfect|lovely|helpful|brilliant|all)|that\s+helps|appreciate\s+it)\b"
    r"(?:\s+(?:so|very)\s+much|\s+a\s+lot|\s+a\s+million|\s+again|\s+for\s+(?:the|your|all\s+the)"
    r"\s+help|\s+for\s+that|\s+mate|\s+tactful|\s+loads)?[\s,!.]*"
)
_BARE_POSITIVE = re.compile(
    r"^(?:ok|okay|great|perfect|lovely|brilliant|cool|awesome|nice|wonderful|fab|super|amazing"
    r"|that's\s+all|bye|goodbye|see\s+you|cya)[\s,!.]*$"
)
_LEAD_FILLER = re.compile(
    r"^(?:(?:ok|okay|so|well|um+|uh+|hmm+|oh|also|and|actually|alright|right\s+then|now"
    r"|please|erm+)[\s,!.]+)+(?=\S)"
)
_MODE_SWITCH = re.compile(
    r"\b(?:switch|change|go|move|put\s+me|set\s+it|back)\s+(?:back\s+)?(?:to|in|into)\s+"
    r"(?P<a>gift|gifting|browsing|browse|research|purchase|purchasing|buying|shopping)\s+mode\b"
    r"|^(?P<b>gift|gifting|browsing|browse|research|purchase|purchasing|buying)\s+mode\b"
    r"|\b(?P<c>gift|gifting|browsing|research|purchase|buying)\s+mode\s+(?:please|on|now)\b"
    r"|^(?:i'm|im|i\s+am)\s+(?:just\s+|only\s+|now\s+)?(?P<browse>browsing|looking\s+around"
    r"|having\s+a\s+look(?:\s+around)?|just\s+looking|window\s+shopping)\b"
    r"|^(?:i'm|im|i\s+am)\s+(?:now\s+)?(?:ready|going)\s+to\s+(?P<buy>buy|order|check\s*out"
    r"|purchase|pay)\b"
    r"|^(?:i'm|im|i\s+am)\s+(?:now\s+)?(?:buying|shopping\s+for|getting|looking\s+for)\s+"
    r"(?:a\s+)?(?P<gift>gift|present)s?\b"
    r"|^(?:i'm|im|i\s+am)\s+(?:just\s+|now\s+)?(?:doing\s+(?:some\s+)?)?(?P<research>research"
    r"|researching|comparing(?:\s+options)?)\b"
)
_MODE_SWITCH_REST = re.compile(
    r"^(?:now|instead|today|for\s+now|please|pls|actually|thanks|thank\s+you|mode|again|then"
    r"|ok|okay|mate|for\s+a\s+bit|for\s+a\s+while|at\s+the\s+moment|right\s+now|thx|it)?[\s,.!]*"
    r"(?:now|instead|today|for\s+now|please|pls|actually|thanks|thank\s+you|mode|again|then"
    r"|ok|okay|mate|for\s+a\s+bit|for\s+a\s+while|at\s+the\s+moment|right\s+now|thx|it)?[\s,.!]*$"
)
_GIFT_CUES = re.compile(
    r"\b(?:gifts?|present|presents|gifting|stocking\s+fillers?|secret\s+santa|birthday"
    r"|christmas\s+(?:gift|present)s?|anniversary|thank[- ]you\s+gift|housewarming"
    r"|mother's\s+day|father's\s+day|mothers\s+day|fathers\s+day|valentine's|valentines)\b"
)
_PURCHASE_CUES = re.compile(
    r"\b(?:ready\s+to\s+(?:order|buy|check\s*out|pay|purchase)|buy\s+now|order\s+now"
    r"|add\s+(?:it\s+|them\s+)?to\s+(?:my\s+)?(?:cart|basket)|check\s*out\s+now|in\s+stock"
    r"|i'll\s+take|want\s+to\s+(?:buy|order)|looking\s+to\s+(?:buy|order)|need\s+to\s+(?:buy|order)"
    r"|place\s+an\s+order|bulk|wholesale)\b"
)
_RESEARCH_CUES = re.compile(
    r"\b(?:compare|comparing|comparison|difference\s+between|differences|pros\s+and\s+cons"
    r"|versus|vs\.?|which\s+(?:\w+\s+){0,4}(?:is|are|would\s+be)\s+(?:the\s+)?(?:best|better)"
    r"|which\s+is\s+(?:best|better)|best(?!\s+friend)|research|researching|reviews?|worth\s+it)\b"
)
_BROWSING_CUES = re.compile(
    r"\b(?:just\s+looking|just\s+browsing|browsing|browse|having\s+a\s+look|look\s+around"
    r"|looking\s+around|nothing\s+in\s+particular|window\s+shopping|inspiration|inspire\s+me)\b"
)
_MODE_PHRASES = re.compile(
    r"\b(?:ready\s+to\s+(?:order|buy|check\s*out|pay|purchase)|buy\s+now|order\s+now"
    r"|what(?:'s|\s+is|\s+are)\s+the\s+differences?\s+between|difference\s+between|pros\s+and\s+cons"
    r"(?:\s+of)?|just\s+looking|just\s+browsing|having\s+a\s+look|look(?:ing)?\s+around"
    r"|nothing\s+in\s+particular|window\s+shopping|(?:gift|browsing|research|purchase|buying)\s+mode"
    r"|for\s+(?:the|my|our)\s+(?:shop|store|business|stall|cafe|café))\b"
)
_REQUEST_CUES = re.compile(
    r"\b(?:show|find|search|look(?:ing)?\s+for|searching|hunting|shopping\s+for|after|need|want"
    r"|wanna|would\s+like|i'd\s+like|i'd\s+love|recommend|suggest|ideas?|suggestions"
    r"|recommendations|gifts?|present|something|anything|any|do\s+you\s+(?:have|sell|stock|do)"
    r"|have\s+you\s+got|got\s+any|compare|difference|which|best|cheap|cheaper|browse|browsing"
    r"|surprise\s+me|more\s+like|options?|alternatives?|what\s+about|how\s+about|let\s+me\s+see"
    r"|buy|order|get\s+me|give\s+me|what's\s+good|what\s+have\s+you\s+got|stocking\s+fillers?"
    r"|looking|inspiration)\b"
)
# Words that make a message a new request even while a question is pending.
_STRONG_REQUEST = re.compile(
    r"\b(?:show|find|search|looking\s+for|recommend|suggest|do\s+you\s+have|have\s+you\s+got"
    r"|any\s+ideas|compare|need|want|would\s+like|i'd\s+like|ideas|options|cheaper|under|budget)\b"
)
_NON_REQUEST_START = re.compile(
    r"^(?:what|how|when|where|who|why|is|are|was|were|can|could|will|would|should|do|does|did"
    r"|i|i'm|im|i've|i'd|i'll|it|it's|its|that|that's|thats|this|you|you're|we|they|he|she"
    r"|there|hmm+|ok|okay|yes|no|nope|yeah|yep|lol|haha|sure|maybe|not|never|please|forget"
    r"|nevermind|whatever|cancel|stop|wait|hang\s+on)\b"
)
_ANSWER_NOT_ME = re.compile(
    r"\b(?:not|wasn't|isn't|was\s+not|is\s+not|never|nothing)\s+(?:really\s+)?(?:for\s+)?"
    r"(?:me|mine|myself)\b"
)
_ANSWER_SOMEONE = re.compile(
    r"\b(?:(?:someone|somebody|some1|another\s+person)\s+else|someone|somebody)\b"
    r"|\b(?:a|as\s+a|for\s+a|was\s+a|it's\s+a|its\s+a)\s+(?:gift|present)\b"
    r"|^(?:gift|present)s?\b"
    r"|\b(?:bought|got|ordered|getting)\s+(?:it|that|them|one)\s+for\b"
    r"|\bgave\s+(?:it|that|them)\s+(?:to|away)\b"
)
_ANSWER_ME = re.compile(
    r"\b(?:for\s+me|for\s+myself|mine|myself|my\s+own|all\s+mine|i\s+use\s+it|i'll\s+use\s+it"
    r"|i\s+ride\s+it|i\s+wear\s+it|i\s+bought\s+it\s+for\s+me)\b|^me\b"
)
_ANSWER_YES = re.compile(
    r"^(?:yes|yeah|yea|yep|yup|ya|aye|correct|right|exactly|indeed|sure|true|it\s+was|it\s+is"
    r"|that's\s+right|that's\s+correct|i\s+did|affirmative|absolutely|of\s+course|definitely)\b"
    r"(?!\s+to\b)"
)
_ANSWER_NO = re.compile(
    r"^(?:no|nope|nah|not\s+really|negative|nay|wrong|no\s+it\s+wasn't|no\s+it\s+isn't"
    r"|it\s+wasn't|it\s+was\s+not)\b(?!\s+(?:more|to|thanks|thank\s+you)\b)"
)
_ANSWER_FILLER = _words(
    "yes yeah yea yep yup ya aye correct right exactly indeed sure true it was is that's "
    "that i did affirmative absolutely of course definitely no nope nah not really negative "
    "nay wrong wasn't isn't thanks thank you please ok okay actually haha lol thats it's its "
    "a the for"
)
_QUOTES = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "′": "'",
        "`": "'",
        "´": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "″": '"',
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\ufe0f": None,
    }
)
_SPACES = re.compile(r"\s+")
_TOKEN = re.compile(r"[a-z0-9\u00c0-\u024f][a-z0-9\u00c0-\u024f'&-]*")
_STOPWORDS = _words(
    """
    i me my mine myself we us our you your yours a an the some any something anything stuff
    things thing please pls thanks thank for to of in on at by with and or but is are was were be
    been being am can could would will should shall may might must do does did doing have has
    had having got get getting show showing shown find finding search searching look looking
    looks see need needs needed want wants wanted wanna like likes loves enjoys into would i'd
    i'm im i've i'll it it's its that that's this these those them they their there there's here
    here's what what's which who whom how where when why just really very quite so too also now
    again more most other else one ones around about under over below above between within than
    less budget price cost spend spending year years old aged age ideas idea suggestions
    suggestion recommend recommendations recommendation suggest options option alternatives
    alternative nice good lovely great cool perfect best better compare comparing comparison
    difference differences vs versus pros cons reviews review research researching buy buying
    order ordering purchase checkout ready browse browsing maybe perhaps kind sort type bit
    lot lots few couple mode surprise give gimme help hello hi hey ok okay well um uh hmm oh
    actually currently shop store if up out off no not yes yeah yep number item pick choice
    result after available stock sell sells selling let let's from onto per each every all both
    either neither max maximum min minimum tops cheap cheaper affordable don't dont can't won't
    you're we're they're he's she's he she him her his hers someone somebody anyone anybody
    """
)


@dataclass
class _Budget:
    low: float | None = None
    high: float | None = None
    stated: float | None = None
    currency: str | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)


# --- helpers ------------------------------------------------------------------------------


def _tidy(message: str) -> str:
    """The capped message with quotes, odd Unicode forms and spacing made plain."""
    text = unicodedata.normalize("NFKC", message[:MAX_CHARS]).translate(_QUOTES)
    return _SPACES.sub(" ", text).strip()


def _amount(raw: str) -> tuple[float | None, str | None]:
    """Parse one matched amount ("£1,250", "20 quid", "a tenner", "50p") to a value."""
    text = raw.strip()
    symbol = _CURRENCY.search(text)
    currency = (
        next(_CURRENCY_SYMBOL[name] for name, value in symbol.groupdict().items() if value)
        if symbol
        else None
    )
    words = _NUMBER_WORD_CLEAN.sub(" ", _CUR_WORD_STRIP.sub("", text)).strip()
    if words in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[words]), currency
    digits = _DIGITS.search(text)
    if not digits:
        return None, currency
    number = digits.group()
    if _DECIMAL_COMMA.fullmatch(number) and not _THOUSANDS.fullmatch(number):
        number = number.replace(",", ".")
    try:
        value = float(number.replace(",", ""))
    except ValueError:  # e.g. "1.2.3"
        return None, currency
    if not value < MAX_AMOUNT:  # also refuses inf and nan from hundreds of digits
        return None, currency
    return (value / 100 if _PENCE.search(text) else value), currency


def _is_money_context(text: str, end: int) -> bool:
    return not _NOT_MONEY_AFTER.match(text[end:])


def _parse_budget(text: str) -> _Budget:
    """Find budget bounds and the spans they came from (to keep them out of the query)."""
    found = _Budget()
    if not _MONEYISH.search(text):
        return found  # the common case, and the budget patterns are the slowest ones
    taken = [False] * len(text)

    def claim(match: re.Match[str]) -> bool:
        start, end = match.span()
        if any(taken[start:end]) or not _is_money_context(text, end):
            return False
        for index in range(start, end):
            taken[index] = True
        found.spans.append((start, end))
        return True

    def value_of(raw: str | None) -> float | None:
        if raw is None:
            return None
        value, currency = _amount(raw)
        if currency and not found.currency:
            found.currency = currency
        return value

    for match in _BETWEEN.finditer(text):
        if match.group().startswith("from") and not _CURRENCY.search(match.group()):
            continue  # "from 3 to 5" is more often ages than money
        low = value_of(match.group("a") or match.group("c"))
        high = value_of(match.group("b") or match.group("d"))
        if low is not None and high is not None and claim(match):
            low, high = sorted((low, high))
            found.low, found.high, found.stated = low, high, high
    for match in _AROUND.finditer(text):
        value = value_of(match.group("a") or match.group("b") or match.group("c"))
        if value is not None and claim(match):
            # "around 40" is a range either side, wider above: people stretch up, not down.
            found.low, found.high, found.stated = value * 0.75, value * 1.25, value
    for match in _MAX.finditer(text):
        value = value_of(match.group("a") or match.group("b"))
        if value is not None and claim(match):
            found.high = value if found.high is None else min(found.high, value)
            found.stated = found.high
    for match in _MIN.finditer(text):
        value = value_of(match.group("a") or match.group("b"))
        if value is not None and claim(match):
            found.low = value
            found.stated = found.stated if found.stated is not None else value
    if found.high is None and found.low is None:
        for match in _BARE_MONEY.finditer(text):
            value = value_of(match.group("a"))
            if value is not None and claim(match):
                found.high = found.stated = value
                break
    return found


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    # Replace with spaces rather than delete, so other spans' offsets stay valid.
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _recipient_from(match: re.Match[str]) -> str:
    who = match.group("who")
    age = match.group("age_b") or match.group("age_a")
    if age and 0 < int(age) < 120:
        return f"{who}, {int(age)}"
    return who


def _find_recipient(text: str) -> tuple[str | None, tuple[int, int] | None]:
    for match in _RECIPIENT_FOR.finditer(text):
        if match.group("det") or _BARE_WHO_RE.match(match.group("who")):
            return _recipient_from(match), match.span()
    match_my = _RECIPIENT_MY.search(text)
    if match_my:
        return _recipient_from(match_my), match_my.span()
    aged = _RECIPIENT_AGE_ONLY.search(text)
    if aged and int(aged.group("age")) < 18:
        age = int(aged.group("age"))
        who = "child" if age < 13 else "teenager"
        return f"{who}, {age}", aged.span()
    return None, None


def _content_words(text: str) -> list[str]:
    words: list[str] = []
    for token in _TOKEN.findall(text):
        token = token.strip("'-&")
        if len(token) < 2 or token in _STOPWORDS or token.isdigit() or token in words:
            continue
        if token.endswith("'s") and token[:-2] in _STOPWORDS:
            continue
        words.append(token)
    return words


def _position(text: str, suggestion_count: int) -> int | None:
    emoji = _EMOJI_POSITION.search(text)
    if emoji:
        return int(emoji.group("a") or emoji.group("b")) or None
    match = _POSITION.search(text)
    if not match:
        return None
    raw = match.group("hash") or match.group("num")
    if raw:
        return int(raw) or None
    index = _ORDINALS[match.group("ord")]
    if index == -1:
        return suggestion_count or None
    return index


def _feedback_value(text: str) -> FeedbackValue | None:
    if _NOT_FOR_ME.search(text):
        return FeedbackValue.NOT_FOR_ME
    if _DOWN.search(text):
        return FeedbackValue.DOWN
    if _UP.search(text):
        return FeedbackValue.UP
    return None


def _clean_subject(raw: str) -> str:
    subject = _SUBJECT_CUT.sub("", raw.strip())
    subject = _SUBJECT_TRAIL.sub("", subject.strip())
    subject = _SUBJECT_LEAD.sub("", subject.strip())
    subject = _SUBJECT_TRAIL.sub("", subject.strip())
    return subject.strip(" '\"-")


_SWITCH_GROUP_MODE = {
    "browse": ShopperMode.BROWSING,
    "buy": ShopperMode.PURCHASE,
    "gift": ShopperMode.GIFT,
    "research": ShopperMode.RESEARCH,
}


def _switch_mode(match: re.Match[str]) -> ShopperMode:
    """The mode a ``_MODE_SWITCH`` match names, by group or by the mode word."""
    for name, value in match.groupdict().items():
        if not value:
            continue
        if name in _SWITCH_GROUP_MODE:
            return _SWITCH_GROUP_MODE[name]
        if value.startswith("gift"):
            return ShopperMode.GIFT
        if value.startswith("brows"):
            return ShopperMode.BROWSING
        if value.startswith("research"):
            return ShopperMode.RESEARCH
        return ShopperMode.PURCHASE
    raise AssertionError("a mode switch match always names a mode")


def _message_mode(text: str) -> ShopperMode | None:
    # A gift outranks everything: setting the shopper's own taste aside matters most.
    if _GIFT_CUES.search(text):
        return ShopperMode.GIFT
    if _PURCHASE_CUES.search(text):
        return ShopperMode.PURCHASE
    if _RESEARCH_CUES.search(text):
        return ShopperMode.RESEARCH
    if _BROWSING_CUES.search(text):
        return ShopperMode.BROWSING
    return None


# --- the intent checks, in precedence order -----------------------------------------------


def _sensitive(text: str) -> Sensitive | None:
    if _PAYMENT.search(text):
        return Sensitive(topic="payment")
    if _RETURN.search(text):
        return Sensitive(topic="return")
    if _COMPLAINT.search(text):
        return Sensitive(topic="complaint")
    return None


def _data_request(text: str) -> DataRequest | None:
    if _DATA_ERASE.search(text):
        return DataRequest(action="erase")
    if _DATA_EXPORT.search(text):
        return DataRequest(action="export")
    if _DATA_PROFILE.search(text):
        return DataRequest(action="profile")
    return None


def _confirm(text: str) -> Confirm | None:
    if _CONFIRM_NO.search(text):
        return Confirm(yes=False)
    if _CONFIRM_YES.match(text) or _DATA_ERASE.search(text):
        return Confirm(yes=True)
    return None


def _personalization(text: str) -> Personalization | None:
    if _PERSONALIZATION_OFF.search(text):
        return Personalization(on=False)
    if _PERSONALIZATION_ON.search(text):
        return Personalization(on=True)
    return None


def _forget(text: str) -> Forget | None:
    wrong = _WRONG_ABOUT_ME.search(text)
    if wrong:
        return Forget(what=_clean_forget(wrong.group("what")))
    match = _FORGET.search(text)
    if not match:
        return None
    what = match.group("what") or match.group("what2") or match.group("what3") or ""
    if _FORGET_NOT_A_FACT.match(what):
        return None
    return Forget(what=_clean_forget(what))


def _clean_forget(what: str) -> str:
    what = _FORGET_LEAD.sub("", what.strip())
    return what.strip(" .!?,:;'\"")


_WHY_NOISE = _words(
    "seeing see suggest suggested suggesting suggestion recommend recommended recommending "
    "show showed showing shown pick picked choose chose chosen think thought come included "
    "include here top first second third last given"
)


def _why(text: str, suggestion_count: int) -> Why | None:
    match = _WHY.search(text)
    if not match:
        return None
    position = _position(text, suggestion_count)
    rest = _POSITION.sub(" ", text[match.end() :])
    words = [w for w in _content_words(rest) if w not in _WHY_NOISE]
    return Why(position=position, item_words=[] if position else words)


def _positional_feedback(text: str, suggestion_count: int) -> Feedback | None:
    position = _position(text, suggestion_count)
    if position is None:
        return None
    if _QUESTION.search(text) and not _THUMBS.search(text):
        return None  # "is number 2 good for kids?" asks, it does not rate
    value = _feedback_value(text)
    if value is None:
        return None
    return Feedback(position=position, value=value)


def _set_feedback(text: str, suggestion_count: int) -> Feedback | None:
    if suggestion_count <= 0 or not _SET_FEEDBACK.search(text):
        return None
    value = _feedback_value(text)
    return Feedback(position=None, value=value) if value else None


def _answer(text: str) -> Answer | None:
    if len(text) > 200 or _STRONG_REQUEST.search(text) or _parse_budget(text).spans:
        return None
    recipient, _ = _find_recipient(text)
    if recipient is None:
        alone = _RECIPIENT_ALONE.match(text)
        if alone:
            recipient = _recipient_from(alone)
    someone = bool(_ANSWER_NOT_ME.search(text) or _ANSWER_SOMEONE.search(text))
    if someone or recipient:
        return Answer(about_me=False, recipient=recipient)
    if _ANSWER_ME.search(text):
        return Answer(about_me=True)
    yes, no = _ANSWER_YES.match(text), _ANSWER_NO.match(text)
    if not (yes or no):
        return None
    # A bare yes/no only counts when nothing else is said ("no more candles" is not "no").
    rest = [w for w in _TOKEN.findall(text) if w not in _ANSWER_FILLER]
    if rest:
        return None
    return Answer(about_me=not yes)


def _correction(text: str) -> Correction | None:
    for pattern, polarity in ((_NEG_CORRECTION, -1), (_POS_CORRECTION, 1)):
        match = pattern.search(text)
        if not match:
            continue
        subject = _clean_subject(match.group("subject"))
        if not subject or _PRONOUN_SUBJECT.match(subject) or _POSITION.search(subject):
            continue
        groups = {name for name, value in match.groupdict().items() if value}
        if polarity == -1:
            template = next(
                (t for t in ("dislikes", "hates", "allergic", "avoids") if t in groups),
                "not_into",
            )
            return Correction(
                subject=subject,
                polarity=-1,
                text=prompts.render(f"facts/{template}", subject=subject),
            )
        verb = match.group("verb")
        template = _POS_VERB_TEMPLATE.get(verb, "likes") if verb else "into"
        return Correction(
            subject=subject, polarity=1, text=prompts.render(f"facts/{template}", subject=subject)
        )
    return None


def _request_or_mode(text: str, budget: _Budget) -> Request | ModeSwitch | Budget | None:
    switch = _MODE_SWITCH.search(text)
    if switch:
        rest = (text[: switch.start()] + " " + text[switch.end() :]).strip()
        if _MODE_SWITCH_REST.match(rest):
            return ModeSwitch(mode=_switch_mode(switch))
    if budget.stated is not None and _STANDING_BUDGET.search(text):
        rest = _blank(text, budget.spans)
        rest = _STANDING_BUDGET.sub(" ", rest)
        recipient, _ = _find_recipient(rest)
        if not _content_words(rest) and recipient is None:
            return Budget(amount=round(budget.stated, 2), currency=budget.currency)
    recipient, recipient_span = _find_recipient(text)
    spans = list(budget.spans)
    if recipient_span:
        spans.append(recipient_span)
    remainder = _MODE_PHRASES.sub(" ", _blank(text, spans))
    words = _content_words(remainder)
    mode = _message_mode(text)
    if switch:
        mode = _switch_mode(switch)
    cued = bool(
        _REQUEST_CUES.search(text)
        or budget.spans
        or recipient
        or mode
        or _STANDING_BUDGET.search(text)
    )
    if not cued and (not words or _NON_REQUEST_START.match(text)):
        return None
    audience, age = _young_audience(text)
    return Request(
        query=" ".join(words),
        budget_max=round(budget.high, 2) if budget.high is not None else None,
        budget_min=round(budget.low, 2) if budget.low is not None else None,
        currency=budget.currency,
        recipient=recipient,
        mode=mode,
        category_words=words,
        audience=audience,
        age=age,
    )


def _young_audience(text: str) -> tuple[Literal["baby", "child", "teen"] | None, float | None]:
    """A baby, child or teenager the message names, with their age (mid-range for
    "a toddler"); adults need no narrowing, so they give nothing."""
    who = parse_recipient(text)
    if who is None or who.audience not in ("baby", "child", "teen"):
        return None, None
    age = who.age
    if age is None and who.age_min is not None and who.age_max is not None:
        age = (who.age_min + who.age_max) / 2
    return who.audience, age


def understand(
    message: str,
    *,
    awaiting_answer: bool = False,
    suggestion_count: int = 0,
    confirming: bool = False,
    handover_open: bool = False,
) -> Understanding:
    """Work out what a shopper's message asks for, deterministically.

    ``awaiting_answer`` says a clarifying question is pending, so short answer-like
    messages ("yes", "for a friend") are read as its answer. ``suggestion_count`` is
    how many suggestions were last shown, so "the last one" and set-level feedback
    can be resolved. ``confirming`` says the agent asked for a yes or no to an action;
    ``handover_open`` that a person has been asked for, so "never mind" calls it off.
    Only the first :data:`MAX_CHARS` characters are read.
    """
    tidy = _tidy(message)
    text = tidy.lower()
    if not text:
        return Unclear(text="")
    if confirming:
        confirm = _confirm(text)
        if confirm:
            return confirm
    if handover_open and _CALL_OFF.search(text):
        return CallOff()
    sensitive = _sensitive(text)
    if sensitive:
        return sensitive
    if _HANDOFF.search(text):
        return Handoff()
    greeted = _GREETING.match(text)
    core = text[greeted.end() :] if greeted and greeted.end() else text
    core = _LEAD_FILLER.sub("", core).strip(" ,")
    if not core:
        return Greeting() if greeted else Unclear(text=tidy)
    for check in (_data_request, _personalization, _forget):
        found = check(core)
        if found:
            return found
    why = _why(core, suggestion_count)
    if why:
        return why
    positional = _positional_feedback(core, suggestion_count)
    if positional:
        return positional
    if awaiting_answer:
        answer = _answer(core)
        if answer:
            return answer
    return _later_checks(core, tidy, suggestion_count)


def _later_checks(core: str, tidy: str, suggestion_count: int) -> Understanding:
    set_feedback = _set_feedback(core, suggestion_count)
    if set_feedback:
        return set_feedback
    if _THUMB_UP_ONLY.match(core):
        return Thanks()  # a thumbs up with nothing to rate is a thank-you
    chat = small_talk(core)
    if chat == "goodbye":
        return Goodbye()
    if chat is not None:
        return SmallTalk(what=chat)
    thanks = _THANKS.match(core)
    if (thanks and thanks.end() == len(core)) or _BARE_POSITIVE.match(core):
        return Thanks()
    if thanks:
        # "thanks! now show me lamps": the thanks is a preface to what follows.
        core = _LEAD_FILLER.sub("", core[thanks.end() :]).strip(" ,")
    correction = _correction(core)
    if correction:
        return correction
    budget = _parse_budget(core)
    found = _request_or_mode(core, budget)
    return found if found is not None else Unclear(text=tidy)
