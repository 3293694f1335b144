"""The phrases that say what a reply means, in English and Swedish, one pattern list per cue.

Each cue is a class of sentence the reader weighs: an outcome (cancelled now, already
cancelled, binding contract, no subscription found, another reason), or a sign that a person
must read the reply (out of office, a question, several subscriptions, only an
acknowledgement). Patterns run on one sentence at a time, lower-cased.
"""

from __future__ import annotations

import re
from enum import StrEnum


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
    Cue.PENDING: (
        r"\b(?:we|i)(?:'ll|\s+will|\s+are\s+going\s+to|\s+am\s+going\s+to|\s+shall|\s+would)\s+(?:now\s+|shortly\s+|soon\s+)?(?:look|get\s+back|come\s+back|process|cancel|handle|review|check|investigate|be\s+in\s+touch|contact|revert|update|follow\s+up|confirm|let\s+you\s+know|reply|respond|proceed|take\s+care)\b",
        r"\bwill\s+be\s+(?:processed|handled|reviewed|looked\s+into|dealt\s+with)\b",
        r"\b(?:have|'ve)\s+received\s+your\b",
        r"\breceived\s+your\s+(?:request|email|e-mail|message|cancell?ation)\b",
        r"\b(?:being|is\s+being)\s+(?:processed|handled|reviewed|looked\s+into)\b",
        r"\bin\s+progress\b",
        r"\bget\s+back\s+to\s+you\b",
        r"\bwithin\s+\d+\s+(?:business\s+|working\s+)?(?:days|hours)\b",
        r"\b(?:forwarded|passed|sent|escalated|referred)\s+(?:it|this|your\s+(?:request|email|message))\s+(?:on\s+)?to\b",
        r"\bticket\s+(?:number|no|#|id)\b",
        r"\bvi\s+(?:återkommer|kommer\s+att|ska|skall|tittar|kollar|undersöker|behandlar|hanterar|ser\s+över)\b",
        r"\båterkommer\b",
        r"\b(?:har\s+)?(?:tagit\s+emot|mottagit)\b",
        r"\bkommer\s+att\s+(?:behandlas|hanteras)\b",
        r"\b(?:handläggs|behandlas|hanteras)\b",
        r"\binom\s+\d+\s+(?:arbets|bank)?(?:dagar|timmar)\b",
        r"\b(?:skickat|skickar|vidarebefordrat|vidarebefordrar)\s+(?:det|detta|ärendet|din|er)\b",
        r"\bärendenummer\b",
    ),
    Cue.QUESTION: (
        r"\b(?:could|can|would)\s+you\s+(?:please\s+|kindly\s+)?(?:send|provide|confirm|tell|give|share|clarify|check|forward|let\s+us\s+know|specify|ask|verify|supply|resend)\b",
        r"\bplease\s+(?:send|provide|confirm|forward|specify|let\s+us\s+know|share|supply|verify|resend|clarify)\b",
        r"\b(?:we|i)\s+(?:need|require|would\s+need|will\s+need)\s+(?:more|additional|further|the\s+customer|their|his|her|a\s+copy|some|to\s+verify|to\s+confirm)\b",
        r"\b(?:more|additional|further)\s+(?:information|details|info|identifiers)\b",
        r"\bwhich\s+(?:email|e-mail|account|address|subscription|card|phone|number|one)\b",
        r"\bkan\s+(?:ni|du)\s+(?:vänligen\s+)?(?:skicka|bekräfta|ge|uppge|meddela|ange|kontrollera|fråga|förtydliga|verifiera)\b",
        r"\bvänligen\s+(?:skicka|uppge|bekräfta|ange|meddela|komplettera)\b",
        r"\b(?:vi\s+|jag\s+)?behöver\s+(?:mer|ytterligare|fler|kundens|personnummer|få|information|uppgifter|veta)\b",
        r"\bvilke[nt]?\s+(?:e-?post|mejl|mail|konto|abonnemang|kort|nummer|adress)\b",
        r"\b(?:mer|ytterligare)\s+(?:information|uppgifter)\b",
    ),
    Cue.SEVERAL: (
        r"\b(?:two|three|four|several|multiple|2|3|4)\s+(?:active\s+|different\s+|separate\s+)?(?:subscriptions|accounts|memberships|plans|contracts|services|profiles|agreements)\b",
        r"\bboth\s+(?:of\s+(?:the|their|his|her)\s+)?(?:subscriptions|accounts|memberships|plans|contracts)\b",
        r"\bthe\s+other\s+(?:subscription|account|membership|plan|contract)\b",
        r"\b(?:another|a\s+second|an\s+additional)\s+(?:active\s+)?(?:subscription|account|membership|plan|contract)\b",
        r"\b(?:ett\s+annat|ytterligare\s+ett|ett\s+till|ett\s+andra)\s+(?:aktivt\s+)?(?:abonnemang|konto|medlemskap|avtal)\b",
        r"\bone\s+of\s+(?:the|their|his|her)\s+(?:subscriptions|accounts|contracts)\b",
        r"\b(?:first|second)\s+(?:subscription|account|contract)\b",
        r"\b(?:två|tre|fyra|flera|2|3|4)\s+(?:aktiva\s+|olika\s+|separata\s+)?(?:abonnemang|konton|medlemskap|avtal|tjänster|profiler)\b",
        r"\bbåda\s+(?:abonnemangen|kontona|avtalen)\b",
        r"\b(?:det\s+)?andra\s+(?:abonnemanget|kontot|avtalet)\b",
        r"\bett\s+av\s+(?:abonnemangen|kontona|avtalen)\b",
        r"\bdet\s+(?:ena|första)\s+(?:abonnemanget|kontot|avtalet)\b",
    ),
    Cue.OUT_OF_OFFICE: (
        r"\bout\s+of\s+(?:the\s+)?office\b",
        r"\b(?:i\s+am|i'm|currently)\s+(?:on\s+)?(?:annual\s+|parental\s+|sick\s+|maternity\s+|paternity\s+)?(?:leave|vacation|holiday)\b",
        r"\bon\s+(?:annual|parental|sick|maternity|paternity)\s+leave\b",
        r"\baway\s+(?:from\s+(?:the\s+)?office\s+)?(?:until|till|from|and\s+will)\b",
        r"\b(?:i\s+will|i'll)\s+(?:be\s+)?(?:back|return)\b",
        r"\blimited\s+access\s+to\s+(?:my\s+)?e-?mail\b",
        r"\bautomatic(?:ally)?\s+(?:reply|generated|response)\b",
        r"\bauto-?reply\b",
        r"\bcurrently\s+(?:away|unavailable|out)\b",
        r"\bfrånvarande\b",
        r"\bpå\s+semester\b",
        r"\b(?:föräldra|tjänst|sjuk)?ledig\s+(?:till|t\.?\s?o\.?\s?m|från|fram|och\s+(?:är|kommer))\b",
        r"\b(?:är|jag)\s+tillbaka\s+(?:den|på|igen|i\s+tjänst|måndag|tisdag|onsdag|torsdag|fredag)\b",
        r"\båter\s+(?:den|i\s+tjänst|på\s+kontoret|måndag|tisdag|onsdag|torsdag|fredag)\b",
        r"\bautomatiskt\s+(?:svar|genererat)\b",
        r"\bautosvar\b",
        r"\bbegränsad\s+tillgång\s+till\s+(?:e-?post|mejl|mail)\b",
        r"\bföräldraledig\b",
        r"\bjag\s+är\s+(?:ledig|borta|bortrest|på\s+resande\s+fot)\b",
        r"\b(?:i\s+am|i'm)\s+(?:currently\s+)?(?:travel+ing|away|off\s+(?:work|sick))\b",
        r"\bläser\s+(?:inte|ej)\s+(?:min\s+)?(?:e-?post|mejl|mail)\b",
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
    Cue.RETRACTED: (
        r"\b(?:please\s+)?(?:ignore|disregard)\s+(?:this|that|my|the\s+(?:previous|last|above))\b",
        r"\bwrong\s+(?:customer|person|account|case|subscription)\b",
        r"\bbortse\s+från\s+(?:mitt|det|förra|föregående)\b",
        r"\bignorera\b",
        r"\bfel\s+(?:kund|person|konto|ärende|abonnemang)\b",
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
