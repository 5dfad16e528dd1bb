"""The exact word patterns that settle what a message means where the nearest example
would only guess: each names the words a meaning needs ("forget that…", "of those,
which…"). They read the lower-case text the reader has after tidying."""

from __future__ import annotations

import re

ABOUT_SHOWN_WORDS = re.compile(r"\b(?:them|these|those|ones|#\d)\b")
#: "What did I order last?", "when did I last buy tea lights?", "have I had the owl mug
#: before?", "my past orders": what the shopper bought, asked of their history.
ASKS_ORDER_HISTORY = re.compile(
    r"\b(?:what|which|when|how\s+often|how\s+many\s+times)\b[^?.!]*?\b(?:did|have|had)\s+i"
    r"\s+(?:ever\s+|last\s+|already\s+)?(?:order|ordered|buy|bought|purchase|purchased)\b"
    r"|^(?:did|have)\s+i\s+(?:ever\s+|already\s+)?(?:order|ordered|buy|bought|had|purchased)\b"
    # Shown or asked for, not "stop using my past orders" (a switch for personalization).
    r"|\b(?:show|list|see|what(?:\s+(?:were|was|are|is)|'s))\b[^?.!]*?\bmy\s+(?:last|latest"
    r"|previous|past|recent)\s+(?:orders?|purchases?)\b"
    r"|\b(?:show|list|see|what(?:\s+is|'s))\b[^?.!]*?\b(?:order|purchase)\s+history\b"
)
#: When, in a question about past orders: "last time", "before", "ever", "this year".
WHEN_ORDERED = re.compile(
    r"\b(?:last|this|that)\s+(?:time|week|month|year|christmas)\b|\b(?:before|ever|recently"
    r"|lately|previously|already)\b"
)
#: "whichs the least expensive one": one of those on screen.
ONE_OF_THEM = re.compile(r"\bone\b")
#: "which is best for my sister?" chooses among the ones on screen.
WHICH = re.compile(r"\bwhich\b")
FIRST_PERSON = re.compile(r"\b(?:i|i'm|im|i've|me|my|we|our)\b")
THIRD_PERSON = re.compile(r"\b(?:she|he|she's|he's|her|his|him|they|their)\b")
#: Dropping one thing said: "forget that I hate glitter", "drop the thing about nautical".
#: Exact, because it outranks the taste or search the rest of the message would state.
FORGETS_FACT = re.compile(
    r"^(?:(?:please|pls|oh|and|also|actually|ok|okay|you\s+can)[, ]+)*"
    r"(?:forget|drop|scrap|scratch|ignore|disregard|delete|remove|undo|erase|wipe|strike|lose"
    r"|take|un-?save|bin)\s+(?:off\s+|out\s+|away\s+|back\s+)?"
    r"(?:that\s+(?:i\b|last\s+(?:bit|thing)|bit)|what\s+i\b|i\s+(?:said|mentioned|told)"
    r"|(?:the|my|that)\s+(?:\w+\s+)?(?:thing|bit|part|stuff|note|comment|fact|remark)\b"
    r"|my\s+(?:like|dislike|preference)\s+(?:for|of|about))"
    r"|\b(?:isn'?t|is\s+not|not|no\s+longer)\s+true\s+any\s*more\b"
    r"|\bno\s+longer\s+want\s+you\s+(?:to\s+)?remember"
    r"|^(?:please\s+)?(?:don'?t|do\s+not|stop)\s+(?:remember|remembering|keep|keeping|store|storing)"
    r"\s+(?:that|the\s+(?:bit|part|thing))\b"
)
#: While a person is being fetched: "scrap the human thing", "cancel that, sorted".
CALLS_OFF = re.compile(
    r"^(?:(?:oh|ok|okay|actually|no)[, ]+)*(?:scrap|cancel|forget|never\s*mind|nvm|no\s+need"
    r"|don'?t\s+need|not\s+needed|call\s+off|don'?t\s+worry|no\s+worries)\b"
)
ASKS_WHY = re.compile(
    r"^(?:(?:but|so|and|ok|hmm)[, ]+)?(?:why|y|how\s+come|what\s+made\s+you"
    r"|how\s+did\s+you\s+(?:come\s+up|pick|choose|decide|get)|what\s+is\s+it\s+about)\b"
)
#: A reason asked for anywhere in a message: "could you explain why item 4…", "on what
#: basis…"; a "why" reading needs one of these (or :data:`ASKS_REASON`).
ASKS_WHY_ANYWHERE = re.compile(
    r"\b(?:why\w*|how\s+come|reasons?|reasoning|basis|explain\w*|what\s+make[sd]?|what\s+made"
    r"|made\s+you|logic|based\s+on)\b"
)
#: "number 4, more like that please": asking for more of one, whatever it says of it.
WANTS_MORE_LIKE = re.compile(
    r"\b(?:more|others?|ones?)\s+like\s+(?:that|it|this|them)\b|\bsimilar\b"
)
#: Words that ask for likeness: "more like #2", "similar to the first", "#3 but bigger".
LIKENESS = re.compile(
    r"\b(?:like|similar|same|along\s+the\s+lines|vein|kind|style|sort|more\s+of|but|version"
    r"|alternative|equivalent)\b"
)
#: "of those, which…", "out of these": choosing among the suggestions on screen.
AMONG_SHOWN = re.compile(
    r"\b(?:of|out\s+of|from|among|amongst|between)\s+(?:these|those|them|the\s+ones"
    r"|the\s+(?:two|three|four|five|six|seven|eight|nine|ten|\d+))\b"
)
CHOOSING = re.compile(r"\b(?:which|what|pick|choose|best|most|least|would|should|suitable)\b")
SAYS_OWNED = re.compile(
    r"\balready\s+(?:have|got|own)\b|\b(?:have|got|own)\b.*\balready\b"
    r"|\b(?:have|got)\s+(?:that|this|it|those|them)(?:\s+one)?\s+at\s+home\b"
)
#: Words of having, one of which "I already have that one" needs.
HAVING = re.compile(r"\b(?:have|has|had|got|gotten|own|owned|bought|already|mine)\b|'ve\b")
NEGATING = re.compile(r"\b(?:no|not|nope|nah|don'?t|cancel|abort|stop|wait|never)\b")
PERSONALISING = re.compile(r"\b(?:use|using|used|base|basing|based|personali[sz]\w*|tailor\w*)\b")
#: What personalization is made of: "my history", "what you know about me".
MY_HISTORY = re.compile(
    r"\b(?:my\s+(?:history|purchases|past|orders|profile|data|shopping|preferences)"
    r"|about\s+me|to\s+me|personali[sz]\w*|tailor\w*)\b"
)
FOR_SOMEONE = re.compile(r"\bfor\s+(?:my|our|her|him|a|an|the)\b")
#: A follow-up that keeps the search on screen going: "same person, but…", "…instead",
#: "what about…", "those but for a newborn", "any of them suitable for my gran?".
CARRIES_ON = re.compile(
    r"\bsame\s+(?:person|one|recipient|guy|girl|lady|man|woman|again|kind|sort|type|style"
    r"|vibe|idea|thing|things|but)\b|\bfor\s+(?:the\s+)?same\b|\bsimilar\b|\bones\b"
    r"|\binstead\b|(?:^|,\s*)(?:(?:ok|okay|hmm|and|so|right)[, ]+)?(?:what|how)\s+about\b"
    r"|\b(?:those|these|them)\s+(?:are\s+\w+\s+)?but\b|^(?:\w+[, ]+)?but\s+for\b"
    r"|\b(?:any|some)\s+of\s+(?:them|those|these)\b|\b(?:anything|something)\s+else\b"
    r"|^(?:\w+[, ]+)?but\b|\bmore\s+like\b|\b(?:cheaper|less\s+expensive|pricier|dearer)\b"
)
#: Asking whether the shown items come some other way: "do any of them come in wood?",
#: "have you got those in leather?", "ones made of wood".
ASKS_OF_SHOWN = re.compile(
    r"\b(?:any\s+of\s+)?(?:them|those|these|ones)\s+"
    r"(?:come\s+in|in|made\s+(?:of|from|in)|with|without)\b"
    r"|\bnarrow\s+(?:it|them|this)?\s*down\b"
)
#: Likes said with a negative word in them: "can't get enough of", "never tire of".
LOVES_DESPITE_NOT = re.compile(
    r"\bcan'?t\s+get\s+enough\b|\bnever\s+(?:get\s+)?(?:tired|sick|bored)\s+of\b"
    r"|\bnever\s+tire\s+of\b|\bcan'?t\s+resist\b|\bcan'?t\s+beat\b|\bcan'?t\s+go\s+wrong\b"
)
#: A ruling-out meant for good: "no animal prints ever", "nothing with skulls, ever".
FOR_GOOD = re.compile(r"\b(?:ever|never\s+again|any\s*more|at\s+all|for\s+me)\b")
#: Asking to leave the search on screen for another: "something totally unrelated".
OTHER_DIRECTION = re.compile(
    r"\b(?:different|unrelated|something\s+else|else\s+entirely|change\s+(?:of\s+)?(?:direction|tack))\b"
)
_FORGET_VERB = (
    r"(?:forget|drop|scrap|scratch|ignore|disregard|delete|remove|undo|erase|wipe|strike|lose"
    r"|bin|unlearn|un-?remember|get\s+rid\s+of|take\s+(?:it|that|this)\s+(?:out|off))"
)
#: Dropping a remark said anywhere in the message: "pls forget my budget", "disregard my
#: earlier remark about wool", "the owl thing was a joke, delete it".
FORGETS_REMARK = re.compile(
    rf"\b{_FORGET_VERB}\s+(?:my\s+(?:earlier\s+|last\s+|old\s+)?(?:remark|comment|note|preference"
    r"|budget|like|dislike|answer)\b|(?:the|that)\s+(?:[\w-]+\s+){0,2}(?:thing|bit|part|preference"
    r"|remark|comment|note|fact|one\s+about)\b|(?:the|that)\s+(?:[\w-]+\s+){1,2}i\s+(?:said|mentioned"
    r"|told\s+you)\b|(?:that\s+)?i\s+(?:said|mentioned|told\s+you|like|love|hate|dislike|am|'m)\b)"
    rf"|\b(?:thing|preference|remark|said|saying|liking|disliking|wrong\s+about)\b.*\b{_FORGET_VERB}"
    r"(?:\s+(?:it|that|this))?(?:\s+(?:out|off))?\s*(?:pls|please|thanks)?[.!?]*$"
)
#: Asking what a suggestion is doing there, in words other than "why": "explain number
#: two", "what's the connection between the cheese board and…".
ASKS_REASON = re.compile(
    r"^(?:(?:wait|so|but|ok|okay|hmm|just\s+curious|sorry)[, ]+)*"
    r"(?:explain|why\s+(?:is|are)\s+there|why'?s\s+there"
    r"|what'?s\s+the\s+(?:connection|logic|reasoning|link|thinking)"
    r"|where\s+did\s+.+\s+come\s+from|how\s+did\s+you\s+(?:land|end\s+up|arrive))\b"
)
#: An eye-roll at what is on screen: sarcasm, whatever the words say.
EYE_ROLL = re.compile("[\U0001f644\U0001f612]")
_NO_GOOD = (
    r"(?:so\s+|completely\s+|totally\s+|utterly\s+|absolutely\s+|really\s+|bloody\s+|just\s+)?"
    r"(?:useless|pointless|hopeless|worthless|rubbish|unhelpful|not\s+help(?:ful|ing)|no\s+help"
    r"|no\s+use|(?:a\s+)?waste\s+of\s+(?:time|space))"
)
_ASSISTANT = r"(?:bot|chat\s?bot|chat|assistant|ai)"
_AT_AGENT = rf"(?:you(?:'re|\s+are|\s+r)?|u(?:\s+r)?|ur|this\s+{_ASSISTANT}(?:\s+is|'s)?|what)"
#: A verdict on the agent itself, which asks for nothing: "you're useless", "useless bot",
#: "what a waste of time". It names the agent (or is a waste of time), so it is never a
#: search for a product.
JUDGES_AGENT = re.compile(
    rf"^(?:(?:ugh|god|honestly|seriously|wow|omg|jeez)[\s,!.]+)?"
    rf"(?:{_AT_AGENT}\s+{_NO_GOOD}(?:\s+{_ASSISTANT})?|{_NO_GOOD}\s+{_ASSISTANT})[\s!.?]*$"
)
#: The words of that verdict anywhere: "these are all sh*t, useless bloody thing".
NO_GOOD = re.compile(rf"\b{_NO_GOOD}\b")
#: The same verdict on "this" or "it", which is about the list when one is on screen.
JUDGES_THIS = re.compile(rf"^(?:this|it|that)(?:\s+is|'s|\s+was)\s+{_NO_GOOD}[\s!.?]*$")
#: Words about the shopper's data or history, which a data or personalization request names.
ABOUT_MY_DATA = re.compile(
    r"\b(?:data|info|information|details|profile|history|records?|file|copy|stor\w*|hold|keep"
    r"|kept|sav\w*|learn\w*|know\w*|tastes|likes|everything|track\w*|personal\w*|tailor\w*"
    r"|preferences?|past|before|bas(?:e|ed|ing)|chats?|looked|bought|orders?|account|system"
    r"|database|traces?|(?:delete|erase|wipe|remove|purge|forget)\s+me"
    r"|us(?:e|ing)\s+what|about\s+me|on\s+me)\b"
)
#: Someone else who asks for a person: "my dad always asks to speak to the manager".
OTHERS_ASK_FOR_PERSON = re.compile(
    r"\b(?:he|she|they|who|(?:my|our|her|his)\s+\w+)\s+(?:always\s+|often\s+|usually\s+|keeps\s+)?"
    r"(?:asks?|asking|wants?|demands?|insists?\s+on)\s+(?:to\s+)?(?:speak|speaking|talk|talking)\b"
    r"|\b(?:says?|said|told\s+me|reckons?)\s+(?:that\s+)?(?:i\s+should|to)\s+(?:ask|talk|speak)\b"
)
#: A request taken back: "…only joking, show me aprons".
JOKING = re.compile(r"\b(?:kidding|jk|joking|jokes)\b|[\U0001f602\U0001f923]")
#: A person or a refund waved away: "no need for a human, you're doing great", "talk to
#: a human? nah I'm fine", "refund? nah i'll keep it".
WAVES_OFF = re.compile(
    r"\b(?:no\s+need\s+(?:for|to)|(?:don'?t|do\s+not|dont)\s+(?:need|want)|rather\s+not"
    r"|hate\s+(?:dealing|talking|speaking))\b[^.?!,]{0,25}"
    r"\b(?:humans?|person|people|someone|somebody|staff|agent|refund)\b"
    r"|[^.!?]{0,40}\?\s*(?:nah|nope|no)\b[, ]+"
    r"(?:i'?m\s+(?:fine|good|ok|okay)|i'?ll\s+keep|all\s+good)"
)
#: A task for something other than a shop: "translate hello into french", "set an alarm".
TASK_ELSEWHERE = re.compile(
    r"^\W*(?:translate|set|book|sing|write|play|call|text|remind|calculate|define|spell"
    r"|order\s+me)\b"
)
#: A question or task for something other than a shop: "how tall is the eiffel tower".
ASKS_ELSEWHERE = re.compile(
    r"^\W*(?:how|what|what'?s|who|who'?s|when|where|why|which|is|are|was|were|will|would"
    r"|can|could|do|does|did|tell)\b|" + TASK_ELSEWHERE.pattern
)
#: "what would you suggest?", "so what do you recommend for me": asks for suggestions and
#: narrows nothing, whatever is on screen already.
ASKS_WHAT_YOU_SUGGEST = re.compile(
    r"^(?:(?:so|ok|okay|well|hmm+|then|right)[\s,]+)?(?:what|wat|wot|wht)(?:\s+things?|\s+stuff)?"
    r"\s+(?:would|wud|wld|do|can|could|should|will|d)\s+(?:you|u|ya)\s+(?:suggest|recommend)"
    r"(?:\s+(?:for\s+me|to\s+me|then|now|today))*[\s?!.]*$"
)
#: "am I talking to a bot?", "is this a real person", "are you human or AI": whether a
#: person answers, and nothing more (asking for one is a hand-over).
ASKS_IF_HUMAN = re.compile(
    r"^(?:(?:hi|hiya|hey|hello|yo|wait|sorry|excuse\s+me|um+|erm+|hm+|just\s+wondering"
    r"|quick\s+question|so|ok|okay|also|btw|but|and|there)[\s,!.]+)*"
    r"(?:am\s+i\s+(?:talking|chatting|speaking|texting|writing)\s+(?:to|with)"
    r"|(?:are|r)\s+(?:you|u)|is\s+(?:this|that|it)|is\s+there)\s+"
    r"(?:(?:a|an|actually|really|even|just)\s+)*"
    r"(?:(?:real|live|actual)\s+)?(?:person|human|people|bot|robot|chat\s*bot|ai|machine|computer"
    r"|automated|automatic|real|a\s+real\s+person)"
    r"(?:\s+(?:or\s+(?:a\s+|an\s+)?(?:real\s+)?(?:person|human|bot|robot|chat\s*bot|ai|machine"
    r"|computer|not)|here|there|answering|replying|typing))*"
    r"(?:[\s,?!.]+(?:lol|lmao|haha+|tho|though|tbh|then|right|honestly|seriously|or\s+what))*"
    r"[\s?!.]*$"
)
#: "I bought the tea towels for my mum", "those mugs were a present for my dad", "the
#: lego I got was for my nephew": what was bought (``what``), said to be someone else's.
BOUGHT_FOR = re.compile(
    r"\b(?:i|we)\s+(?:(?:only|just|actually)\s+)?(?:bought|got|ordered|purchased|picked\s+up)\s+"
    r"(?P<what>[^,.;!?]+?)\s+(?:as\s+(?:a\s+)?(?:gifts?|presents?)\s+)?for\s+"
    r"(?!me\b|myself\b|us\b|ourselves\b|the\s+house\b|home\b|work\b)"
    r"|\b(?:the|those|these|that|all\s+the|my)\s+(?P<thing>[^,.;!?]+?)\s+(?:(?:i|we)\s+(?:bought|got"
    r"|ordered|purchased)\s+(?:\w+\s+){0,3}(?:was|were|are|is)|was|were)\s+(?:all\s+|actually\s+|really\s+"
    r"|just\s+)?(?:(?:a|an)\s+)?(?:gifts?|presents?|for)\s+(?:for\s+)?(?!me\b|myself\b|us\b)"
)
#: Words that ask for something: with one, what a message tells is part of a search.
ASKS_FOR_ANY = re.compile(
    r"\b(?:show|find|suggest\w*|recommend\w*|looking|look|need|needs|want|wants|idea|ideas"
    r"|something|anything|smth|sth|else|more|any|help|could|can|would|please|pls|plz)\b"
)
#: "too childish", "bit too girly for him", "way too plain tbh": a verdict on what is on
#: screen that leaves out its subject ("these are …").
BARE_TOO = re.compile(
    r"^(?:(?:hmm+|um+|nah|no|meh|ugh|eh|oh|hm+)[\s,]+)?(?:(?:a\s+)?(?:bit|little|tad|way|far|much"
    r"|kinda|rather|just|all|a\s+tad|slightly|definitely)\s+)?too\s+[a-z]+(?:-[a-z]+)?"
    r"(?:\s+for\s+(?:him|her|them|me|my\s+\w+|a\s+\w+))?"
    r"(?:[\s,]+(?:tbh|tho|though|honestly|imo|really|sorry))?[\s!.]*$"
)
#: "are you there?", "anyone there?": whether anyone answers, and nothing more.
CHECKS_PRESENCE = re.compile(
    r"^(?:(?:hello|hi|hey|hiya|um+|erm+)[\s,?!.]*)?(?:(?:are|r)\s+(?:you|u)\s+(?:still\s+)?there"
    r"|(?:is\s+)?(?:any\s*one|any\s*body|some\s*one)\s+(?:there|here|home|around|about)"
    r"|(?:you|u)\s+(?:still\s+)?there)[\s?!.]*$"
)
#: "what's in my basket", "add number 2 to my cart", "put the first one in my basket":
#: the shopper's basket, which the shop keeps ("a basket for my mum" is a search).
ABOUT_BASKET = re.compile(
    r"\b(?:add|put|pop|stick|throw|chuck|move|drop|place)\b[^.?!]{0,40}\b(?:to|in|into)\s+"
    r"(?:my\s+|the\s+|your\s+)?(?:basket|cart|trolley|shopping\s+bag)\b"
    r"|\b(?:in|from|on|inside|of)\s+my\s+(?:shopping\s+)?(?:basket|cart|trolley)\b"
    r"|\bmy\s+(?:shopping\s+)?(?:basket|cart|trolley)\b\s*(?:\?|$)"
    r"|\b(?:empty|clear|show|see|view|check|open)\s+(?:me\s+)?my\s+(?:shopping\s+)?"
    r"(?:basket|cart|trolley)\b"
)
#: "is the first one popular?", "are the mugs dishwasher safe?": a question, no verdict.
YES_NO_QUESTION = re.compile(r"^(?:is|are|does|do|was|were|has|have|can|will)\b[^?]*\?\s*$")
#: "ok, …", "hmm, …": a word that opens a message and changes nothing.
_OPENER = r"^(?:(?:ok|okay|so|and|hmm|um|oh)[\s,]+)?"
#: "what's the second one made of?", "how big is #3", "tell me more about number 5":
#: a question of fact about one.
ASKS_DETAIL = re.compile(
    rf"{_OPENER}(?!(?:what|how)\s+about\b)"
    r"(?:what(?:'s|s|\s+is|\s+are|\s+does|\s+do)?|how(?:'s|\s+\w+)?|which|where|who|when)\b"
    r"|\btell\s+me\s+(?:a\s+(?:bit|little)\s+)?(?:more\s+)?about\b"
    r"|\bmore\s+(?:info|information|details?)\s+(?:on|about)\b"
)
#: "is the second one dishwasher safe", "does number 2 come in blue", "do you think #3
#: would suit her": a question put about what follows the verb (see
#: :func:`reader._about_one_shown`), asked by no "I" or "we".
ASKS_OF = re.compile(
    r"^(?:(?:ok|okay|so|and|hmm|um|oh|also|just\s+wondering)[\s,]+)?"
    r"(?:is|are|does|do|did|has|have|can|could|will|would|was|were)\s+"
    r"(?!i\b|we\b)(?P<subject>(?:\S+\s+){0,3}\S+)"
)
#: "… in blue", "… in a bigger size": another version of something, asked for (not "in
#: stock", "in the middle", "in my basket").
IN_ANOTHER = re.compile(
    r"\bin\s+(?:a\s+|an\s+)?(?!stock\b|the\b|my\b|your\b|our\b|total\b|it\b|there\b"
    r"|here\b|time\b|case\b|mind\b|general\b|person\b)[a-z]"
)
#: "what about number 2 in blue?": a suggestion of where to look, no verdict.
WHAT_ABOUT = re.compile(rf"{_OPENER}(?:what|how)\s+about\b")
#: "I'd like to…", "would like": wanting, not likeness.
WANTING = re.compile(r"(?:'d|\bwould|\bwd)\s+(?:really\s+)?like\b")
#: "I'll take the first one", "gonna get number 2", "the 3rd please": one chosen.
CHOOSES_ONE = re.compile(
    r"\b(?:i'?ll|ill|i\s+will|i'?d\s+like\s+to|let\s+me|i\s+want\s+to|i'?m\s+going\s+to"
    r"|i'?m\s+gonna|gonna|going\s+to|(?:can|could|may)\s+i)\s+"
    r"(?:take|get|buy|have|order|grab|pick|choose|purchase"
    r"|go\s+(?:for|with))\b"
    r"|^(?:(?:ok|okay|great|perfect|lovely|yes|yeah|yep|right|cool)[\s,!.]+)?(?:the\s+)?"
    r"(?:(?:number|no\.?)\s*)?(?:\w+|#\s*\d+)(?:\s+one)?\s+(?:please|pls|plz)[\s!.]*$"
)
#: "too pricey", "a bit overpriced", "out of my budget": a price that puts them off.
TOO_DEAR = re.compile(
    r"\b(?:too|a\s+bit|bit|rather|quite|pretty|so)\s+(?:pricey|pricy|expensive|dear|costly|spendy"
    r"|steep)\b|\btoo\s+much\b|\bover\s*-?\s*priced\b"
    r"|\bout\s+of\s+my\s+(?:price\s+range|budget|range)\b"
)
#: "how much is the second one", "what does no. 3 cost": its price, asked.
ASKS_PRICE = re.compile(
    r"\bhow\s+much\b|\b(?:what|wot|wat)(?:'s|s|\s+is)\s+(?:the\s+)?(?:price|cost)|\bprice\s+of\b"
    r"|\b(?:what|wot|wat)\s+(?:does|do|did)\b.*\bcost\b"
)
#: "is the first one popular?", "how popular is the owl lamp": asking about something.
ASKS_ABOUT = re.compile(
    r"\bhow\s+popular\b|\b(?:is|are)\s+(?:the|this|that|these|those|it|they|your|ur)\b"
)
#: "sort by price", "cheapest first", "price high to low": a price order (of the shown
#: ones, unless it names what to find: "sort the mugs by price").
SORTS_BY_PRICE = re.compile(
    r"\b(?:sort|order|rank|arrange|list)(?:ed)?\s+(?:[\w'-]+\s+){0,3}?"
    r"by\s+(?:the\s+)?(?:price|cost)\b|\b(?:cheapest|lowest\s+price)\s+first\b"
    r"|\b(?:most\s+expensive|priciest|dearest|highest\s+price)\s+first\b"
    r"|\b(?:price|cost)s?\s+(?:from\s+)?(?:low(?:est)?\s+to\s+high|high(?:est)?\s+to\s+low)"
)
#: The words of a price order that name nothing to find: "sort", "by price", "first".
PRICE_ORDER_WORDS = re.compile(
    r"\b(?:sort|order|rank|arrange|list)(?:ed)?\b|\bby\s+(?:the\s+)?(?:price|cost)\b"
    r"|\b(?:price|cost)s?\b|\b(?:from\s+)?(?:high(?:est)?\s+to\s+low(?:est)?"
    r"|low(?:est)?\s+to\s+high(?:est)?)\b|\b(?:de|a)scending\b|\bfirst\b"
)
#: "high to low", "descending": a price order from the top said without a price word.
FROM_THE_TOP = re.compile(r"\bhigh(?:est)?\s+to\s+low|\bdescending\b")
