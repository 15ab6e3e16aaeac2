#!/usr/bin/env python3
"""Compose tests/corpus/sources/105_collection.txt, a ~600 KB story collection in Project
Gutenberg plain-text form (licence header, front matter with CONTENTS, eleven stories, licence
footer), from the original paragraphs and sentence banks below. Deterministic (seeded).

    python3 make_collection.py            # write sources/105_collection.txt
    python3 make_collection.py --gold     # print the gold entries for the collection as JSON

All prose here is original; the book, its author, its publisher and its parish are invented.
The licence header paragraph is Project Gutenberg's standard one; the footer is a paraphrase.
"""
from __future__ import annotations

import json
import random
import re
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTFILE = HERE / "sources" / "105_collection.txt"
SEED = 1898
WIDTH = 70

BOOK = "Salt and Slate"
SUBTITLE = "Tales of the Western Shore"
AUTHOR = "Edith Harrow Penhallow"

# --------------------------------------------------------------------------- the stories
# Each story: its title, cast, target size in characters, section numerals, epigraph, and the
# hand-written paragraphs that open and close it (so that its first and last words are its own).

STORIES = [
    {
        "title": "THE LIGHT ON GULL ROCK",
        "A": "Jacob", "Afull": "Jacob Trewin", "he": "he", "B": "Martha", "bg": "f", "cg": "m", "C": "Davy Polglase",
        "place": "Gull Rock", "thing": "the lamp", "size": 160_000, "sections": ["I", "II", "III", "IV", "V", "VI"],
        "open": [
            "Gull Rock lies a mile and a half off the Cove, a black tooth of slate with the sea "
            "always working at its roots, and for thirty-one years Jacob Trewin kept the light upon "
            "it. He was a small, square, silent man, with hands that had been broken and mended so "
            "often that they looked like the knots in a net; and there were those in the parish who "
            "said he had not spoken a whole sentence since the winter his brother was drowned.",
            "It was not true, of course. Jacob spoke to the lamp. He spoke to it every evening at the "
            "lighting, as another man might speak to a horse he was fond of, and Martha, who had been "
            "his wife for twenty of those thirty-one years, said she had heard him laugh at it more "
            "than once.",
        ],
        "close": [
            "They buried him in the churchyard above the Cove, on the side nearest the sea, and Davy "
            "Polglase, who had the keeping of the light after him, said that for a month afterwards "
            "he could not bring himself to speak to the lamp at the lighting. Then one evening in the "
            "dark of the year he found that he was doing it without thinking, and after that he did "
            "it always.",
            "\"It burns the better for it,\" he would say, when the young men laughed at him; \"and if "
            "you had kept a light on Gull Rock as long as I have, you would know there are worse "
            "things to talk to than a lamp.\"",
        ],
    },
    {
        "title": "THE MILLER'S SECOND WIFE",
        "A": "Ann", "Afull": "Ann Vosper", "he": "she", "B": "Samuel", "bg": "m", "cg": "f", "C": "Kitty",
        "place": "Lanreath Water", "thing": "the mill-wheel", "size": 24_000,
        "open": [
            "When Samuel Vosper of Lanreath Water brought home a second wife, the parish gave the "
            "marriage a twelvemonth at the outside. The miller was fifty and the bride was not yet "
            "five-and-twenty; she was a stranger from the other side of the county, where, it was "
            "said, they did not know one end of a sack from the other; and there was Kitty besides, "
            "the miller's daughter by his first wife, who had kept his house since she was twelve "
            "years old and did not mean to give it up to anybody.",
        ],
        "close": [
            "And when, many years after, Ann Vosper was laid beside the first wife in the "
            "churchyard, it was Kitty who planted the rosemary on both graves, one sprig to each, so "
            "that nobody could say she had favoured either.",
        ],
    },
    {
        "title": "A WINTER CROSSING",
        "A": "Thomas", "Afull": "Thomas Keast", "he": "he", "B": "Dr. Hendra", "bg": "m", "cg": "f", "C": "Nancy",
        "place": "the Sound", "thing": "the gig", "size": 40_000,
        "epigraph": ("\"The Sound is a short water and a long road.\"", "Saying of the Keverne boatmen"),
        "open": [
            "The doctor's message came across the Sound a little after four o'clock on the shortest "
            "day of the year, when the light was already going out of the sky and the water between "
            "the island and the mainland had turned the colour of a slate roof in the rain.",
        ],
        "close": [
            "Thomas Keast never spoke of the crossing afterwards, except once, when his grandson "
            "asked him whether he had been afraid. The old man considered the question for a long "
            "time. Then he said that he had been too cold to be afraid, and that being afraid was "
            "for people who had time on their hands.",
        ],
    },
    {
        "title": "THE WRECK OF THE \"MARY ELLEN\"",
        "A": "Ruth", "Afull": "Ruth Pascoe", "he": "she", "B": "Captain Rowe", "bg": "m", "cg": "m", "C": "Billy Nance",
        "place": "Carn Du", "thing": "the lifeboat", "size": 64_000, "sections": ["I.", "II.", "III."],
        "open": [
            "There are still men living at Carn Du who will tell you that the _Mary Ellen_ need "
            "never have been lost, and that if Abel Rowe had listened to a woman for once in his "
            "life she would be trading to Bristol yet. Whether that is so I cannot say. But I have "
            "heard the story from Ruth Pascoe herself, and I set it down as she told it.",
        ],
        "close": [
            "Ruth Pascoe lived to be ninety-one. To the end of her life she kept a piece of the "
            "_Mary Ellen's_ figure-head on the mantelshelf of her kitchen--a carved hand, holding a "
            "carved rose--and if a stranger asked what it was, she would tell him that it was the "
            "only part of that vessel that had ever done what it was told.",
        ],
    },
    {
        "title": "OLD TOBIAS AND THE TIDE",
        "A": "Tobias", "Afull": "Tobias Jenkin", "he": "he", "B": "Lowdy", "bg": "f", "cg": "m", "C": "Mr. Carne",
        "place": "the sands", "thing": "the stake-net", "size": 12_000,
        "open": [
            "Old Tobias Jenkin had a quarrel with the tide, and had had it, man and boy, for seventy "
            "years.",
        ],
        "close": [
            "\"Well, it has had its way at last,\" said Lowdy, when they told her; and then, because "
            "she was his granddaughter and had his temper, \"but it took the old man seventy years "
            "to let it.\"",
        ],
    },
    {
        "title": "THE SCHOOLMASTER'S LANTERN",
        "A": "Mr. Lusty", "Afull": "Edwin Lusty", "he": "he", "B": "Jenny Rowe", "bg": "f", "cg": "m", "C": "the Squire",
        "place": "the schoolhouse", "thing": "the lantern", "size": 32_000,
        "special": [
            "                NOTICE. THE SCHOOL WILL BE CLOSED UNTIL\n"
            "                  FURTHER ORDER OF THE BOARD.",
        ],
        "open": [
            "The new schoolmaster came to St. Owen's in the autumn of the year the railway reached "
            "Penhallow Road, and the two events were spoken of together for a long while after, as "
            "if the one had brought the other.",
        ],
        "close": [
            "The schoolhouse is a reading-room now, and the lantern hangs in the porch of it. It has "
            "not been lit these twenty years; but the children of the parish, who never knew Edwin "
            "Lusty, still touch it for luck on their way past, and not one of them could tell you "
            "why.",
        ],
    },
    {
        "title": "HOW THE BELL CAME TO ST. OWEN'S",
        "A": "the parson", "Afull": "Nicholas Carne", "he": "he", "B": "Honor Gilbert", "bg": "f", "cg": "m", "C": "Peter Bone",
        "place": "the church town", "thing": "the bell", "size": 22_000,
        "epigraph": ("\"A bell is a parish that has learned to speak with one voice.\"", "From an old sermon"),
        "open": [
            "For the first two hundred years of its life the church of St. Owen's had no bell at "
            "all, and the parish was called to service by a boy with a horn, which he blew from the "
            "top of the churchyard wall in all weathers and very badly.",
        ],
        "close": [
            "It has rung for every wedding and every burying in the parish since, and for the "
            "lifeboat going out; and the old people say that on a still night, when it strikes the "
            "hour, you may hear in the last of the note a little crack, like a voice that is trying "
            "not to weep, which is Honor Gilbert's.",
        ],
    },
    {
        "title": "THE FERRYMAN'S DEBT",
        "A": "Reuben", "Afull": "Reuben Hocking", "he": "he", "B": "Grace", "bg": "f", "cg": "m", "C": "Mr. Jago",
        "place": "the Passage", "thing": "the ferry", "size": 150_000, "sections": ["I", "II", "III", "IV", "V"],
        "open": [
            "The ferry at the Passage was older than the church, older than the manor, older, some "
            "said, than the river itself; and for as long as anybody could remember it had been kept "
            "by a Hocking.",
        ],
        "close": [
            "So the debt was paid at last, though not in the coin that Mr. Jago had reckoned it in. "
            "Reuben Hocking kept the Passage until he was past seventy, and Grace kept the "
            "account-book, and the last entry in it, written in her round careful hand, says simply "
            "that the account was closed and nothing was owing on either side.",
        ],
    },
    {
        "title": "A BASKET OF SLOES",
        "A": "Jenefer", "Afull": "Jenefer Angove", "he": "she", "B": "Kit", "bg": "m", "cg": "f", "C": "Mrs. Treloar",
        "place": "the lane", "thing": "the basket", "size": 10_000,
        "open": [
            "Jenefer Angove was nine years old the autumn her brother Kit came home from sea with one "
            "arm, and she had never in her life seen a grown man sit so still.",
        ],
        "close": [
            "She found the basket years afterwards, at the back of the linhay, with a few black "
            "stones still rattling in the bottom of it; and she sat down on the step with it in her "
            "lap and cried, not because it was sad, but because it was the only thing in the world "
            "that remembered that autumn as well as she did.",
        ],
    },
    {
        "title": "THE LAST OF THE HERRING FLEET",
        "A": "William", "Afull": "William Uren", "he": "he", "B": "Loveday", "bg": "f", "cg": "m", "C": "John Curnow",
        "place": "the Cove", "thing": "the drift-nets", "size": 46_000,
        "open": [
            "In the year of the great shoal there were forty-two boats fishing out of the Cove, and "
            "in the year William Uren gave up the sea there were three.",
        ],
        "close": [
            "William Uren's boat lies on the hard above the slip to this day, with her planks gone "
            "grey and a gorse bush growing through her stern, and the children play at fishing in "
            "her. They are very good at it. They never come home empty.",
        ],
    },
    {
        "title": "WHAT THE DROWNED MAN SAID",
        "A": "Sarah", "Afull": "Sarah Bolitho", "he": "she", "B": "Mary Kitto", "bg": "f", "cg": "m", "C": "the minister",
        "place": "the quay", "thing": "the shop", "size": 26_000,
        "open": [
            "Sarah Bolitho did not believe in ghosts, and said so, often and loudly, in the shop and "
            "at the chapel door and over the garden wall; so that when she began to tell people that "
            "her husband had spoken to her out of the sea, they listened to her as they would never "
            "have listened to anybody else.",
        ],
        "close": [
            "What Henry Bolitho said to his wife that night on the quay she never told a living soul, "
            "not even Mary Kitto. But she went home, and slept, and in the morning she took down the "
            "black from the window and opened the shop as usual; and when the first customer came in "
            "she served him with a smile.",
        ],
    },
]

