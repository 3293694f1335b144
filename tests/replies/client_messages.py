"""Whole messages as mail clients sent them (identifiers scrubbed), for the shapes the corpus's
styles do not make (tests/replies/corpus.py, style `eml:NAME`). Kept as source, written out
where a test needs a file."""

from __future__ import annotations

# Outlook, HTML only, Swedish: a quoted-printable body on one long line, as Outlook sends it,
# with the request quoted under Outlook's "Från:" block.
_OUTLOOK_SV_HTML_HEADERS = [
    "From: =?utf-8?q?Kundtj=C3=A4nst?= <kundtjanst@streamflix.example>",
    'To: "Minna" <reply+c2VjcmV0@reply.minna.example>',
    "Subject: SV: =?utf-8?q?Upps=C3=A4gning_av_abonnemang?= CF-20270301-0042",
    "Date: Wed, 3 Mar 2027 09:41:12 +0000",
    "Message-ID: <AM0PR01MB1234@eurprd01.prod.outlook.com>",
    "Thread-Topic: =?utf-8?q?Upps=C3=A4gning?=",
    "Content-Language: sv-SE",
    "MIME-Version: 1.0",
    'Content-Type: text/html; charset="utf-8"',
    "Content-Transfer-Encoding: quoted-printable",
    "",
]
_OUTLOOK_SV_HTML_BODY = (
    '<html><head><meta http-equiv=3D"Content-Type" content=3D"text/html; charset=3Dut'
    'f-8"><style>p.MsoNormal{margin:0cm}</style></head><body lang=3D"SV"><div class=3'
    'D"WordSection1"><p class=3DMsoNormal>Hej!</p><p class=3DMsoNormal>&nbsp;</p><p c'
    "lass=3DMsoNormal>Abonnemanget =C3=A4r nu uppsagt. Kunden har tillg=C3=A5ng till "
    "och med <b>den 30 april</b>.</p><p class=3DMsoNormal>&nbsp;</p><p class=3DMsoNor"
    "mal>Med v=C3=A4nlig h=C3=A4lsning</p><p class=3DMsoNormal>Sara Lind | Kundtj=C3="
    'A4nst | 08-555 010 20 | Drottninggatan 5, 111 51 Stockholm</p><div style=3D"bord'
    'er:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p class=3DMso'
    "Normal><b>Fr=C3=A5n:</b> Minna &lt;reply+c2VjcmV0@reply.minna.example&gt;<br><b>"
    "Skickat:</b> den 1 mars 2027 09:12<br><b>Till:</b> Kundtj=C3=A4nst &lt;kundtjans"
    "t@streamflix.example&gt;<br><b>=C3=84mne:</b> Upps=C3=A4gning av abonnemang CF-2"
    "0270301-0042</p></div><p class=3DMsoNormal>Hej Streamflix,</p><p class=3DMsoNorm"
    "al>En kund har bett oss p=C3=A5 Minna att s=C3=A4ga upp sitt abonnemang hos er.<"
    "/p><p class=3DMsoNormal>Beg=C3=A4rd den: 1 mars 2027</p><p class=3DMsoNormal>Avs"
    "luta senast 31 mars.</p></div></body></html>"
)

RAW_MESSAGES: dict[str, bytes] = {
    "outlook-sv-html.eml": "\r\n".join(
        [*_OUTLOOK_SV_HTML_HEADERS, _OUTLOOK_SV_HTML_BODY, ""]
    ).encode("ascii"),
}
