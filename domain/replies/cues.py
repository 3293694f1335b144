"""The phrases that say what a reply means, in English and Swedish, one pattern list per cue.

Each cue is a class of sentence the reader weighs: an outcome (cancelled now, already
cancelled, binding contract, no subscription found, another reason), or a sign that a person
must read the reply (out of office, a question, several subscriptions, only an
acknowledgement). Patterns run on one sentence at a time, lower-cased.
"""

from __future__ import annotations

import re
from enum import StrEnum

from domain.replies.cues_people import PEOPLE_PATTERNS


class Cue(StrEnum):
    DONE = "done"
    DONE_FUTURE = "done_future"
    ALREADY = "already"
    BINDING = "binding"
    NOT_BINDING = "not_binding"
    NO_SUBSCRIPTION = "no_subscription"
    OTHER = "other"
    NOT_CANCELLED = "not_cancelled"
    PENDING = "pending"
    QUESTION = "question"
    SEVERAL = "several"
    OUT_OF_OFFICE = "out_of_office"
    CORRECTION = "correction"
    RETRACTED = "retracted"
    IMMEDIATE = "immediate"
    BECAUSE = "because"


_C = r"(?:cancell?ed|terminated|closed|deactivated|discontinued|ended|stopped|removed)"
_UPPSAGT = (
    r"(?:uppsagt|uppsagd|uppsagda|avslutat|avslutad|avslutade|stängt|stängd|avregistrerat|"
    r"avregistrerad|makulerat|makulerad)"
)