# --------------------------------------------------------------------------- sentence banks
# {A} hero, {B} second, {C} third, {P} place, {T} thing, {he}/{his}/{him}/{He}/{His} the hero.
# [x|y|z] picks one.

NARRATIVE = [
    "{A} went down to [the quay|the harbour|the slip] before it was light, as {he} had done every morning for more years than {he} cared to count.",
    "{B} said nothing, but {A} saw [the colour go out of|a shadow cross|something harden in] the other's face.",
    "It was [nearly midnight|past two in the morning|close upon dawn|long after dark] before {A} [came home|climbed the hill again|let the fire go out].",
    "{A} had never been a great one for the chapel, but {he} went that Sunday, and sat at the back, and did not sing.",
    "There was talk in the parish, as there always is; and the talk, as it always does, found its way to {B} before it found its way to anyone else.",
    "[The next morning|The following day|Three days later] {C} came up the lane with a face as long as a wet week.",
    "{A} turned the matter over in {his} mind all through the [morning|afternoon|long evening], and could make nothing of it.",
    "It is a strange thing how a whole parish will hold its breath for a week and then go back to its cabbages as if nothing had happened.",
    "{He} put on {his} [good coat|Sunday boots|father's old pilot-coat] and went out without a word to anybody.",
    "By the time the lamp was lit in the kitchen the matter had been settled, though nobody could afterwards say exactly how.",
    "{C} was of the opinion, freely given at the [Ship|forge|mill|shop], that no good would come of it.",
    "{A} stood a long while at the gate, looking at nothing in particular, with {his} hands deep in {his} pockets.",
    "There was a smell of [tar|wet nets|woodsmoke|bread] about the place that {A} was to remember for the rest of {his} life.",
    "The clock on the stairs struck [nine|ten|eleven|twelve], and still {B} did not come.",
    "Whatever {A} had meant to say went clean out of {his} head.",
    "[Some said|It was said|Folk said] afterwards that {B} had known all along, and had only been waiting for {A} to find it out.",
    "{A} had a way of looking at a thing, when {he} did not understand it, as if it owed {him} money.",
    "The news went round the parish faster than a dog with a kettle tied to its tail.",
    "Nobody ever knew what passed between them in the [back kitchen|net-loft|churchyard] that night, but {B} came out of it with red eyes and a very straight back.",
    "It was the [first|last|only] time in all those years that {A} was known to be late for anything.",
    "{A} counted the money twice over on the kitchen table, and it came to the same sum both times, and neither time was it enough.",
    "The [parson|doctor|squire's agent] came and went, and said what such men always say, and left the house no better than he found it.",
    "For a week after that {A} was very quiet, and ate little, and went about the place like a man listening for something.",
    "{B} laughed, but it was not a laugh that anybody would have cared to hear twice.",
    "They walked home together along [the cliff path|the top road|the sands|the old tram-road] without a word, which was a thing they had never done before.",
    "{A} was not a clever {man}, but {he} was a stubborn one, and in the long run stubbornness will carry a {man} further than cleverness ever did.",
    "{He} slept badly that night, and dreamed of [the sea|the old house|{his} father|a door that would not shut].",
    "It rained for three days without stopping, and on the fourth the lane below the house was a river.",
    "{C} had the last word, as {C} generally did; but for once it was not a word that anybody paid much attention to.",
    "{A} took down the [almanac|family Bible|account-book] from the shelf and sat a long while with it open on {his} knee, not reading.",
    "Before {he} knew what {he} was doing, {A} had given {his} word, and {A} had never yet gone back on {his} word in {his} life.",
    "All the parish turned out to see it, as the parish turns out for a wedding or a wreck.",
    "The days drew in; the swallows went; the first of the winter gales came up out of the [south-west|west] and stripped the elms along the church path.",
    "There was a light in {B}'s window long after the rest of the village was dark.",
    "{A} was sure of it now, as sure as {he} had ever been of anything.",
    "It was no great matter, as such things are reckoned; and yet {A} could not get it out of {his} head.",
    "Once {A} thought {he} heard a step on the stair, and {he} sat very still with the candle in {his} hand until the house was quiet again.",
    "{B} came in with the wet on {bhis} shoulders and the wind at {bhis} back, and the fire roared up the chimney to meet it.",
    "That was the beginning of it, though none of them knew it at the time.",
    "There was nothing to be done but wait, and waiting is a thing that comes harder to some folk than to others.",
    "{A} had been born in the house, and expected to die in it, and did not see why anybody should want {him} to do otherwise.",
    "The old men on the bench by the [quay|church gate|forge] shook their heads over it, and went on shaking them well into the spring.",
    "{A} did the only thing {he} could think of, which was to go on exactly as before.",
    "That winter the pilchards failed, and the potatoes were small, and the price of coal went up by a shilling.",
    "[It is|It was] a poor parish, and a proud one, and it does not take kindly to being told its business by strangers.",
    "By the end of the week {A} had made up {his} mind, and once {A}'s mind was made up there was no more moving it than moving {P}.",
    "{C} knocked the ashes out of {chis} pipe against the chimney-piece and said that {che} had seen it all before, and would see it all again.",
    "There was a long silence in the kitchen, broken only by the tick of the clock and the small noises of the fire.",
    "{A} thought of all the years behind {him}, and of the few that were likely to be left, and found that {he} was not afraid of either.",
    "They were married at St. Owen's on a [blowing|bright|grey] morning in [March|May|October], with half the parish looking on and the other half pretending not to.",
    "Nobody had ever known {A} to ask for help, and {he} did not ask for it now; but {B} gave it all the same, and {A} took it, and neither of them spoke of it again.",
    "{He} had not gone a hundred yards before {he} wished {he} had stayed at home.",
    "The letter lay on the dresser for three days, unopened, propped against the tea-caddy.",
    "{A} knew every rock and ledge of that shore as a blind man knows the furniture of his own room.",
    "That spring the gorse was out on the cliffs earlier than anybody could remember, and the old women said it was a sign, though they could not agree of what.",
    "{A} went about {his} work with a face like a shut door.",
    "It was not until much later that {A} understood what {B} had been trying to tell {him}.",
    "There are some things a parish will forgive and some it will not, and nobody, least of all the parish, can tell you beforehand which will be which.",
    "The [carrier|post-boy|packman] brought the news from Penhallow Road on the Thursday, and by the Friday there was not a soul in St. Owen's who had not heard it.",
    "{A} thought {he} had never seen the sea so quiet, nor liked it less.",
    "{He} ate {his} supper standing, which was a thing {he} never did, and went out again without taking off {his} boots.",
    "For all {his} faults, and {he} had a great many, nobody had ever called {A} a coward.",
    "The wind dropped at sunset, as it often does on that coast before worse weather, and the gulls came in off the water and sat along the roofs.",
    "{B} had a little money put by in a stocking in the bottom of the chest, and {A} knew it, and {B} knew that {A} knew it.",
    "What {A} said to that is not recorded; but {B} went away looking thoughtful.",
    "Afterwards, when it was all over, {A} could never remember how {he} got home that night.",
    "The kettle boiled over on the hob, and neither of them moved to take it off.",
    "{A} was up and dressed and out of the house before the cock had done crowing.",
    "The parish had its own opinion of the matter, and its opinion was not a kind one.",
    "There is a kind of tiredness that sleep does not mend, and {A} had it that year.",
    "{C} was the first to speak, as {C} generally was, and the last to be listened to.",
    "{A} walked the length of the sands and back again, twice, before {he} trusted {him}self to go in.",
    "It was a fine thing to see, and there were a good many in the parish who came a long way to see it.",
    "The lamp in the window burned all night, and in the morning the wick was down to nothing.",
    "Somewhere below the house a door was banging in the wind, and nobody went to shut it.",
    "{B} sat by the fire with {bhis} hands in {bhis} lap and {bhis} eyes on the coals, and did not look up when {A} came in.",
    "There was more in it than {A} had bargained for, a great deal more; and {he} was not, as it turned out, the only one.",
    "The boat came in on the top of the tide, low in the water and very slow, and the women on the quay knew before she touched the steps that something was wrong.",
    "{A} remembered afterwards that {he} had noticed the smell of the honeysuckle in the hedge, and had thought how odd it was to notice such a thing at such a time.",
    "By Michaelmas the thing was done, and by Christmas it was forgotten by everybody except the two or three who had most reason to remember it.",
    "{A} had a great respect for the law, and a greater one for the weather, and no respect at all for the squire's agent.",
    "It took them the better part of the day, and when it was done they sat on the wall in the last of the sun and did not say very much.",
    "{A} read the letter through three times, and then folded it very small and put it in the inside pocket of {his} waistcoat, where it stayed for the next forty years.",
    "At the [top of the hill|turn of the lane|corner by the chapel] {A} stopped and looked back, and for a moment could not have said whether {he} was going or coming.",
    "{C} went home that evening and told the whole of it over supper, and by the next morning it was all over the parish.",
    "Nobody answered the knock, and after a while {A} lifted the latch and went in.",
    "They had been [neighbours|friends|enemies] for forty years, and neither of them saw any good reason to change now.",
    "There was frost on the inside of the window that morning, and the water in the jug had a skin of ice on it.",
    "{A} took the long way round by the church, which {he} did not often do, and stood a minute by {his} mother's grave.",
    "It may be that {A} was wrong; it may be that {he} was right; but {he} was certain, and certainty is a great comfort on a cold night.",
    "What was left of the evening went by somehow, as such evenings do.",
    "There was no getting round {B} once {bhis} mind was set, and everybody in the parish knew it, {A} better than most.",
    "{A} had heard the story a hundred times, and every time it was a little different, and every time {he} believed it.",
    "The harvest was a good one that year, and for a while the whole parish went about with a full stomach and a short memory.",
    "{A} never could abide waste, and said so; and {B} never could abide being told, and said so too.",
    "It was very quiet in the house after that, quieter than it had been for years.",
    "{A} found {him}self thinking, not for the first time, that there was a great deal of nonsense talked in the world, and most of it in {P}.",
    "Down in the Cove the boats were hauled up above the tide-mark, and the men stood about in knots, looking at the sky.",
    "{C} was a small, dry, careful person who had never been known to hurry, and did not hurry now.",
    "There was a great deal more that {A} might have said, and perhaps ought to have said; but {he} said none of it.",
    "{B}'s mother had been a Penrose from over the hill, and the Penroses were known for two things, long memories and short tempers.",
    "When {A} got back to {P} the tide was making, and the light was going, and the first lamps were lit along the quay.",
    "{A} could read and write, which was more than {his} father could, and keep accounts, which was more than the squire could.",
    "The matter came up again at the vestry meeting, and was argued for two hours, and was put off, as such matters are, until the spring.",
    "{A} had never in {his} life been inside a bank, and did not intend to begin.",
    "On the Saturday the whole parish went in to Penhallow market, and came back with more news than it had gone out with money.",
    "It was a long time before anybody laughed in that house again.",
    "{B} was not the kind to make a fuss, but there are silences that are louder than any fuss, and this was one of them.",
    "{A} put the kettle on, because that is what one does, and stood looking out of the window while it boiled.",
    "{He} could not have said, if {he} had been asked, what {he} was waiting for.",
    "Twice that winter the road to Penhallow was closed by snow, which the oldest people in the parish had never known to happen before.",
    "It was {C} who found it, and {C} who carried it up to the house, and {C} who stood in the doorway afterwards turning {chis} hat round and round in {chis} hands.",
    "{A} looked at {P} as if {he} had never seen it before, and perhaps, in a manner of speaking, {he} never had.",
    "The bells were ringing for evening service as {A} came over the hill, and the sound followed {him} all the way down the lane.",
    "{A} was a long time answering, and when {he} did, it was not an answer at all.",
    "Something in {A}'s voice made {B} look up quickly; but {A}'s face told {bhim} nothing.",
    "It is easy enough, looking back, to see where the mischief began; it was not easy at the time.",
    "That night the wind went round to the north, and in the morning there was a skin of ice on every puddle in the parish.",
    "{A} had meant to be angry, and found to {his} surprise that {he} was only tired.",
    "There was a good deal of coming and going at the house that week, and a good deal of whispering on the stairs.",
    "If {B} had been a little less proud, or {A} a little less obstinate, the thing might have ended otherwise; but they were what they were.",
    "{A} had always said that {he} would know the day when it came; and when it came {he} did not know it at all.",
]

