"""Words the demo generator draws on: real place names, invented groups and sessions.

Every organisation and service made from these is fictional; only the places and the
postcodes (read from official files at build time) are real.
"""

from __future__ import annotations

DEMO_AREAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "E06000009": ("Blackpool", ("Blackpool", "Bispham", "Layton", "Marton", "South Shore", "Grange Park", "Mereside")),
    "E07000117": ("Burnley", ("Burnley", "Padiham", "Hapton", "Briercliffe", "Rosegrove")),
    "E07000122": ("Pendle", ("Nelson", "Colne", "Barnoldswick", "Brierfield", "Earby", "Barrowford")),
    "E07000125": ("Rossendale", ("Rawtenstall", "Bacup", "Haslingden", "Whitworth", "Waterfoot")),
}

# (pattern, sector, the needs it meets): {town} is filled in; the names are invented.
ORGANISATION_PATTERNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("{town} Community Centre", "community", ("loneliness", "arts-crafts", "older-people", "physical-activity")),
    ("{town} Wellbeing Collective", "voluntary", ("mental-health", "loneliness")),
    ("Friends of {town} Park", "community", ("nature-environment", "physical-activity")),
    ("{town} Methodist Church", "faith", ("faith-groups", "food", "loneliness")),
    ("St Anne's Parish, {town}", "faith", ("faith-groups", "bereavement", "older-people")),
    ("{town} Carers' Network", "voluntary", ("carers",)),
    ("{town} Money Matters", "voluntary", ("debt-benefits", "housing")),
    ("{town} Recovery Hub", "voluntary", ("drugs-alcohol", "mental-health")),
    ("{town} Youth Project", "voluntary", ("young-people",)),
    ("{town} Arts Cooperative", "social-enterprise", ("arts-crafts",)),
    ("{town} Food Share", "community", ("food",)),
    ("{town} Later Life Club", "community", ("older-people", "loneliness")),
    ("{town} Talking Therapies", "statutory", ("mental-health", "bereavement")),
    ("{town} Housing Advice Line", "voluntary", ("housing",)),
    ("{town} Pride Collective", "community", ("lgbtq",)),
    ("{town} Families Together", "voluntary", ("parenting-families",)),
    ("{town} Safe Spaces", "voluntary", ("domestic-abuse",)),
    ("{town} Green Gym", "social-enterprise", ("nature-environment", "physical-activity")),
    ("{town} City Farm", "community", ("animals", "nature-environment")),
    ("{town} Masjid Community Trust", "faith", ("faith-groups", "food", "education-skills")),
    ("{town} Adult Learning Centre", "statutory", ("education-skills", "employment-volunteering")),
    ("{town} Work and Skills Hub", "voluntary", ("employment-volunteering",)),
    ("{town} Health Matters", "voluntary", ("specific-conditions",)),
    ("{town} Fitness and Leisure", "private", ("physical-activity",)),
)

