"""Word lists the name and address recognisers share.

The bulk of the first names and surnames comes from the ``names`` package (MIT licence; the US Census
Bureau's 1990 name frequency files, public domain): 5,163 first names and 88,799 surnames. That list is
American and thirty years old, so ``MORE_FIRST_NAMES`` adds names common in England today that it lacks
(South Asian, Polish, West African, Arabic, Irish, and the short forms people use).

A first name that is also an everyday word (Rose, Hope, Mark, Bill, Amber, Grace, June) is in
``WORD_NAMES`` and counts as a name only with something that says so: a relation or a verb of talking
before it ("her son", "spoke to"), a title, or a surname after it.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

import gender_guesser
import names as census_names

_CENSUS = Path(census_names.__file__).resolve().parent
# Jörg Michael's international first-name dictionary (gender.c, GNU Free Documentation Licence), as shipped
# unchanged in the ``gender-guesser`` package: about 48,000 given names from Europe, Asia and Africa. Only
# read, never modified or redistributed; its names count only with a capital and something after them that
# says a person is meant (a verb, a possessive, a surname), because many of them are also English words.
_WORLD = Path(gender_guesser.__file__).resolve().parent / "data" / "nam_dict.txt"
# Letters NFKD does not split into a base letter and an accent.
_FOLD = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i", "ð": "d"})


def fold(word: str) -> str:
    """Lower case without accents, so "Stanisław" and "Zielińska" are looked up as "stanislaw", "zielinska"."""
    word = unicodedata.normalize("NFKD", word.lower().translate(_FOLD))
    return "".join(c for c in word if not unicodedata.combining(c))


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


MORE_FIRST_NAMES = _words("""
aaliyah aamir abdi abdul abdullah abimbola adaeze adebayo adeola adewale aditi aditya afia agnieszka ahmad ahmed
aisha aisling akua alfie alhassan ali alisha aliyu amara amardeep amina amir amit amrit anil anita anjali ankit
anna-marie anne-marie anwar arjun arun asha ashok asif asma ayesha ayo ayodele azhar babajide baljit barry
bartek bartosz beata bilal bogdan bronwen caitlin callum caoimhe ciara ciaran chidi chinedu chioma cormac
dariusz darshan deepak deepa dev dhruv dorota eilidh emeka ewa fahad faisal farah farhan fatima fatma femi
folake funmi gurdeep gurpreet hamza harjit harpreet hassan hussain ibrahim ifeoma imran iqbal irfan jagdish
jakub jaswinder jayden kacper kai kamal karim kasia katarzyna kayleigh kelly-ann khadija kieran krzysztof
kuldeep kwame kwabena lakshmi leanne liam lukasz maciej magdalena mahmood malgorzata manpreet maryam mateusz
mehmet michal mohamed mohammad mohammed muhammad mustafa nadia naveed neha niamh nkechi nnamdi noor nurul obinna
oisin olamide oluwaseun oluwatobi omar oona pawel piotr pooja prakash priya priyanka rahul rajesh rajinder raj
rakesh ravi rehana reza rizwan rukhsana sadia saeed salma samina sandeep sanjay saoirse seun shabana shahid
shazia shreya siobhan sinead sunil sunita suresh tadhg tariq tomasz tunde uchenna usman wojciech yusuf zainab
zara zofia ngozi olumide chiamaka ama shabnam iqra adaora amaka chinwe chukwuemeka funmilayo kemi kofi
kojo kwaku nana olu oluwadamilare temitope tobi tolu yetunde yaw abena efua esi akosua nasreen parveen shamima
shirin tasleem nasima rubina yasmin haroon waqar zubair zeeshan aleksandra dawid mariusz grzegorz jadwiga
mirosław radosław stanisław zbigniew colm donal eoin fionnuala orla padraig ruairi seamus
dave davey kath kathy mags maggie jo jen jenny bev bernie des del dot dotty pat patsy tel terry gaz
gazza jacko deano chaz shaz trev viv val sue sal ronnie reenie nobby mo mick mikey liz lizzie les kev jez jim
jimmy jill kaz baz bob bobby nan shell stef steph tash tony tina tez wayne
""")

# First names that are also ordinary words, months or places: a name only with a cue, a title or a surname.
WORD_NAMES = _words("""
abbey aide alpha amber an angel angle art august aura autumn barb basil beau bee bell belle berry bill blanch
blossom bonnie bonny brain brandy brook brooks buck bud buddy bunny buster candy carol carry chance charity
chase cherish cherry chi chin china christen chuck clay cliff coral crystal curt daisy dale dawn dean deb dell
delta desire destiny diamond dick dimple dolly don dot drew dung dusty earl earnest ebony echo ed else emerald
era eve fairy faith fanny fawn fern flora forest foster frank freeman gala gale garland garnet gay gene genesis
genie ginger glen glory golden grace grant guy ha hang hank harmony hazel heath heather herb holly honey hope
hue hung hunter in iris ivory ivy jack jade jasmine jay jewel jimmy joy june junior karma king kit kitty lacy
lady lance lane laurel lea lean lee liberty lily loan long lore love ma major man many maple marina marine mark
marlin marvel mason matt max may meg melody mercy merry meta mi mica miles min miss misty moon my nick noble
noel nova nu numbers olive omega opal pa page pansy pat patience pearl peg penny piper porter precious prince
princess prudence queen randy raven ray reed rich robin rocky rod roman rose rosemary rosy royal ruby rusty sage
sally sandy sang savanna scarlet season see shad sherry shin so sol son song sonny soon sparkle spring star
sterling stormy summer sun sung sunny sunshine tad tam tanner tawny temple tiny trinity troy valentine van
velvet vi victor viola violet viva wade walker wan ward warren wen will willow windy winter yen yon young april
august january july march may september october november december monday friday sunday tuesday wednesday
thursday saturday jan sue dot tel mo les del shell val nan sal kit viv barb chance easter christmas tai
""")

# Months and days that are also first names: never a name on their own, whatever follows ("May is busy").
CALENDAR = _words("""
january february march april may june july august september october november december jan feb mar apr jun
jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday easter christmas
""")

# Nationalities, languages and faiths: capitalised adjectives that can also be first names ("Irish dancing").
NATIONALITIES = _words("""
irish english scottish scots welsh british french german polish italian spanish portuguese dutch greek turkish
romanian bulgarian czech slovak hungarian lithuanian latvian estonian russian ukrainian chinese cantonese
mandarin japanese korean vietnamese thai indian pakistani bangladeshi bengali punjabi urdu gujarati tamil
somali nigerian ghanaian african caribbean jamaican kurdish arabic persian afghan syrian iraqi iranian
eritrean sudanese filipino nepali sikh hindu muslim jewish christian catholic
""")

# After a name: a verb of talking or doing that says a person is meant ("Hope said", "Grace lives alone"),
# possibly after an adverb ("Declan now goes").
ACTION_VERBS = _words("""
said says asked asks told tells rang rings phoned phones called calls texted texts emailed emails messaged
wants wanted needs needed would has had is was lives lived joined joins goes went comes came stopped started
attended attends feels felt cant can't wont won't doesn't didn't isn't wasn't moved found got gets likes loved
loves hates misses missed waiting waits waited struggles struggling cares looks looked says: mentioned
explained complained reported agreed declined refused tried tries turned came uses used walks walked
""")
ADVERBS = _words("now still also just never always only often really then already recently")


# Places and bodies whose names are also first names, and words that end a name's run.
PLACE_NAMES = _words("""
preston chester lincoln stanley clifton beverley shirley ashley kendal lancaster carlisle chelsea florence
adelaide sydney paris victoria york darwin jersey hampton milton stockton warrington blackburn burnley bolton
kirkham layton marton weeton carleton elswick garstang hambleton poulton staining thornton lytham bispham
mereside grange fleetwood cleveleys norbreck anchorsholme bloomfield talbot claremont brunswick hawes austin
jordan douglas rochdale lee clayton royton colne nelson barrow bury wigan derby devon cornwall kent essex
""")

# Words that can follow a relation or a talking verb without being a name ("her son is", "spoke to the").
FUNCTION_WORDS = _words("""
a about above after again against all also am an and any are as at back be been before being below between both
but by can cannot could did do does doing done down during each either else even ever every few for from further
got had has have having he her here hers herself him himself his how i if in into is it its itself just last
least less let like made make many may me might more most much must my myself never next no nor not now of off
often on once one only or other our ours out over own per please quite rather really same see seen she should
since so some still such than that the their theirs them then there these they this those though through till to
too under until up upon us very was we well went were what when where which while who whom whose why will with
within without would yet you your yours about again ago also always already around away said says say saying
told tells asked asks rang rings phoned phones called calls came comes come went goes go going wants wanted
needs needed would could has had is was are were be being been gets got getting feels felt thinks thought knows
knew lives lived living moved moving keeps kept takes took tried tries drives drove does did likes liked loves
loved hates prefers cannot can't won't isn't wasn't doesn't didn't who which that whose where when today
yesterday tomorrow tonight morning afternoon evening client clients carer carers group groups team staff worker
workers volunteer volunteers service services mum dad son daughter wife husband partner brother sister friend
neighbour family ran run runs gave gives give took take left leaves stopped started sent brought helped attended
joined booked cancelled missed lost found agreed declined refused uses used signed waited waits waiting hoping
struggling
""")

# After a name: a place, a venue or an organisation, so the run was not a person ("Stanley Park", "Victoria
# Hospital", "Grace Church", "Alexandra sports centre").
VENUE_WORDS = _words("""
road rd street st lane avenue ave close drive way crescent grove gardens garden court terrace place walk rise
view park mews row square hill green parade promenade vale croft fold brow gate bank meadow meadows boulevard
hospital hospice surgery practice clinic centre center hall church chapel mosque temple gurdwara synagogue
school academy college university library house lodge club society trust foundation association charity project
network partnership hub cafe café pub inn arms theatre cinema museum gallery stadium ground pool baths leisure
sports gym end ends top bottom community health medical care council borough ward estate village town city
street uk england county trust advice aid action concern support services forum network alliance nhs hospitals
teaching group groups line helpline team carers room rooms suite wing building unit
""")

# Before a word: that word is the next part of an organisation or a place ("St Mary's", "Queen Victoria").
NOT_BEFORE_NAMES = _words("""
st saint st. princess prince queen king royal lady lord sir duke duchess
""")

# Organisations named after a person, which the titled-name rule would otherwise flag.
NAMED_ORGANISATIONS = frozenset({"dr barnardo's", "dr barnardos", "dr barnardo’s", "barnardo's", "st john's",
                                 "sir john moores", "lord street", "lady chapel",
                                 "marie curie", "sue ryder", "florence nightingale", "joseph rowntree",
                                 "john lewis", "anthony nolan", "william hill"})  # fmt: skip

# Words before a name that say a person is meant: family, roles, verbs of talking.
RELATIONS = _words("""
son daughter wife husband partner mum mother mam mom dad father brother sister grandson granddaughter grandad
grandpa grandma granny gran nan nanna nephew niece aunt aunty auntie uncle cousin neighbour neighbor carer
client friend boyfriend girlfriend fiancé fiance fiancée stepson stepdaughter stepmum stepdad daughter-in-law
son-in-law mother-in-law father-in-law sister-in-law brother-in-law ex grandchild child baby twin lodger
flatmate landlord landlady patient manager secretary coordinator organiser organizer volunteer receptionist
chair treasurer leader nurse worker grandmother grandfather widow widower
""")
TALK_CUES = (
    "spoke to", "spoke with", "speak to", "speaking to", "talked to", "talked with", "met with", "met", "called",
    "named", "rang", "phoned", "visited", "saw", "according to", "reported by", "referred by", "contact",
    "left message with", "left a message with", "left a voicemail for", "message for", "emailed", "texted",
    "ring", "call", "asked", "referral for", "referal for", "referred", "refer",
)  # fmt: skip


@cache
def world_first_names() -> frozenset[str]:
    """The international list, folded; its special spellings ("<s^>", "+" joins) are left out."""
    found: set[str] = set()
    for line in _WORLD.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("#") or len(line) < 30 or line[0] == "=":
            continue
        name = line[3:29].strip()
        if name and all(c.isalpha() or c == "-" for c in name):
            found.add(fold(name))
    return frozenset(found)


@cache
def census_first_names() -> frozenset[str]:
    found: set[str] = set()
    for name in ("dist.female.first", "dist.male.first"):
        for line in (_CENSUS / name).read_text(encoding="ascii").splitlines():
            if line.strip():
                found.add(line.split()[0].lower())
    return frozenset(found | MORE_FIRST_NAMES)


@cache
def census_surnames() -> frozenset[str]:
    lines = (_CENSUS / "dist.all.last").read_text(encoding="ascii").splitlines()
    return frozenset(line.split()[0].lower() for line in lines if line.strip())