DESCRIPTION = [
    "The sea was the colour of pewter, and [flat|quiet|smooth] as a pond, with a long slow swell running under it from somewhere far out in the Atlantic.",
    "Along the cliff the sea-pinks were out, and the air was full of the thin crying of the gulls.",
    "A fine rain was drifting in from the sea, so fine that it seemed rather to hang in the air than to fall.",
    "The moon was up over the headland, and the whole bay lay white and still beneath it.",
    "Below the house the tide was [running out|making|on the turn], and the weed on the rocks lay over, all one way, like the hair of a drowned woman.",
    "It was one of those grey, soft, windless days that come sometimes in the dead of the year, when the sea and the sky are the same colour and there is no telling where the one ends and the other begins.",
    "The lane was deep in mud, and the hedges on either side of it were bare except for the red of the hips and the black of the sloes.",
    "The kitchen was warm and low and smelt of peat and bread, and the firelight went up and down on the brass candlesticks on the shelf.",
    "Out on the point the waves were going up white against the rocks, and the spray came over the wall of the lane in handfuls.",
    "The sun went down behind the Carn in a great smoky redness, and all the windows of the church town flared for a minute like lamps.",
    "In the churchyard the yews were black against the sky, and the wind went through them with a noise like the sea.",
    "It was very still; so still that {A} could hear the pigs moving in the sty at the bottom of the garden.",
    "The fog came in off the water at noon, and by one o'clock you could not see the church tower from the lych-gate.",
    "The stream beside the mill was full to the brim with the rains, brown and fast and loud.",
    "There was snow on the high ground, and the moor stood up white and strange against a sky the colour of slate.",
    "The swallows had come back to the eaves of the net-loft, and were in and out all day with mud in their beaks.",
    "The harbour was full of boats, rubbing and creaking against one another on the swell, and the smell of fish lay over everything like a blanket.",
    "It was a wild night, with the rain coming in sheets off the sea and the wind howling in the chimney like a dog shut out.",
    "The morning was clear and cold and very bright, with the sea dark blue and flecked with white as far as the eye could reach.",
    "There is a place above the Cove where the cliff path turns, and from it you may see the whole of the bay at once, from the Carn to Gull Rock and the light upon it.",
    "The old house stood with its back to the weather, as houses do on that coast, and its small deep windows looking inland.",
    "A thin smoke was going straight up from every chimney in the village, and the sound of a hammer came across the water from the boat-builder's yard.",
    "The tide had gone a long way out, leaving the sands wet and shining, and the light lay on them like the light on a mirror.",
    "The wind had dropped with the dark, and the sea had gone down with it, and there was no sound but the drip of the eaves.",
    "All down the valley the apple trees were in flower, and the bees were loud in them.",
    "The rain had stopped, and there was a great washed brightness over everything, and the gutters ran and sang.",
    "Beyond the harbour wall the sea was heaving slowly, as if something very large were breathing under it.",
    "The lamp on the table had been turned low, and the room was full of shadows that moved when the fire moved.",
    "It was the time of year when the bracken turns, and the hills behind the village were the colour of a fox.",
    "The church clock had stopped at a quarter past four, as it did every winter, and nobody in the parish thought it worth mending before the spring.",
    "The road ran white and empty between its hedges, and far off on the moor a curlew was calling.",
    "A great bank of cloud was coming up out of the west, and under it the sea had gone a dull, ugly green.",
    "The garden was all gone to seed, and the path to the door was grown over with chickweed and dock.",
    "The lane smelt of wet earth and of the honeysuckle in the hedges, and somewhere a thrush was singing as if it had never heard of winter.",
    "It was hay-time, and the whole parish was in the fields, and the lanes were empty but for the dogs.",
    "Under the cliff the water was very clear and green, and the weed moved in it slowly, like smoke.",
    "The light was going fast now, and the first star was out over the Carn.",
    "The inn was full and hot and loud, and the smoke of twenty pipes hung under the ceiling like a fog.",
    "The ebb had left a line of wrack along the top of the beach, and the children were picking over it for corks and bits of rope.",
    "There had been a frost in the night, and every blade of grass in the churchyard was white and stiff with it.",
]