# category code -> [(service name, description)]
SERVICE_TEMPLATES: dict[str, tuple[tuple[str, str], ...]] = {
    "mental-health": (
        ("Wellbeing cafe", "A drop-in cafe where people can talk about how they are feeling over a brew."),
        ("Anxiety peer support group", "A small, friendly group run by people who have lived with anxiety."),
        ("Low mood walking group", "Gentle walks and conversation for people feeling low."),
    ),
    "loneliness": (
        ("Knit and natter", "Bring your knitting or crochet, or learn: tea, biscuits and company."),
        ("Friendship lunch club", "A hot two-course lunch and conversation for anyone who would like company."),
        ("Telephone befriending", "A regular friendly phone call from a trained volunteer."),
    ),
    "physical-activity": (
        ("Health walks", "Led walks of 30 to 60 minutes on flat routes, at a chatty pace."),
        ("Chair-based exercise", "Seated exercise to music, suitable for people with limited mobility."),
        ("Walking football", "Football at walking pace for all abilities."),
    ),
    "arts-crafts": (
        ("Community art group", "Painting and drawing for beginners; materials provided."),
        ("Crochet circle", "Learn to crochet or share your projects with others."),
        ("Community choir", "No auditions, no need to read music: just come and sing."),
        ("Photography walks", "Walk and take photographs together; phones are fine."),
    ),
    "debt-benefits": (
        ("Money advice drop-in", "Free, confidential help with debt, bills and budgeting."),
        ("Benefits check appointments", "An adviser checks you are getting everything you are entitled to."),
    ),
    "housing": (
        ("Tenancy support", "Help to keep your home: rent arrears, repairs, letters from landlords."),
        ("Warm homes advice", "Advice and small grants for heating, insulation and damp."),
    ),
    "food": (
        ("Community pantry", "Low-cost membership pantry with fresh and tinned food each week."),
        ("Cook and eat sessions", "Learn simple, cheap meals and eat together."),
    ),
    "employment-volunteering": (
        ("Job club", "CVs, applications and interview practice with a work coach."),
        ("Volunteer taster days", "Try volunteering in a supported, low-pressure way."),
    ),
    "education-skills": (
        ("Digital skills drop-in", "Help with phones, tablets, email and getting online."),
        ("English conversation club", "Practise speaking English in a relaxed group."),
    ),
    "carers": (
        ("Carers' coffee morning", "Time out and support for unpaid carers."),
        ("Young carers club", "Activities and a break for young people who care for someone at home."),
    ),
    "drugs-alcohol": (
        ("Recovery cafe", "A welcoming space for people in or seeking recovery from drugs or alcohol."),
        ("Family support for addiction", "Support for relatives and friends of people who use drugs or alcohol."),
    ),
    "lgbtq": (
        ("LGBTQ+ social group", "A relaxed monthly social for LGBTQ+ adults."),
        ("Trans and non-binary peer support", "Peer support run by and for trans and non-binary people."),
    ),
    "specific-conditions": (
        ("Memory cafe", "For people living with dementia and those who care for them."),
        ("Long COVID support group", "Share experience and practical tips for living with long COVID."),
        ("Diabetes education sessions", "Understand and manage type 2 diabetes with a nurse educator."),
    ),
    "parenting-families": (
        ("Stay and play", "Play sessions for under-fives with their parents or carers."),
        ("Dads' group", "A Saturday group for dads and their children."),
    ),
    "older-people": (
        ("Tea dance", "Afternoon tea dance for people in later life."),
        ("Later life advice", "Advice on pensions, care and staying independent."),
    ),
    "young-people": (
        ("Youth club", "Games, sport and a safe space for 11 to 18 year olds."),
        ("Youth mentoring", "One-to-one mentoring for young people aged 14 to 25."),
    ),
    "domestic-abuse": (
        ("Domestic abuse support", "Confidential support, safety planning and advocacy."),
        ("Freedom programme", "A 12-week group programme for women affected by domestic abuse."),
    ),
    "bereavement": (
        ("Bereavement cafe", "A gentle space to talk with others who have lost someone."),
        ("Bereavement counselling", "Up to 12 sessions with a trained bereavement counsellor."),
    ),
    "nature-environment": (
        ("Community allotment", "Grow food together; no experience needed."),
        ("Conservation volunteers", "Outdoor practical work in local green spaces."),
    ),
    "faith-groups": (
        ("Open church lunch", "A free lunch open to everyone, whatever their faith."),
        ("Community iftar", "Shared evening meals open to the whole community."),
    ),
    "animals": (
        ("Dog walking buddies", "Walk a friendly dog with a volunteer owner."),
        ("City farm volunteering", "Help care for animals at a small community farm."),
    ),
}

VENUE_STREETS = ("High Street", "Church Road", "Victoria Street", "Market Street", "Park Road", "Albert Road",
                 "Station Road", "Manchester Road", "King Street", "Queen Street")  # fmt: skip
FIRST_NAMES = ("Sam", "Alex", "Jo", "Chris", "Pat", "Sandra", "Imran", "Aisha", "Dave", "Karen", "Tariq", "Helen")
LANGUAGES = ("Urdu", "Punjabi", "Polish", "Bengali", "Arabic", "British Sign Language")
