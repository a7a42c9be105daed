"""Each form field's name as a reader sees it on the page, so messages name fields by their labels, never by
the names the code gives them (``service_areas``, ``address_1``): see docs/style-guide.md."""

from __future__ import annotations

FIELD_LABELS: dict[str, str] = {
    # A service, as the service form labels it.
    "name": "Name", "description": "Description", "categories": "Needs it meets", "phone": "Phone",
    "email": "Email", "url": "Website", "minimum_age": "Youngest age", "maximum_age": "Oldest age",
    "gender": "Gender", "eligibility_conditions": "Conditions or other eligibility", "is_free": "Free",
    "cost_description": "What it costs", "referral_routes": "How people get in",
    "referral_form_url": "Referral form link", "referral_form_upload": "Referral form file",
    "delivery_modes": "How it is delivered", "accessibility": "Accessibility", "languages": "Languages",
    "capacity": "Taking new people?", "locations": "Places", "service_areas": "Areas covered without a fixed place",
    "schedules": "Sessions", "contacts": "Contacts", "funding_status": "Funding", "funder": "Funder",
    "funded_until": "Funded until", "organization_id": "Organisation", "status": "Status",
    "funding_notes": "Funding notes", "internal_notes": "Internal notes", "last_verified_at": "Last verified",
    "verified_by": "Verified by", "verified_how": "How it was verified", "paused_until": "Paused until",
    "weeks": "Current wait, in weeks", "version": "Your copy of the listing",
    # An organisation.
    "sector": "Sector", "charity_number": "Charity number", "website": "Website",
    # A request to be listed, and a claim.
    "organization_name": "Name of your group or organisation", "service_name": "What you run",
    "when": "When it happens", "address": "Where", "postcode": "Postcode", "contact_name": "Your name",
    "role": "How you are connected to the group", "message": "Anything that helps us check",
}  # fmt: skip


def field_label(name: str) -> str:
    """The label a reader sees for the field ``name`` (a readable guess for a field not listed)."""
    return FIELD_LABELS.get(name) or name.replace("_", " ").capitalize()