DIALOGUE = [
    "The glass is falling, and it will blow before morning.",
    "You'll not get me out in that boat again, not for all the fish in the sea.",
    "There's no sense in waiting for the tide to turn.",
    "I never said I was sorry, and I never will.",
    "What's done is done, and there's an end of it.",
    "Is it true, what they're saying down at the quay?",
    "You had better sit down. You look fit to drop.",
    "I've known you since you were in petticoats, and I never knew you tell a lie yet.",
    "It's no business of mine, and I'll thank you not to make it so.",
    "Did you think I wouldn't find out?",
    "There's a deal of difference between knowing a thing and being able to prove it.",
    "I'll go to-morrow, first thing, and see for myself.",
    "He was always a fool about money, and he'll die a fool about money.",
    "Don't you go telling me what I saw and what I didn't see.",
    "I've half a mind to go to the squire myself.",
    "Where were you, then, if you weren't at the Ship?",
    "It's a long road that has no turning, as my mother used to say.",
    "I don't want your pity, and I don't want your money, and I'll thank you to keep both.",
    "Hark at the wind! There'll be slates off the church before morning.",
    "You might have told me. You might at least have told me.",
    "It isn't the first time, and it won't be the last.",
    "We'll say no more about it.",
    "What would your father have said, if he could see you now?",
    "I know what I know, and I'll not be talked out of it.",
    "Leave it till the morning. Things look different by daylight.",
    "There's nobody in this parish could do it but you, and well you know it.",
    "I'm not asking you to like it. I'm asking you to do it.",
    "She'll come round. They always come round, given time.",
    "You'll catch your death, standing about in the wet like that.",
    "That's as may be.",
    "There was a light out on the water last night. I saw it plain.",
    "I'd sooner starve than go cap in hand to that man.",
    "Mind what you say. Walls have ears in this house.",
    "I've been thinking, and I've made up my mind.",
    "Who told you that? No, don't tell me. I can guess.",
    "It's late. You'd best be getting home.",
    "Come in, come in, and shut the door behind you; you're letting the weather in.",
    "There's more ways of being drowned than in the sea.",
    "I never asked for it, and I never wanted it.",
    "Well, and what if I did?",
    "It'll take more than a bit of wind to frighten me.",
    "You're your mother's child, and no mistake.",
    "I gave my word, and I'll keep it, if it kills me.",
    "We'll manage. We always have.",
    "It's a poor sort of man that can't mend his own roof.",
    "I'll not have it said that anybody in this house ever turned a stranger from the door.",
    "There now, don't take on so. It'll all come right.",
    "Do you know what time it is? Do you know what the neighbours will say?",
    "Nobody asked your opinion.",
    "I saw her go by this morning, as bold as brass, with her best bonnet on.",
    "You can tell him from me that I'll pay him when I'm ready, and not before.",
    "The boats won't go out to-day. Look at the sky.",
    "There's always somebody willing to carry bad news.",
    "I never knew a wet Whitsun yet that didn't mean a dry harvest.",
    "What's the use of talking? Talking never mended anything.",
    "I'm an old man, and I've seen a good many things, but I never saw the like of that.",
    "If you go now you'll be back before the tide.",
    "Hush! Did you hear something?",
    "Give it here, and let me look at it.",
    "I've paid for my mistakes, every one of them, and I'll not pay for yours.",
    "You'd better ask her yourself.",
    "I'm not one to gossip, but I will say this.",
    "Anybody would think you'd never seen a drop of rain before.",
    "It was the last thing he ever said to me.",
    "We're neither of us getting any younger.",
    "If the Lord had meant me to be patient, He'd have given me more time.",
    "The parson says it's a judgment. I say it's the weather.",
    "You needn't look at me like that. I'm not the one who told.",
    "Tell me the truth, now. I'll know if you don't.",
    "It's not the sea I'm afraid of. It never was.",
    "I've a good mind to let you find out the hard way.",
    "Go on, then. Go, if you're going.",
    "Will you come, or won't you?",
    "There's bread in the crock and a bit of cold bacon, if you're hungry.",
    "I can't stop. I only looked in to see how you were.",
    "Nobody's blaming you. Nobody ever said a word against you.",
    "I didn't come here to quarrel.",
    "It's a queer thing, but I dreamed of him last night, plain as I see you now.",
    "Keep the door on the latch. I'll be back before dark.",
    "Whose boat is that, hauled up by the lime-kiln?",
    "You always did think you knew best.",
    "Well, I'm blest! Who'd have thought it?",
    "It's nothing. It's only the wind.",
    "They'll never do it. They've neither the men nor the money.",
]

