"""Controlled vocabularies: the values each enumerated field may take, with their labels."""

from __future__ import annotations

SECTORS = {
    "statutory": "Statutory",
    "voluntary": "Voluntary",
    "community": "Community",
    "faith": "Faith",
    "social-enterprise": "Social enterprise",
    "private": "Private",
}
SERVICE_STATUSES = {
    "active": "Running",
    "paused": "Paused",
    "closed": "Closed",
    "archived": "Archived",
}
CAPACITY = {
    "accepting": "Taking new people",
    "waiting-list": "Taking new people onto a waiting list",
    "not-accepting": "Not taking new people",
}
FUNDING_STATUSES = {
    "funded": "Funded",
    "time-limited": "Time-limited funding",
    "at-risk": "Funding at risk",
    "unfunded": "Runs without funding",
    "unknown": "Funding unknown",
}
REFERRAL_ROUTES = {
    "self": "People can refer themselves",
    "professional": "Referred by a professional, such as a link worker",
    "gp": "Referred by a GP",
}
DELIVERY_MODES = {
    "in-person": "In person",
    "phone": "By phone",
    "online": "Online",
    "home-visits": "Home visits",
}
GENDERS = {
    "any": "Open to all genders",
    "women": "Women only",
    "men": "Men only",
    "trans-non-binary": "Trans and non-binary people",
}
ACCESSIBILITY = {
    "step-free": "Step-free access",
    "wheelchair": "Wheelchair accessible",
    "accessible-toilet": "Accessible toilet",
    "hearing-loop": "Hearing loop",
    "bsl": "British Sign Language",
    "large-print": "Large print materials",
    "quiet-space": "Quiet space",
    "parking": "Parking nearby",
    "public-transport": "Near public transport",
}
VERIFICATION_METHODS = {
    "phone": "Phoned the group",
    "email": "Email from the group",
    "visit": "Visited",
    "group-confirmed": "Confirmed by the group",
    "group-edited": "Checked and saved by the group through its edit link",
    "group-requested": "Sent by the group when it asked to be listed, and read by staff",
    "import": "Imported from a trusted source",
}
WAIT_SOURCES = {
    "group": "The group",
    "link-worker": "A link worker",
    "import": "An import",
}
WEEKDAYS = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
# How often a session recurs (ORUK schedule.freq), and which week of the month a monthly one falls in.
FREQUENCIES = {"WEEKLY": "Weekly", "MONTHLY": "Monthly"}
WEEKS_OF_MONTH = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
ROLES = {
    "admin": "Administrator",
    "link-worker": "Link worker",
    "community-development": "Community development worker",
    "group-editor": "Group editor",
}