_PATTERNS: dict[Cue, tuple[str, ...]] = {
    Cue.DONE: (
        rf"\b(?:has|have|had)\s+(?:now\s+|just\s+|successfully\s+|today\s+|been\s+)?(?:been\s+)?(?:successfully\s+|now\s+)?{_C}\b",
        rf"\b(?:we|i)(?:'ve|\s+have)?\s+(?:now\s+|just\s+|successfully\s+|today\s+)?{_C}\b",
        rf"\b(?:is|are|was|it's|its)\s+(?:now\s+|successfully\s+|officially\s+)?{_C}\b",
        r"\bcancell?ation\s+(?:request\s+)?(?:is|was|has\s+been)\s+(?:now\s+|successfully\s+)?(?:done|complete|completed|processed|confirmed|registered|carried\s+out|effective|made|executed|finali[sz]ed)\b",
        r"\b(?:processed|completed|confirm(?:ing)?|registered|executed)\s+(?:the\s+|your\s+|this\s+|that\s+)?cancell?ation\b",
        r"\bcancell?ation\s+(?:is\s+)?confirmed\b",
        r"\bcancell?ed\s+(?:as\s+requested|per\s+your\s+request|effective|with\s+effect|the\s+subscription|it|their|his|her)\b",
        r"^(?:done|ok|okay|sure|yes|hi|hello)?[,.!:\s-]*cancell?ed\b",
        r"^(?:done|fixed|all\s+done|klart|fixat|ordnat)\s*[,.!:-]",
        r"\bcancell?ation\s+(?:is\s+)?(?:done|complete|completed|confirmed|processed|registered)\b",
        r"\b(?:subscription|membership|account|plan|contract|service)\s+(?:now\s+|successfully\s+)?(?:cancell?ed|terminated|closed|ended|deactivated)\b",
        r"\b(?:abonnemang(?:et)?|medlemskap(?:et)?|konto(?:t)?|avtal(?:et)?|tjänsten)\s+(?:nu\s+)?(?:uppsagt|avslutat|stängt)\b",
        r"\b(?:auto-?renewal|automatic\s+renewal|recurring\s+(?:payment|billing))\s+(?:has\s+been\s+|is\s+(?:now\s+)?)?(?:turned\s+off|disabled|stopped|cancell?ed|switched\s+off)\b",
        r"\b(?:turned\s+off|disabled|stopped|switched\s+off)\s+(?:the\s+)?(?:auto-?renewal|automatic\s+renewal|recurring\s+(?:payment|billing))\b",
        r"\b(?:den\s+automatiska\s+förnyelsen|förnyelsen|autoförnyelsen)\s+(?:är|har)\s+(?:nu\s+)?(?:avstängd|stoppad|avslutad|stängts\s+av|stoppats)\b",
        r"\b(?:stängt\s+av|stoppat)\s+(?:den\s+automatiska\s+)?förnyelsen\b",
        r"\bwill\s+not\s+be\s+(?:charged|billed)\s+(?:again|any\s+more|anymore|further)\b",
        r"\bno\s+(?:further|more)\s+(?:charges|payments|invoices)\b",
        rf"\b(?:är|blev|har\s+blivit)\s+(?:nu\s+|härmed\s+)?{_UPPSAGT}\b",
        rf"\b(?:är|blev)\s+(?:det|den|nu|härmed|alltså)\s+(?:nu\s+|härmed\s+)?{_UPPSAGT}\b",
        r"\b(?:vi|jag)\s+har\s+(?:nu\s+)?(?:stoppat|avbrutit|avregistrerat|stängt\s+av)\s+(?:abonnemanget|medlemskapet|kontot|avtalet|prenumerationen)\b",
        r"\bavslutningen\s+är\s+(?:genomförd|klar|gjord)\b",
        r"\b(?:gone\s+ahead\s+and|went\s+ahead\s+and)\s+(?:cancell?ed|terminated|closed)\b",
        r"\b(?:has\s+been|have\s+been|was|were)\s+unsubscribed\b|\bwe(?:'ve|\s+have)\s+unsubscribed\b",
        r"\bcancell?ation\s+(?:request\s+)?(?:went\s+through|is\s+complete|has\s+gone\s+through)\b",
        r"\bhar\s+(?:nu\s+|idag\s+|i\s+dag\s+|härmed\s+)?(?:sagts\s+upp|avslutats|stängts|avregistrerats|makulerats)\b",
        r"\b(?:vi|jag)\s+har\s+(?:nu\s+|idag\s+|i\s+dag\s+|härmed\s+)?(?:sagt\s+upp|avslutat|stängt|avregistrerat)\b",
        r"\b(?:vi|jag)\s+(?:sa|sade)\s+upp\b",
        r"\b(?:vi|jag)\s+(?:stängde|avslutade|avregistrerade|spärrade)\b",
        r"\buppsägningen\s+är\s+(?:nu\s+)?(?:behandlad|hanterad|verkställd|effektuerad)\b",
        rf"(?:^|[,;:!–-]\s*)(?:nu\s+)?{_UPPSAGT}\s*(?:[,.;:!–-]|$)",
        r"(?:^|[,;:!–-]\s*)(?:now\s+)?cancell?ed\s*(?:[,.;:!–-]|$)",
        r"\b(?:switched|turned)\s+off\s+(?:the\s+)?(?:auto-?)?renewal\b",
        r"\b(?:stängt|stängde)\s+av\s+(?:den\s+automatiska\s+)?förnyelsen\b",
        r"\b(?:sa|sade)\s+upp\s+(?:det|den|abonnemanget|avtalet|medlemskapet|kontot)\b",
        r"\b(?:ended|expired)\s+(?:on|den)\b",
        r"\bupphörde\b",
        r"\blöpte\s+(?:\w+\s+){0,2}ut\b",
        r"\b(?:sades|avslutades)\s+(?:upp\s+)?(?:den|i\s+dag|idag|igår|i\s+går)\b",
        r"\buppsägningen\s+(?:är|har)\s+(?:nu\s+)?(?:genomförd|klar|registrerad|utförd|bekräftad|gjord|registrerats|genomförts|behandlats|utförts)\b",
        r"\b(?:bekräftar|genomfört|registrerat)\s+(?:härmed\s+)?uppsägningen\b",
        r"\b(?:sades\s+upp|avslutades|stängdes|avregistrerades)\b",
        r"\buppsägning(?:en)?\s+(?:bekräftad|genomförd|registrerad|klar)\b",
        rf"^(?:klart|ok|okej|japp|ja|hej|hejsan)?[,.!:\s-]*(?:nu\s+)?{_UPPSAGT}\b",
        r"\bkommer\s+inte\s+(?:att\s+)?(?:debiteras|faktureras)\s+(?:igen|mer|längre)\b",
    ),
    Cue.DONE_FUTURE: (
        r"\b(?:set|scheduled|due)\s+to\s+(?:be\s+)?(?:cancell?ed|cancel|end|expire|terminate|close)\b",
        r"\b(?:takes|will\s+take)\s+effect\b",
        r"\b(?:will\s+)?(?:cease|ceases|lapse|lapses)\b",
        r"\b(?:will\s+not|won't)\s+(?:be\s+)?renew(?:ed)?\b",
        r"\b(?:stängs|sägs\s+upp|förnyas\s+inte|kommer\s+inte\s+att\s+förnyas)\b",
        r"\b(?:träder|trädde)\s+i\s+kraft\b",
        r"\bsatt\s+att\s+(?:avslutas|upphöra|sägas\s+upp)\b",
        r"\b(?:will|is\s+going\s+to)\s+(?:be\s+)?(?:cancell?ed|terminated|end|expire|stop|close|run\s+out)\b",
        r"\b(?:ends|expires|terminates|stops)\s+(?:on|at|by|as\s+of)\b",
        r"\b(?:kommer\s+att\s+)?(?:avslutas|upphöra|upphör|sägas\s+upp|löpa\s+ut|löper\s+ut|slutar\s+gälla|går\s+ut)\b",
    ),
    Cue.ALREADY: (
        rf"\balready\s+(?:been\s+)?{_C}\b",
        r"^already\s+(?:done|sorted|handled|taken\s+care\s+of|cancell?ed)\b",
        r"\b(?:was|were|has\s+been|had\s+been)\s+already\s+(?:done|taken\s+care\s+of|handled|sorted|dealt\s+with)\b",
        r"\balready\s+(?:been\s+)?(?:taken\s+care\s+of|dealt\s+with|handled)\b",
        rf"\b(?:the\s+customer|customer|they|he|she)\s+(?:has\s+|had\s+)?(?:already\s+)?(?:{_C}|cancell?ed\s+it)\b",
        r"\bkunden\s+(?:har\s+|hade\s+)?(?:redan\s+)?(?:sa\s+upp|sade\s+upp|sagt\s+upp|avslutat|avslutade|stängde)\b",
        r"\bredan\s+(?:klart|åtgärdat|gjort|fixat|ordnat|hanterat)\b",
        r"\b(?:redan|alltså\s+redan)\s+(?:inaktivt|inaktiv|avslutat|avslutad|upphört)\b",
        r"\balready\s+(?:inactive|ended|expired|closed)\b",
        r"\b(?:var|är)\s+redan\s+(?:klart|åtgärdat|gjort|fixat|ordnat|hanterat)\b",
        r"\b(?:upphörde|avslutades|gick\s+ut|stängdes|sades\s+upp)\s+redan\b",
        r"\balready\s+(?:processed|handled|registered|received)\s+(?:this|the|a|that|their|his|her)\s+cancell?ation\b",
        r"\b(?:redan|tidigare)\s+(?:behandlat|registrerat|genomfört)\s+(?:en\s+|denna\s+|den\s+)?uppsägning",
        rf"\b(?:previously|earlier)\s+{_C}\b",
        rf"\b{_C}\s+(?:it\s+|the\s+subscription\s+|the\s+account\s+)?(?:themselves|himself|herself|previously|earlier|back\s+in|last\s+(?:week|month|year)|some\s+time\s+ago|before\s+(?:your|the|our)|prior\s+to)\b",
        rf"\b(?:was|were|had\s+been|has\s+been)\s+{_C}\s+back\b",
        rf"\bhad\s+(?:already\s+)?(?:been\s+)?{_C}\b",
        r"\bnot\s+been\s+active\s+since\b",
        rf"\bredan\s+(?:är\s+|blivit\s+|varit\s+|har\s+)?(?:{_UPPSAGT}|sagts\s+upp|sagt\s+upp|avslutats|stängts)\b",
        rf"\b(?:är|var|blev)\s+redan\s+(?:{_UPPSAGT})\b",
        r"\bhar\s+redan\s+(?:sagts\s+upp|avslutats|sagt\s+upp|avslutat)\b",
        rf"\b(?:{_UPPSAGT})\s+sedan\b",
        rf"\btidigare\s+(?:{_UPPSAGT}|sagt\s+upp|sagts\s+upp)\b",
        r"\b(?:sa|sade)\s+upp\s+(?:det\s+|abonnemanget\s+|avtalet\s+)?själv\b",
        r"\bsjälv\s+(?:har\s+)?sagt\s+upp\b",
        r"\bsjälv\s+(?:har\s+)?(?:avslutat|stängt|sagt\s+upp)\b",
        r"\b(?:avslutade|sa\s+upp|sade\s+upp|stängde)\s+(?:\w+\s+){0,2}själv\b",
        rf"\b{_C}\s+(?:\w+\s+){{0,2}}themselves\b",
        r"\bsades\s+upp\s+(?:redan|tidigare|för)\b",
        r"\bredan\s+(?:sades\s+upp|avslutades|stängdes)\b",
        r"\b(?:sades\s+upp|avslutades|stängdes)\s+redan\b",
    ),
    Cue.BINDING: (
        r"\bbinding\b",
        r"\bminimum\s+(?:term|period|contract|commitment)\b",
        r"\bcommitment\s+period\b",
        r"\bfixed[- ]term\b",
        r"\block-?in\s+period\b",
        r"\bcontract\s+(?:period\s+)?(?:runs|ends|expires|lasts|is\s+valid|is\s+binding|term|runs\s+until)\b",
        r"\bbound\s+by\b",
        r"\b\d{1,2}[- ]month\s+(?:contract|commitment|term|agreement)\b",
        r"\b\d{1,2}[- ]month\s+(?:deal|plan|subscription|package)\b",
        r"\b(?:don't|do\s+not|doesn't|does\s+not)\s+allow\s+(?:an\s+)?early\s+(?:cancell?ation|termination)\b",
        r"\b(?:early|förtida)\s+(?:termination|uppsägning)\s+(?:is|är)\s+(?:not|inte|ej)\b",
        r"\btillåter\s+(?:ingen|inte)\s+förtida\s+uppsägning\b",
        r"\b\d{1,2}-?månaders\s*(?:avtal|bindning|kontrakt)",
        r"bindning(?!sfri)",
        r"\bbindande\b",
        r"\bbundet\b",
        r"\bbunden\b",
        r"\bavtalet\s+(?:löper|gäller|går)\s+(?:ut|till|t\.?\s?o\.?\s?m|fram)",
        r"\bavtalstid",
        r"\bavtalsperiod",
    ),
    Cue.NOT_BINDING: (
        r"\b(?:no|without|not\s+(?:a\s+)?|isn't\s+(?:a\s+)?)(?:any\s+)?(?:binding|minimum\s+term|commitment)\b",
        r"\b(?:ingen|utan|inte\s+någon|ej)\s+(?:bindningstid|bindning|bindande)\b",
        r"\binte\s+(?:bundet|bunden|bindande)\b",
    ),
    Cue.NO_SUBSCRIPTION: (
        r"\b(?:can(?:not|'t|\s+not)|could\s*(?:not|n't)|(?:were|was|are|am)\s+unable\s+to|unable\s+to|did\s*(?:not|n't)|do\s*(?:not|n't)|failed\s+to)\s+(?:seem\s+to\s+)?(?:find|locate|identify|match|trace)\b",
        r"\bno\s+(?:active\s+|such\s+|matching\s+|existing\s+|current\s+|registered\s+)?(?:subscriptions?|accounts?|customers?|records?|match(?:es)?|memberships?|contracts?|users?)\s+(?:found|for|with|under|matching|registered|linked|in\s+our|exists?|on|by|associated)\b",
        r"\bthere\s+is\s+no\s+(?:active\s+)?(?:subscription|account|customer)\b",
        r"\bno\s+(?:active\s+|such\s+|matching\s+|existing\s+|current\s+)?(?:subscriptions?|accounts?|customers?|records?|match(?:es)?|memberships?)\s+(?:was|were|could\s+be|has\s+been|can\s+be)\s+(?:found|located|identified)\b",
        r"\bnot\s+(?:a\s+)?(?:customer|member|subscriber|user)\s+(?:of|with|at|here)\b",
        r"\b(?:does|do)\s*(?:not|n't)\s+have\s+(?:a|an|any)\s+(?:active\s+)?(?:subscription|account|membership)\b",
        r"\b(?:has|have)\s+no\s+(?:active\s+)?(?:subscription|account|membership)\b",
        r"\bno\s+trace\b",
        r"\bno\s+sign\s+of\s+(?:this|the|that|a|any)\s+(?:customer|person|account|subscription)\b",
        r"\b(?:don't|do\s+not)\s+recogni[sz]e\s+(?:this|the|that)\s+(?:customer|person|name|email)\b",
        r"\bkänner\s+(?:vi\s+)?(?:inte|ej)\s+igen\s+(?:kunden|personen|namnet)\b",
        r"\b(?:not\s+(?:been\s+)?able|unable)\s+to\s+(?:find|locate|identify|match|trace)\b",
        r"\b(?:inte|ej)\s+(?:har\s+)?kunnat\s+(?:hitta|identifiera|återfinna|lokalisera)\b",
        r"\b(?:does\s+not|doesn't|do\s+not|don't)\s+belong\s+to\s+(?:any|one)\s+of\s+our\b",
        r"\btillhör\s+(?:ingen|inte\s+någon)\s+(?:av\s+)?(?:våra|vår|kund)",
        r"\bno\s+(?:one|body|customer|person)\s+(?:with|by|under|matching|called|named)\b",
        r"\b(?:do\s+not|don't|does\s+not|doesn't)\s+have\s+(?:any\s+)?(?:record|records|trace|details)\s+of\b",
        r"\bno\s+record\s+of\b",
        r"\b(?:har|hade)\s+(?:inga|ingen|inte\s+några)\s+(?:uppgifter|noteringar|spår|register)\s+om\b",
        r"\bingen\s+med\s+(?:den|det|de|denna|detta|dessa)\s+(?:e-?post\w*|mejl\w*|namn\w*|uppgifter\w*|kort\w*)",
        r"\bnot\s+registered\s+(?:with|at|by)\s+us\b",
        r"\bunknown\s+(?:customer|account|user|subscriber)\b",
        r"\bokänd\s+(?:kund|användare)\b",
        r"\b(?:none\s+of\s+the\s+(?:details|information|data)|the\s+details\s+(?:do\s+not|don't))\s+match\b",
        r"\b(?:doesn't|does\s+not|don't|do\s+not)\s+match\s+(?:any|anyone|anybody|a\s+customer|our\s+records)\b",
        r"\bmatch(?:es)?\s+(?:no|none\s+of)\s+(?:one|customer|account|record|subscription)s?\b",
        r"\b(?:matchar|stämmer\s+in\s+på)\s+(?:inte\s+)?(?:ingen|inga|inget|någon|något)\b",
        r"\binga\s+av\s+uppgifterna\s+(?:matchar|stämmer)\b",
        r"\b(?:don't|do\s+not|does\s+not|doesn't)\s+have\s+(?:this|that|the|any|such\s+a)\s+(?:customer|person|user|member|subscriber)\b",
        r"\bnot\s+in\s+our\s+(?:system|systems|records|database|register|customer\s+base)\b",
        r"\b(?:does|do)\s*(?:not|n't)\s+(?:seem\s+to\s+)?(?:exist|appear)\s+in\s+our\b",
        r"\bnot\s+(?:found|registered)\s+in\s+our\b",
        r"\bnothing\s+(?:found|registered|matching)\b",
        r"\b(?:hittar|hittade|finner|fann|återfinner|ser)\s+(?:vi\s+|jag\s+)?(?:tyvärr\s+)?(?:inte|ej|ingen|inget|inga)\b",
        r"\bkan\s+(?:tyvärr\s+)?(?:inte|ej)\s+(?:hitta|identifiera|återfinna)\b",
        r"\b(?:inget|ingen|inga)\s+(?:aktivt?\s+)?(?:abonnemang|konto|kund|medlemskap)\w*\s+(?:hittades|hittas|finns|fanns|registrerat?)\b",
        r"\bhar\s+(?:\w+\s+){0,2}(?:inget|ingen|inga)\s+(?:aktivt?\s+)?(?:abonnemang|konto|medlemskap|avtal)\b",
        r"\b(?:finns|fanns)\s+(?:det\s+)?(?:tyvärr\s+)?(?:inget|ingen|inga)\s+(?:aktivt?\s+|sådant?\s+|registrerat?\s+)?(?:abonnemang|konto|kund|avtal|medlemskap|användare)",
        r"\bingen\s+(?:kund|träff|matchning|sådan\s+kund|användare)\b",
        r"\b(?:är|var)\s+inte\s+(?:kund|medlem|registrerad)\b",
        r"\bsaknas\s+i\s+(?:vårt|våra)\b",
        r"\b(?:finns|fanns)\s+inte\s+(?:i\s+vårt|i\s+våra|hos\s+oss|registrerad|som\s+kund)\b",
        r"\bhar\s+(?:\w+\s+)?(?:inte|ej)\s+(?:något|några|ett)\s+(?:aktivt?\s+)?(?:abonnemang|konto|medlemskap|avtal)\b",
        r"\bhar\s+inget\s+(?:aktivt\s+)?(?:abonnemang|konto|medlemskap)\b",
    ),
    Cue.OTHER: (
        r"\b(?:must|has\s+to|have\s+to|needs?\s+to|should)\s+(?:cancel|contact|call|log\s+in|sign\s+in|do\s+(?:it|this)|terminate|request|visit|use)\b",
        r"\bonly\s+the\s+(?:account\s+holder|customer|subscriber|owner)\b",
        r"\b(?:outstanding|unpaid|overdue)\s+(?:balance|invoices?|debt|payments?|amount)\b",
        r"\b(?:through|via|in)\s+(?:apple|the\s+app\s+store|app\s+store|itunes|google\s+play|their\s+(?:operator|carrier|provider|bank))\b",
        r"\bbilled\s+(?:by|through|via)\b",
        r"\bpower\s+of\s+attorney\b",
        r"\b(?:in\s+writing|written\s+(?:request|notice|consent))\b",
        r"\bmåste\s+(?:själv|säga\s+upp|kontakta|ringa|logga\s+in|göra|avsluta)\b",
        r"\bendast\s+(?:kontoinnehavaren|kunden|abonnenten|innehavaren)\b",
        r"\b(?:obetald|obetalda|obetalt|skuld|skulder|förfallna?\s+fakturor?|utestående)\b",
        r"\bvia\s+(?:apple|app\s+store|google\s+play|itunes|operatören|er\s+operatör|sin\s+operatör|sin\s+bank)\b",
        r"\bfullmakt\b",
        r"\bskriftligen\b",
        r"\bdebiteras\s+via\b",
        r"\b(?:dispute|chargeback|frozen|legal\s+team|fraud\s+investigation)\b",
        r"\b(?:tvist|fryst|juristavdelning|bedrägeriutredning)\b",
        r"\bmåste\s+(?:göras|ske|skötas|begäras)\b",
        r"\b(?:faktureras|debiteras|säljs)\s+(?:av|via|genom)\s+(?:vår|en|sin|deras)\s+partner",
        r"\bmust\s+be\s+(?:made|done|requested|handled)\s+(?:with|by|through|via)\b",
        r"\b(?:please\s+)?ask\s+the\s+customer\s+to\s+(?:log\s+in|cancel|contact|call|sign\s+in|do\s+(?:it|this)|visit)\b",
        r"\bcan\s+only\s+(?:accept|process|handle|take)\s+cancell?ations?\b",
        r"\bbe\s+kunden\s+(?:att\s+)?(?:logga\s+in|säga\s+upp|kontakta|ringa|besöka)\b",
        r"\b(?:tar|hanterar)\s+(?:vi\s+)?(?:bara|endast)\s+(?:emot\s+)?uppsägningar\b",
    ),
    Cue.NOT_CANCELLED: (
        rf"\b(?:not|n't|never)\s+(?:yet\s+)?(?:been\s+)?(?:yet\s+)?{_C}\b",
        r"\bnot\s+(?:yet\s+)?(?:cancell?ed|terminated)\b",
        r"\b(?:is|remains)\s+still\s+active\b|\bstill\s+(?:active|running|open|valid)\b",
        r"\bcan(?:not|'t|\s+not)\s+(?:be\s+)?cancel",
        r"\b(?:unable|not\s+able|not\s+possible|impossible)\s+to\s+(?:cancel|terminate)\b",
        r"\bcould\s*(?:not|n't)\s+(?:be\s+)?cancel",
        r"\b(?:won't|will\s+not)\s+cancel\b",
        r"\b(?:säger|sa)\s+(?:inte|ej)\s+upp\b",
        r"\b(?:inte|ej|icke|aldrig)\s+(?:ännu\s+|än\s+|har\s+)?(?:blivit\s+)?(?:uppsagt|uppsagd|sagt\s+upp|sagts\s+upp|avslutat|avslutad|avslutats)\b",
        r"\b(?:har|är)\s+(?:ännu\s+|än\s+)?(?:inte|ej)\s+(?:ännu\s+)?(?:uppsagt|sagt\s+upp|sagts\s+upp|avslutat|avslutats)\b",
        r"\bfortfarande\s+aktiv",
        r"\bkan\s+(?:tyvärr\s+)?(?:inte|ej)\s+(?:sägas\s+upp|säga\s+upp|avsluta|avslutas)",
        r"\binte\s+möjligt\s+att\s+(?:säga\s+upp|avsluta)",
        r"\bgick\s+(?:tyvärr\s+)?inte\s+att\s+(?:säga\s+upp|avsluta)",
        r"\bkan\s+(?:vi\s+)?(?:tyvärr\s+)?(?:inte|ej)\s+(?:gå\s+vidare\s+med|genomföra|behandla)\s+uppsägningen",
        r"\b(?:unable|not\s+able)\s+to\s+(?:proceed\s+with|process|complete)\s+(?:the\s+|this\s+)?cancell?ation\b",
    ),
    Cue.CORRECTION: (
        r"\b(?:correction|corrected|rättelse|typo|felskrivning)\b",
        r"\bshould\s+(?:be|have\s+been|read|say)\b",
        r"\b(?:ska|skall|skulle)\s+(?:vara|stå)\b",
        r"\b(?:rätt|korrekt|korrekta)\s+datum\b",
        r"\bcorrect\s+date\b",
        r"\b(?:i|we)\s+meant\b",
        r"\b(?:jag|vi)\s+menade\b",
        r"\b(?:wrote|gave|had|put)\s+the\s+wrong\b",
        r"\bskrev\s+fel\b",
        r"\bfel\s+datum\b",
        r"\bwrong\s+date\b",
    ),
    Cue.IMMEDIATE: (
        r"\b(?:effective\s+)?immediately\b",
        r"\bwith\s+immediate\s+effect\b",
        r"\bomedelbart\b",
        r"\bmed\s+omedelbar\s+verkan\b",
        r"\b(?:stängts|avslutats|sagts\s+upp|uppsagt|avslutat|stängt)\s+direkt\b",
        r"\bno\s+longer\s+has\s+access\b",
        r"\bhar\s+inte\s+längre\s+tillgång\b",
    ),
    Cue.BECAUSE: (
        r"\b(?:because|since|as|due\s+to|owing\s+to|until)\b",
        r"\b(?:eftersom|då|på\s+grund\s+av|pga|p\.g\.a\.|förrän|innan)\b",
    ),
}