TAGS_AFTER = [  # "...," said X{tail}.
    "", "", "", ", without looking up", " after a long pause", ", with a short laugh", " in a low voice",
    ", very quietly", ", half to nobody", ", setting down the cup", ", shaking the rain from the door",
    " at last", ", and went on with the mending", ", turning away", ", not unkindly", " sharply",
]
VERBS = ["said", "said", "said", "answered", "replied", "cried", "muttered", "observed", "put in"]
SHORT = [
    "Nobody answered.",
    "There was no reply.",
    "{A} did not sleep that night.",
    "So it was settled.",
    "And so it went on, all that winter.",
    "{B} did not come back.",
    "That was all.",
    "It was the beginning of the end.",
    "{A} said nothing at all.",
    "Then the door shut, and {A} was alone.",
    "It was the longest night of {A}'s life.",
    "Nothing more was heard of it for a month.",
]

# --------------------------------------------------------------------------- licence text

HEADER = f"""The Project Gutenberg eBook of {BOOK}, by {AUTHOR}

This ebook is for the use of anyone anywhere in the United States and
most other parts of the world at no cost and with almost no restrictions
whatsoever. You may copy it, give it away or re-use it under the terms
of the Project Gutenberg License included with this ebook or online
at www.gutenberg.org. If you are not located in the United States,
you will have to check the laws of the country where you are located
before using this eBook.

Title: {BOOK}
       {SUBTITLE}

Author: {AUTHOR}

Release Date: March 14, 2023 [eBook #70412]

Language: English

Credits: Produced by Ellen Tamsin Hext, Robert Quiller and the Online
         Distributed Proofreading Team at https://www.pgdp.net (This
         file was produced from images generously made available by
         The Internet Archive)


*** START OF THE PROJECT GUTENBERG EBOOK {BOOK.upper()} ***




                            {BOOK.upper()}

                      {SUBTITLE.upper()}


                      By {AUTHOR.upper()}

               AUTHOR OF "THE NETMAKER'S DAUGHTER," ETC.


                                LONDON
                         J. M. HARGREAVE & SONS
                                 1898




                               CONTENTS

                                                                 PAGE
"""

