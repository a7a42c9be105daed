"""The personal-data guard: what in a note looks like it identifies a client, and the note with it masked.

Link workers and staff write free text about gaps, closures, waits and follow-ups; the product promises no
client's personal data is stored. Before such text is saved ``find_personal_data`` looks for names (with or
without a title, any case), home addresses (with or without a postcode), postcodes, a client's phone
number, email addresses (also spelled out), NHS numbers, dates of birth, and an exact age with a condition
or small area. Each finding is a kind and a span (Python string offsets), so a form can show exactly what
was found; ``mask`` replaces each with its kind in brackets ("spoke to [name]").

Everything runs offline on word lists installed with the package; the recall and precision measured on
labelled notes are in ``docs/personal-data.md`` (``bench/personal_data.py`` prints them).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .contact import contact_spans
from .names import name_spans
from .places import address_spans, combination_spans

KINDS = {
    "name": "a person's name",
    "address": "a home address",
    "postcode": "a full postcode",
    "phone": "a phone number",
    "email": "an email address",
    "nhs-number": "an NHS number",
    "date": "a date (of birth?)",
    "combination": "an exact age with a condition or small area (together they can identify someone)",
}
MASKS = {"name": "[name]", "address": "[address]", "postcode": "[postcode]", "phone": "[phone]",
         "email": "[email]", "nhs-number": "[NHS number]", "date": "[date]", "combination": "[age]"}  # fmt: skip
MAX_TEXT = 20_000  # longer text is refused by the API; notes are far shorter
# Which recogniser wins when two overlap at the same start: contact details are the surest.
_PRIORITY = {"email": 0, "postcode": 1, "phone": 2, "nhs-number": 3, "date": 4, "address": 5, "name": 6,
             "combination": 7}  # fmt: skip


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    text: str

    @property
    def label(self) -> str:
        return KINDS[self.kind]

    def as_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if key != "text"}


def find_personal_data(text: str) -> list[Finding]:
    """Everything in ``text`` that looks like personal data, in order of position.

    Overlapping candidates keep the first, longest one (a phone number is not also an NHS number).
    """
    text = text or ""
    found = contact_spans(text) + address_spans(text) + name_spans(text) + combination_spans(text)
    findings: list[Finding] = []
    for start, end, kind in sorted(found, key=lambda f: (f[0], -(f[1] - f[0]), _PRIORITY[f[2]])):
        if end <= start or findings and start < findings[-1].end:
            continue
        findings.append(Finding(kind, start, end, text[start:end]))
    return findings


def mask(text: str, findings: list[Finding] | None = None) -> str:
    """``text`` with each finding replaced by its kind in brackets: "spoke to [name] on [phone]"."""
    findings = find_personal_data(text) if findings is None else findings
    out, position = [], 0
    for finding in sorted(findings, key=lambda f: f.start):
        out.append(text[position : finding.start])
        out.append(MASKS[finding.kind])
        position = finding.end
    out.append(text[position:])
    return "".join(out)


def describe(findings: list[Finding]) -> str:
    """One sentence for a person: "This looks like it contains a phone number and a full postcode."."""
    labels = list(dict.fromkeys(f.label for f in findings))
    if not labels:
        return ""
    listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return f"This looks like it contains {listed}."
