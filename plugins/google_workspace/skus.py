"""Google's product and SKU ids, kept as data: which products a sync lists, and which SKUs cost money.

Ids and names come from Google's "Google Product and SKU IDs" page (2025-08, as copied into the reference pack).
The Licensing API names each SKU itself (``skuName``), so the names here only fill in when it does not. The
Gemini rows change often on Google's page: an SKU missing here never fails a sync, it is counted as billable
(Google sells it) and a warning names it, so the list can be corrected.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sku:
    """One SKU: its product, id, Google's name for it and whether a seat of it costs money."""

    product_id: str
    sku_id: str
    name: str
    billable: bool = True


#: Products listed by default: every product of the pack whose id is known. Voice, AppSheet, Vault, Drive storage
#: and Cloud Identity ids are not in the pack (unverified): add them with the ``products`` setting.
DEFAULT_PRODUCTS = (
    "Google-Apps",  # Google Workspace editions (Business, Enterprise, Frontline, Essentials, legacy G Suite)
    "101047",  # Gemini / AI add-ons
    "101068",  # Gemini / AI (newer product)
    "101031",  # Google Workspace for Education (Standard / Plus)
    "101037",  # Google Workspace for Education (Teaching and Learning)
)

_APPS = "Google-Apps"

KNOWN_SKUS: tuple[Sku, ...] = (
    Sku(_APPS, "1010020027", "Google Workspace Business Starter"),
    Sku(_APPS, "1010020028", "Google Workspace Business Standard"),
    Sku(_APPS, "1010020025", "Google Workspace Business Plus"),
    Sku(_APPS, "1010060003", "Google Workspace Enterprise Essentials"),
    Sku(_APPS, "1010060005", "Google Workspace Enterprise Essentials Plus"),
    Sku(_APPS, "1010020029", "Google Workspace Enterprise Starter"),
    Sku(_APPS, "1010020026", "Google Workspace Enterprise Standard"),
    Sku(_APPS, "1010020020", "Google Workspace Enterprise Plus"),
    # Essentials Starter is Google's no-cost edition; 1010060001 is "Essentials" on the page: counted free only
    # when it is the no-cost one is not knowable from the id, so it stays billable.
    Sku(_APPS, "1010060001", "Google Workspace Essentials"),
    Sku(_APPS, "1010020030", "Google Workspace Frontline Starter"),
    Sku(_APPS, "1010020031", "Google Workspace Frontline Standard"),
    Sku(_APPS, "1010020034", "Google Workspace Frontline Plus"),
    Sku(_APPS, "1010020035", "Google Workspace Business Continuity"),
    Sku(_APPS, "1010020036", "Google Workspace Business Continuity Plus"),
    Sku(_APPS, "Google-Apps-Unlimited", "G Suite Business"),
    Sku(_APPS, "Google-Apps-For-Business", "G Suite Basic"),
    Sku(_APPS, "Google-Apps-Lite", "G Suite Lite"),
    Sku(_APPS, "Google-Apps-For-Postini", "Google Apps Message Security"),
    # Education: Fundamentals is the no-cost edition for qualifying institutions.
    Sku(_APPS, "Google-Apps-For-Education", "Google Workspace for Education Fundamentals", billable=False),
    Sku(_APPS, "1010070001", "Google Workspace for Education Fundamentals", billable=False),
    Sku("101031", "1010310005", "Google Workspace for Education Standard"),
    Sku("101031", "1010310006", "Google Workspace for Education Standard (Staff)"),
    Sku("101031", "1010310007", "Google Workspace for Education Standard (Extra Student)"),
    Sku("101031", "1010310008", "Google Workspace for Education Plus"),
    Sku("101031", "1010310009", "Google Workspace for Education Plus (Staff)"),
    Sku("101031", "1010310010", "Google Workspace for Education Plus (Extra Student)"),
    # Gemini Labs is a no-cost preview programme, not a paid add-on.
    Sku("101047", "1010470002", "Gemini Labs", billable=False),
    Sku("101047", "1010470006", "Gemini add-on"),
    Sku("101047", "1010470007", "Gemini add-on"),
    Sku("101047", "1010470008", "Google AI Ultra for Business"),
    Sku("101047", "1010470009", "Gemini add-on"),
    Sku("101068", "1010680001", "Gemini add-on"),
)

SKUS_BY_ID: dict[tuple[str, str], Sku] = {(sku.product_id, sku.sku_id): sku for sku in KNOWN_SKUS}


def parse_id_list(value: str) -> tuple[str, ...]:
    """A comma- or space-separated list of ids, in order, without repeats or blanks."""
    ids: list[str] = []
    for part in value.replace(",", " ").split():
        if part not in ids:
            ids.append(part)
    return tuple(ids)