FOOTER_INTRO = f"""*** END OF THE PROJECT GUTENBERG EBOOK {BOOK.upper()} ***




Updated editions will replace the previous one--the old editions will
be renamed.

Creating the works from print editions not protected by U.S. copyright
law means that no one owns a United States copyright in these works,
so the Foundation (and you!) can copy and distribute it in the
United States without permission and without paying copyright
royalties. Special rules, set forth in the General Terms of Use part
of this license, apply to copying and distributing Project
Gutenberg-tm electronic works to protect the PROJECT GUTENBERG-tm
concept and trademark.


START: FULL LICENSE

THE FULL PROJECT GUTENBERG LICENSE

PLEASE READ THIS BEFORE YOU DISTRIBUTE OR USE THIS WORK
"""

# A paraphrase of the licence's sections, long enough to look like the real thing.
FOOTER_SECTIONS = [
    ("Section 1. General Terms of Use and Redistributing Project Gutenberg-tm electronic works", [
        "1.A. By reading or using any part of this Project Gutenberg-tm electronic work, you show "
        "that you have read and understood this license and the intellectual property agreement, "
        "and that you accept them. If you do not agree to abide by all of them, you must stop using "
        "the work and destroy or return every copy of it in your possession. If you paid a fee for "
        "a copy of a Project Gutenberg-tm electronic work and you do not agree to these terms, you "
        "may ask for a refund from the person or entity to whom you paid it, as set out in "
        "paragraph 1.E.8.",
        "1.B. \"Project Gutenberg\" is a registered trademark. It may only be used on or associated "
        "in any way with an electronic work by people who agree to be bound by the terms of this "
        "agreement. There are a few things you can do with most Project Gutenberg-tm electronic "
        "works even without complying with the whole agreement, and a great many things you can do "
        "if you follow it. See paragraph 1.C below.",
        "1.C. The Project Gutenberg Literary Archive Foundation owns a compilation copyright in the "
        "collection of Project Gutenberg-tm electronic works. Nearly all the individual works in "
        "the collection are in the public domain in the United States. Where an individual work is "
        "unprotected by copyright in the United States and you are located there, the Foundation "
        "does not claim a right to prevent you from copying, distributing, performing, displaying "
        "or creating derivative works based on it, provided that all references to Project "
        "Gutenberg are removed. We hope you will support the mission of promoting free access to "
        "electronic works by sharing them freely under the terms of this agreement, keeping the "
        "Project Gutenberg-tm name associated with the work.",
        "1.D. The copyright laws of the place where you are located also govern what you can do "
        "with this work. Copyright laws in most countries are in a constant state of change. If you "
        "are outside the United States, check the laws of your country in addition to the terms of "
        "this agreement before downloading, copying, displaying, performing, distributing or "
        "creating derivative works based on this work or any other Project Gutenberg-tm work. The "
        "Foundation makes no representations concerning the copyright status of any work in any "
        "country other than the United States.",
        "1.E. Unless you have removed all references to Project Gutenberg:",
        "1.E.1. The following sentence, with active links to, or other immediate access to, the full "
        "Project Gutenberg-tm License must appear prominently whenever any copy of a Project "
        "Gutenberg-tm work (any work on which the phrase \"Project Gutenberg\" appears, or with "
        "which the phrase \"Project Gutenberg\" is associated) is accessed, displayed, performed, "
        "viewed, copied or distributed.",
        "1.E.2. If an individual Project Gutenberg-tm electronic work is derived from texts not "
        "protected by U.S. copyright law, you may copy and distribute it to anyone in the United "
        "States without paying any fees or charges. If you are redistributing or providing access "
        "to a work with the phrase \"Project Gutenberg\" associated with or appearing on the work, "
        "you must comply either with the requirements of paragraphs 1.E.1 through 1.E.7 or obtain "
        "permission for the use of the work and the Project Gutenberg-tm trademark.",
        "1.E.3. If an individual Project Gutenberg-tm electronic work is posted with the permission "
        "of the copyright holder, your use and distribution must comply with both paragraphs 1.E.1 "
        "through 1.E.7 and any additional terms imposed by the copyright holder.",
        "1.E.4. Do not unlink, detach or remove the full Project Gutenberg-tm License terms from this "
        "work, or any files containing a part of this work or any other work associated with "
        "Project Gutenberg-tm.",
        "1.E.5. Do not copy, display, perform, distribute or redistribute this electronic work, or "
        "any part of it, without prominently displaying the sentence set out in paragraph 1.E.1 "
        "with active links or immediate access to the full terms of the Project Gutenberg-tm "
        "License.",
        "1.E.6. You may convert to and distribute this work in any binary, compressed, marked up, "
        "nonproprietary or proprietary form, including any word processing or hypertext form. "
        "However, if you provide access to or distribute copies of a Project Gutenberg-tm work in "
        "a format other than plain vanilla ASCII or the format used in the official version posted "
        "on the official Project Gutenberg-tm website, you must, at no additional cost, fee or "
        "expense to the user, provide a copy, a means of exporting a copy, or a means of obtaining "
        "a copy upon request, of the work in its original plain vanilla ASCII or other form.",
        "1.E.7. Do not charge a fee for access to, viewing, displaying, performing, copying or "
        "distributing any Project Gutenberg-tm works unless you comply with paragraph 1.E.8 or "
        "1.E.9.",
        "1.E.8. You may charge a reasonable fee for copies of or providing access to or distributing "
        "Project Gutenberg-tm electronic works provided that you pay a royalty fee of 20% of the "
        "gross profits you derive from the use of Project Gutenberg-tm works, that you provide a "
        "full refund of any money paid by a user who notifies you in writing within 30 days of "
        "receipt that they do not agree to the terms of the full Project Gutenberg-tm License, and "
        "that you provide a replacement copy or a refund if a defect in the electronic work is "
        "discovered and reported to you within 90 days of receipt of the work.",
        "1.E.9. If you wish to charge a fee or distribute a Project Gutenberg-tm electronic work or "
        "group of works on different terms than are set forth in this agreement, you must obtain "
        "permission in writing from the Project Gutenberg Literary Archive Foundation.",
        "1.F.",
        "1.F.1. Project Gutenberg volunteers and employees expend considerable effort to identify, "
        "do copyright research on, transcribe and proofread works not protected by U.S. copyright "
        "law in creating the Project Gutenberg-tm collection. Despite these efforts, Project "
        "Gutenberg-tm electronic works, and the medium on which they may be stored, may contain "
        "\"Defects,\" such as incomplete, inaccurate or corrupt data, transcription errors, a "
        "copyright or other intellectual property infringement, a defective or damaged disk or "
        "other medium, a computer virus, or computer codes that damage or cannot be read by your "
        "equipment.",
        "1.F.2. LIMITED WARRANTY, DISCLAIMER OF DAMAGES - Except for the \"Right of Replacement or "
        "Refund\" described in paragraph 1.F.3, the Project Gutenberg Literary Archive Foundation, "
        "the owner of the Project Gutenberg-tm trademark, and any other party distributing a "
        "Project Gutenberg-tm electronic work under this agreement, disclaim all liability to you "
        "for damages, costs and expenses, including legal fees. YOU AGREE THAT YOU HAVE NO "
        "REMEDIES FOR NEGLIGENCE, STRICT LIABILITY, BREACH OF WARRANTY OR BREACH OF CONTRACT "
        "EXCEPT THOSE PROVIDED IN PARAGRAPH 1.F.3.",
        "1.F.3. LIMITED RIGHT OF REPLACEMENT OR REFUND - If you discover a defect in this electronic "
        "work within 90 days of receiving it, you can receive a refund of the money (if any) you "
        "paid for it by sending a written explanation to the person you received the work from. "
        "If you received the work on a physical medium, you must return the medium with your "
        "written explanation. The person or entity that provided you with the defective work may "
        "elect to provide a replacement copy in lieu of a refund.",
        "1.F.4. Except for the limited right of replacement or refund set forth in paragraph 1.F.3, "
        "this work is provided to you 'AS-IS', WITH NO OTHER WARRANTIES OF ANY KIND, EXPRESS OR "
        "IMPLIED, INCLUDING BUT NOT LIMITED TO WARRANTIES OF MERCHANTABILITY OR FITNESS FOR ANY "
        "PURPOSE.",
        "1.F.5. Some states do not allow disclaimers of certain implied warranties or the exclusion "
        "or limitation of certain types of damages. If any disclaimer or limitation set forth in "
        "this agreement violates the law of the state applicable to this agreement, the agreement "
        "shall be interpreted to make the maximum disclaimer or limitation permitted by the "
        "applicable state law.",
        "1.F.6. INDEMNITY - You agree to indemnify and hold the Foundation, the trademark owner, any "
        "agent or employee of the Foundation, anyone providing copies of Project Gutenberg-tm "
        "electronic works in accordance with this agreement, and any volunteers associated with "
        "the production, promotion and distribution of Project Gutenberg-tm electronic works, "
        "harmless from all liability, costs and expenses, including legal fees, that arise "
        "directly or indirectly from distribution of this work, alteration, modification, or "
        "additions or deletions to any Project Gutenberg-tm work, or any Defect you cause.",
    ]),
    ("Section 2. Information about the Mission of Project Gutenberg-tm", [
        "Project Gutenberg-tm is synonymous with the free distribution of electronic works in "
        "formats readable by the widest variety of computers including obsolete, old, middle-aged "
        "and new computers. It exists because of the efforts of hundreds of volunteers and "
        "donations from people in all walks of life.",
        "Volunteers and financial support to provide volunteers with the assistance they need are "
        "critical to reaching Project Gutenberg-tm's goals and ensuring that the Project "
        "Gutenberg-tm collection will remain freely available for generations to come. In 2001, "
        "the Project Gutenberg Literary Archive Foundation was created to provide a secure and "
        "permanent future for Project Gutenberg-tm and future generations.",
    ]),
    ("Section 3. Information about the Project Gutenberg Literary Archive Foundation", [
        "The Project Gutenberg Literary Archive Foundation is a non-profit 501(c)(3) educational "
        "corporation organized under the laws of the state of Mississippi and granted tax exempt "
        "status by the Internal Revenue Service. Contributions to the Foundation are tax "
        "deductible to the full extent permitted by U.S. federal laws and your state's laws.",
        "The Foundation's business office is located at 809 North 1500 West, Salt Lake City, UT "
        "84116, (801) 596-1887. Contact links and up to date contact information can be found at "
        "the Foundation's website and official page at www.gutenberg.org/contact",
    ]),
    ("Section 4. Information about Donations to the Project Gutenberg Literary Archive Foundation", [
        "Project Gutenberg-tm depends upon and cannot survive without widespread public support "
        "and donations to carry out its mission of increasing the number of public domain and "
        "licensed works that can be freely distributed in machine-readable form accessible by the "
        "widest array of equipment including outdated equipment. Many small donations ($1 to "
        "$5,000) are particularly important to maintaining tax exempt status with the IRS.",
        "The Foundation is committed to complying with the laws regulating charities and "
        "charitable donations in all 50 states of the United States. Compliance requirements are "
        "not uniform and it takes a considerable effort, much paperwork and many fees to meet and "
        "keep up with these requirements. To check the status of compliance for any particular "
        "state visit www.gutenberg.org/donate.",
        "Please check the Project Gutenberg web pages for current donation methods and addresses. "
        "Donations are accepted in a number of other ways including checks, online payments and "
        "credit card donations.",
    ]),
    ("Section 5. General Information About Project Gutenberg-tm electronic works", [
        "Professor Michael S. Hart was the originator of the Project Gutenberg-tm concept of a "
        "library of electronic works that could be freely shared with anyone. For forty years, he "
        "produced and distributed Project Gutenberg-tm eBooks with only a loose network of "
        "volunteer support.",
        "Project Gutenberg-tm eBooks are often created from several printed editions, all of which "
        "are confirmed as not protected by copyright in the U.S. unless a copyright notice is "
        "included. Thus, we do not necessarily keep eBooks in compliance with any particular paper "
        "edition.",
        "Most people start at our website which has the main PG search facility: "
        "www.gutenberg.org",
        "This website includes information about Project Gutenberg-tm, including how to make "
        "donations to the Project Gutenberg Literary Archive Foundation, how to help produce our "
        "new eBooks, and how to subscribe to our email newsletter to hear about new eBooks.",
    ]),
]