_PATTERNS.update({Cue(name): patterns for name, patterns in PEOPLE_PATTERNS.items()})

COMPILED: dict[Cue, tuple[re.Pattern[str], ...]] = {
    cue: tuple(re.compile(p, re.IGNORECASE) for p in patterns)
    for cue, patterns in _PATTERNS.items()
}

# "once it has been cancelled", "if you have cancelled": not a statement that it is.
_CONDITIONAL = re.compile(
    r"\b(?:once|when|after|as\s+soon\s+as|if|until|när|så\s+snart|efter\s+att|om|innan|before)\s+(?:\S+\s+){0,4}$",
    re.IGNORECASE,
)
# Polite closing questions that ask nothing about the case.
POLITE_QUESTION = re.compile(
    r"\b(?:anything\s+else|any\s+(?:other\s+|further\s+)?questions|help\s+(?:you\s+)?with\s+anything|"
    r"något\s+(?:mer|annat)|fler\s+frågor|hjälpa\s+(?:till\s+)?med\s+något)\b",
    re.IGNORECASE,
)


def cue_spans(sentence: str, cue: Cue) -> list[tuple[int, int]]:
    spans = []
    for pattern in COMPILED[cue]:
        for match in pattern.finditer(sentence):
            if cue in (Cue.DONE, Cue.DONE_FUTURE) and _CONDITIONAL.search(
                sentence[: match.start()]
            ):
                continue
            spans.append(match.span())
    return spans


def cues_in(sentence: str) -> set[Cue]:
    found = {cue for cue in Cue if cue_spans(sentence, cue)}
    if Cue.DONE in found:
        negated = cue_spans(sentence, Cue.NOT_CANCELLED)
        done = [
            s for s in cue_spans(sentence, Cue.DONE) if not any(_overlaps(s, n) for n in negated)
        ]
        if not done:
            found.discard(Cue.DONE)
    if Cue.NOT_BINDING in found:
        found.discard(Cue.BINDING)
    if Cue.ALREADY in found and Cue.NOT_CANCELLED in found:
        # "had not already been cancelled" reads as not cancelled.
        found.discard(Cue.ALREADY)
    return found


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]