# --------------------------------------------------------------------------- composition

def fill(template: str, s: dict, rng: random.Random) -> str:
    template = re.sub(r"\[([^\]]*)\]", lambda m: rng.choice(m.group(1).split("|")), template)
    she = s["he"] == "she"
    subs = {
        "A": s["A"], "B": s["B"], "C": s["C"], "P": s["place"], "T": s["thing"],
        "he": "she" if she else "he", "his": "her" if she else "his", "him": "her" if she else "him",
        "man": "woman" if she else "man",
        "bhe": "she" if s["bg"] == "f" else "he", "bhis": "her" if s["bg"] == "f" else "his",
        "bhim": "her" if s["bg"] == "f" else "him",
        "che": "she" if s["cg"] == "f" else "he", "chis": "her" if s["cg"] == "f" else "his",
    }
    out = re.sub(r"\{(\w+)\}", lambda m: subs[m.group(1)] if m.group(1) in subs
                 else subs[m.group(1).lower()].capitalize(), template)
    # a sentence may open with a lower-case substitution ("the parson went ...")
    return out[0].upper() + out[1:]


def speaker(s: dict, rng: random.Random) -> str:
    return rng.choice([s["A"], s["A"], s["B"], s["B"], s["C"]])


def dialogue_paragraph(s: dict, rng: random.Random) -> str:
    d1, d2 = rng.sample(DIALOGUE, 2)
    x = speaker(s, rng)
    form = rng.randrange(5)
    if form == 0:
        lead = d1[:-1] + "," if d1.endswith(".") else d1
        return f"\"{lead}\" {rng.choice(VERBS)} {x}{rng.choice(TAGS_AFTER)}."
    if form == 1:
        return f"\"{d1} {d2}\""
    if form == 2:
        lead = d1[:-1] + "," if d1.endswith(".") else d1
        return f"\"{lead}\" said {x}; and then, {rng.choice(['after a moment', 'more gently', 'as if ashamed of it', 'lower'])}, \"{d2}\""
    if form == 3:
        narr = fill(rng.choice(NARRATIVE), s, rng)
        lead = d1[:-1] + "," if d1.endswith(".") else d1
        return f"\"{lead}\" said {x}. {narr}"
    return f"\"{d1}\""


def narrative_paragraph(s: dict, rng: random.Random) -> str:
    n = rng.randint(3, 7)
    parts = [fill(t, s, rng) for t in rng.sample(NARRATIVE, n)]
    if rng.random() < 0.45:
        parts.insert(rng.randrange(len(parts) + 1), fill(rng.choice(DESCRIPTION), s, rng))
    return " ".join(parts)


def description_paragraph(s: dict, rng: random.Random) -> str:
    parts = [fill(t, s, rng) for t in rng.sample(DESCRIPTION, rng.randint(2, 4))]
    if rng.random() < 0.6:
        parts.append(fill(rng.choice(NARRATIVE), s, rng))
    return " ".join(parts)


def body_paragraphs(s: dict, rng: random.Random, seen: set) -> list[str]:
    have = sum(len(p) for p in s["open"] + s["close"])
    out: list[str] = []
    while have < s["size"]:
        r = rng.random()
        if r < 0.52:
            p = narrative_paragraph(s, rng)
        elif r < 0.67:
            p = description_paragraph(s, rng)
        elif r < 0.95:
            p = dialogue_paragraph(s, rng)
        else:
            p = fill(rng.choice(SHORT), s, rng)
        if p in seen:
            continue
        seen.add(p)
        out.append(p)
        have += len(p)
    for sp in s.get("special", []):
        out.insert(len(out) // 2, sp)
    return out


def wrap(p: str) -> list[str]:
    if "\n" in p:  # pre-set lines (a notice printed in the text)
        return p.split("\n")
    return textwrap.wrap(p, width=WIDTH, break_long_words=False, break_on_hyphens=True)


def build():
    """Return (lines, stories, meta). stories: the ideal structure of each story."""
    rng = random.Random(SEED)
    seen: set = set()
    stories = []
    for s in STORIES:
        body = body_paragraphs(s, rng, seen)
        paras = s["open"] + body + s["close"]
        sections = s.get("sections") or []
        # section numerals: before the first paragraph, then evenly through the story
        cuts = {}
        if sections:
            step = len(paras) / len(sections)
            for i, numeral in enumerate(sections):
                cuts[round(i * step)] = numeral
        stories.append({"spec": s, "paras": paras, "cuts": cuts})

    lines = HEADER.rstrip("\n").split("\n")
    page = 1
    for i, st in enumerate(stories):
        numeral = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI"][i]
        title = st["spec"]["title"]
        entry = f"{numeral + '.':>7} {title}"
        lines.append(f"{entry:<66}{page:>4}")
        page += max(3, st["spec"]["size"] // 1900)
    lines += ["", ""]

    meta = {"story_lines": []}
    for st in stories:
        s = st["spec"]
        lines += ["", "", "", ""]
        first = len(lines) + 1
        lines.append(s["title"])
        lines += ["", ""]
        blocks = []
        if s.get("epigraph"):
            text, who = s["epigraph"]
            lines.append("    " + text)
            lines.append("    --" + who)
            lines += ["", ""]
            blocks.append({"type": "quote", "text": text, "attribution": who})
        for k, p in enumerate(st["paras"]):
            if k in st["cuts"]:
                if k:
                    lines.append("")
                lines.append(st["cuts"][k])
                lines.append("")
                blocks.append({"type": "heading", "text": st["cuts"][k]})
            lines += wrap(p)
            lines.append("")
            blocks.append({"type": "paragraph", "text": " ".join(x.strip() for x in p.split("\n"))})
        while lines[-1] == "":
            lines.pop()
        meta["story_lines"].append((first, len(lines)))
        st["blocks"] = blocks
    lines += ["", "", "", "", "THE END", "", "", "", ""]
    lines += FOOTER_INTRO.rstrip("\n").split("\n")
    for head, paras in FOOTER_SECTIONS:
        lines += ["", "", head, ""]
        for p in paras:
            lines += textwrap.wrap(p, width=WIDTH) + [""]
    lines.append("")
    out = [{"title": st["spec"]["title"], "blocks": st["blocks"]} for st in stories]
    return lines, out, meta


def words_at(text: str, n: int, end: bool) -> str:
    w = text.split()
    return " ".join(w[-n:] if end else w[:n])


def gold_entries(lines, stories, meta, filename="105_collection.txt"):
    entries = []
    for st in stories:
        paras = [b for b in st["blocks"] if b["type"] == "paragraph"]
        quotes = [b for b in st["blocks"] if b["type"] == "quote"]
        heads = [b for b in st["blocks"] if b["type"] == "heading"]
        ok = []
        for p in paras:
            t = p["text"]
            if t.startswith('"'):
                start = words_at(t[1:], 6, False).rstrip('"')
                if start not in ok:
                    ok.append(start)
        entries.append({
            "file": filename,
            "title": st["title"],
            "first_words": words_at(paras[0]["text"], 12, False),
            "last_words": words_at(paras[-1]["text"], 12, True),
            "headings": [],
            **({"headings_ignored": True} if heads else {}),
            "quotes": [{"starts": q["text"].strip('"'), "attribution": q["attribution"]} for q in quotes],
            "quotes_ok": ok,
            "list_items": [],
            "byline": None,
            "paragraphs": len(paras) + len(quotes),
        })
    first = meta["story_lines"][0][0]
    last = meta["story_lines"][-1][1]
    return entries, {filename: [first, last]}


def main(argv):
    lines, stories, meta = build()
    if "--gold" in argv:
        entries, ranges = gold_entries(lines, stories, meta)
        print(json.dumps({"stories": entries, "preserve_lines": ranges}, ensure_ascii=False, indent=1))
        return 0
    data = "\ufeff" + "\r\n".join(lines) + "\r\n"
    OUTFILE.parent.mkdir(parents=True, exist_ok=True)
    OUTFILE.write_bytes(data.encode("utf-8"))
    print(f"wrote {OUTFILE} ({len(data.encode('utf-8')):,} bytes, {len(lines):,} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
