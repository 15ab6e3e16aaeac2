#!/usr/bin/env python3
"""Compose tests/corpus2/sources/205_old_etext.txt, a ~150 KB story collection in the OLD Project
Gutenberg plain-text form (2000s header with "*** START OF THIS PROJECT GUTENBERG EBOOK ... ***",
"Produced by" line, title page, dedication, no contents list; six stories by various hands with
mixed-case titles set off by blank lines, some followed by a "By ..." author line; chapter
headings in one long story; verse in another; scene breaks; illustration tags; closing
"End of the Project Gutenberg EBook of ...", END marker and a paraphrased licence footer).

Deterministic (seeded). ASCII, LF, prose wrapped at 70 columns.

    python3 make_etext.py            # write sources/205_old_etext.txt
    python3 make_etext.py --gold     # print the gold entries for the collection as JSON
    python3 make_etext.py --blocks   # print the intended structure (stories and blocks) as JSON

All prose and verse here is original. The book, its editor, its authors, its publisher, its
producers and its parishes are invented. The licence header paragraph is the short standard one
Project Gutenberg used at the time; the footer is a paraphrase, much shortened.
"""
from __future__ import annotations

import json
import random
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTFILE = HERE / "sources" / "205_old_etext.txt"
FILENAME = OUTFILE.name
SEED = 1894
WIDTH = 70

BOOK = "Stories of the Fen Country"
EBOOK_NO = "31872"
SCENE_BREAK = "       *       *       *       *       *"

# --------------------------------------------------------------------------- sentence banks
# {A} {B} {C}: the story's three people ({C} is always a man); {place}; {thing} (used as an object).

NARRATIVE = [
    "{A} said nothing to this, but went out to look at {thing} before the light went.",
    "It was a long time before anybody in {place} spoke of it again, and when they did it was in a lower voice.",
    "The wind had gone round into the north-east by the evening, and it brought the smell of the sea across forty miles of flat land.",
    "{B} was of another mind, and said so at the Plough on the Saturday night, to anybody who would listen and to several who would not.",
    "There was no arguing with {A} when the fit was on, and {C} had the sense not to try.",
    "They went along the top of the bank in single file, with the water on one hand and the black fields on the other, and nobody spoke.",
    "By Michaelmas the thing was settled, or as nearly settled as anything is settled in the fens, where the very ground has been known to change its mind.",
    "{C} had been a soldier once, and had the soldier's habit of sleeping wherever he sat down; but he was awake quickly enough that night.",
    "The dyke-reeve came on the Tuesday with his measuring-staff and his little book, and went away again on the Wednesday having written nothing in it.",
    "{A} had the name of being close with money, which in {place} was a kind of compliment.",
    "Nobody could afterwards remember who had first told the story, but by the end of the week there was not a child in {place} who did not know it.",
    "The lamp in the window of the mill burned all that night, and those who saw it from the drove said afterwards that they had never been so glad of a light.",
    "It came on to rain a little after dark, a thin cold rain that seemed to come up out of the ground as much as down from the sky.",
    "{B} put down the basket and stood for a moment with both hands pressed to the small of the back, looking out over the wash.",
    "The ice held. Everybody had said that it would not, and it held.",
    "There was a deal of talk in {place} that winter, and most of it was about {A}.",
    "{C} knew the droves as a man knows the lines of his own hand, and could have walked them blindfold; which was as well, for there was no moon.",
    "The parson came down from the church to see what the matter was, and stayed to help, with his coat off and his sleeves rolled up like any labourer.",
    "In the morning the whole country lay under a white mist, and the tops of the pollard willows stood out of it like the heads of men wading.",
    "{A} was not a patient person, but there are some things that cannot be hurried, and the fen is one of them.",
    "Nobody slept much. The women sat up in the kitchen with the kettle on the hob, and the men went in and out all night to look at the water.",
    "It was {B} who saw it first: a darker line on the dark water, coming down slowly from the direction of the sluice.",
    "{A} went home by the long way, round by the decoy and the osier beds, to have time to think.",
    "They say in {place} that the fen has a long memory, and that it never forgets a man who has once cheated it.",
    "The next day was a Sunday, and the bells of three parishes could be heard across the flat country, each of them a little out of time with the others.",
    "{C} laughed at that, but not for long.",
    "It was past midnight before the last of them went home, and the fire had burned down to a red eye in the grate.",
    "The carrier's cart came through twice a week, on Tuesdays and Fridays, and brought the news of the world a day or two late, which nobody minded.",
    "{B} had a way of looking at a person that made them feel they had forgotten something important, and generally they had.",
    "There was a heron on the far bank, standing as still as a post, and it did not move the whole time they were there.",
    "After that, things went on much as before, except that {A} was seen more often on the bank at dusk, looking down the river towards the sea.",
    "The frost came early that year, before the turnips were up, and it stayed.",
    "{A} counted the money twice, and then a third time, and then put it back in the tin under the loose brick by the copper.",
    "{C} was sent for, and came, grumbling, with his lantern in one hand and his supper still in the other.",
    "The water rose another inch in the night. It was not much, but it was enough, and everybody knew it.",
    "There was nothing to be done but wait, and waiting was the thing {A} had never learned to do well.",
    "The barge came up on the evening tide, low in the water with its load of coal, and tied up below the bridge as if nothing in the world were the matter.",
    "{B} said it was a judgment, and perhaps it was; but if so, it was a judgment on the wrong people, as judgments generally are.",
    "_That_ was the beginning of it, though none of them knew it at the time.",
    "The old people shook their heads and said it had been the same in the year of the great flood, and in the year before that, and that it would be the same again.",
    "{A} did not go to bed at all that night, but sat by the window with a shawl round the shoulders, watching the lights go out one by one along the drove.",
    "{C} took off his hat, looked into it as if he expected to find advice there, and put it on again.",
    "Word went round {place} in the way that word does go round in a small place, from the forge to the inn and from the inn to every kitchen in the parish.",
    "{B} had brought a bottle of elder wine, which was thought very handsome, and a great deal of advice, which was not.",
    "It was agreed, after a good deal of talk, that nothing should be done until the spring; and then, of course, it was too late.",
    "The horse knew the way better than {C} did, and {C} had the wisdom to let it have its head.",
    "{A} was up before the lark, and had the fire lit and the kettle singing before anybody else in the house had stirred.",
    "There are people who are made for the fen, and people who are not, and {B} was one of the first kind, though it had taken thirty years to find it out.",
    "Nobody in {place} had ever seen {C} in a hurry, and it was a thing they talked about for years afterwards.",
    "The frost got into the pump that night, and in the morning there was not a drop of water to be had nearer than the river.",
    "{A} had not meant to listen; but the door was open, and the voices were raised, and it is hard to stop one's ears in one's own house.",
    "It was _not_ a thing to be spoken of before the children, and so, naturally, the children knew all about it.",
    "The moon came up late and red over the wash, and for an hour the whole flat country looked as if it were on fire.",
    "{C} went back for {thing}, and was a long time gone.",
    "{B} was not one to bear a grudge, but {B} kept one or two by, in case they should be wanted.",
    "The road was under water for a mile beyond the bridge, and the carrier would not try it, so there were no letters for a week.",
    "{A} thought about it all through the long evening, and was no nearer an answer at the end of it than at the beginning.",
]

DESCRIPTION = [
    "The land about {place} is as flat as a table and nearly as bare, and the sky over it is so large that a stranger feels it pressing upon the top of his head.",
    "Along the edge of the drain the reeds stood higher than a man, grey-gold and dry, and they whispered together whenever the wind touched them.",
    "The house stood with its back to the bank, a low brick place with a roof of pantiles and a garden of cabbages that never did well.",
    "In the distance, very small against the sky, the tower of the cathedral stood up like a ship at sea.",
    "The water in the dykes was the colour of strong tea, and so still that the willows looked down into it as into a glass.",
    "There were wild duck on the wash in thousands, and when they rose together the noise of their wings was like a sudden storm of rain.",
    "Far off a windmill was turning, very slowly, as if it were thinking about something else.",
    "The road, such as it was, ran along the top of the bank, so that a traveller on it could see for ten miles and be seen for twenty.",
    "It was the kind of winter evening when the sky goes green at the edges before it goes dark, and the first star comes out over the marsh as sharp as a needle.",
    "Inside, the kitchen was warm and smelt of peat smoke and wet wool, and the clock on the wall ticked as loudly as a man walking.",
    "The fields had been under water so often that the soil was black and soft as cake, and a plough went through it without a sound.",
    "Beyond the last house there was nothing at all but the fen, stretching away to a line of low cloud that might have been the edge of the world.",
    "The drove was deep in mud between its two ditches, and the ruts were full of sky.",
    "A single poplar stood at the corner of the lode, and every wind that blew across the fen seemed to stop there to turn its leaves over.",
    "The church was older than anybody could say, and it leaned a little towards the river, as if it wished to hear what the water was saying.",
]

UTTERANCES = [
    "It'll not hold another night, not with this wind behind it",
    "I never said I'd do it, and I never said I wouldn't",
    "You'd best ask your father, and see what he says",
    "There's no sense in the pair of you standing there in the wet",
    "I've lived by this river fifty years, and I know its tempers",
    "Mind the plank, it's rotten at the far end",
    "Who's to pay for it, that's what I want to know",
    "It's only the wind in the reeds. Go to sleep",
    "I'll thank you to keep your opinions to yourself",
    "Well, and what if it does? We've been wet before",
    "Give me the lantern, and go and fetch the others",
    "There's more in that than you'd think to look at it",
    "Nobody asked you, and nobody's like to",
    "I knew his father, and his father's father, and there wasn't an honest bone among the three of them",
    "If the bank goes, it goes, and praying won't stop it",
    "You'll not get the better of the fen, so you may as well stop trying",
    "Come in, come in, and shut the door behind you",
    "I saw it with my own eyes, and I'll say so to anybody",
    "It's a poor sort of bargain that nobody can win",
    "There's tea in the pot, if it's not stewed",
    "Hark at that. There's somebody out on the wash",
    "We'll know by morning, one way or the other",
    "Don't you go telling me what the water will do. The water doesn't know itself",
    "I'll go, and I'll thank nobody to come after me",
    "Sit you down. You look fit to drop",
    "It was never like this in my mother's time",
]

TAGS = ["said {X}", "{X} said", "cried {X}", "answered {X}", "said {X} slowly", "{X} muttered", "said {X} at last"]

# --------------------------------------------------------------------------- the stories
# Hand-written paragraphs open and close every story (and every chapter of the long one), so that
# first_words / last_words belong to one story only. "size" is the target length in characters.

STORIES = [
    {
        "title": "The Eel-Catcher's Wager", "author": "Ambrose Fell", "before": 4,
        "A": "Jabez", "B": "Hannah Pask", "C": "Reuben Sallis", "place": "Upwold Fen", "thing": "the eel-hives",
        "size": 14_000,
        "open": [
            "There was never a man in Upwold Fen who could catch eels like Jabez Cloake, and there was "
            "never a man anywhere who was so ready to tell you so. He had the grigs and the hives and the "
            "glaives of his father and his grandfather, and he set them in the lodes by a kind of instinct "
            "that he could not have explained and did not try to; and every Friday he carried his catch to "
            "Ely market in two wet rush baskets, and came home with his pockets full and his temper sweet.",
            "It was at the Five Alls, on a Friday night in the October of the wet year, that he made his "
            "wager with Reuben Sallis.",
        ],
        "close": [
            "Hannah Pask, who had held the stakes all that winter in a mustard tin on her dresser, gave the "
            "money back to both of them in the end, sixpence for sixpence, and told them that if either of "
            "them ever wagered on an eel again she would put the pair of them in the lode herself.",
        ],
    },
    {
        "title": "Mistress Tebbutt's Geese", "author": None, "before": 3,
        "A": "Keziah", "B": "Ann Gotobed", "C": "Samuel Dring", "place": "Coldham Drove", "thing": "the geese",
        "size": 10_000,
        "open": [
            "Keziah Tebbutt kept geese on the common at Coldham Drove for forty years, and in all that time "
            "she was never known to lose one, though the common was open on three sides and the fourth was "
            "the river. People said the geese were afraid of her, and that was very likely true; most other "
            "things were.",
        ],
        "close": [
            "She lived to be ninety-one, and on the day of her funeral, so the carrier swore, the whole "
            "flock walked down the drove to the churchyard gate and stood there, in a row, until the "
            "service was over; after which they went home by themselves, and nobody ever drove them again.",
        ],
    },
    {
        "title": "The Drowned Parish", "author": "Harriet Wyndham Lowe", "before": 4,
        "A": "Lettice", "B": "Joseph Askew", "C": "Daniel Rayner", "place": "Saltney", "thing": "the great sluice",
        "size": 70_000,
        "chapters": [
            "The parish of Saltney St. Mary lies so low that in the old maps it is marked only by a church "
            "tower standing in the water, with a fish drawn beside it to show that the map-maker was not "
            "mistaken. The tower is still there. The rest of the parish, which in the year of this story "
            "held a hundred and forty souls, two inns, a smithy, a mill and a great many geese, lies under "
            "a sheet of grey water on every map made since.",
            "The great sluice at Saltney had been built by Dutchmen in the reign of the second Charles, and "
            "it had been mended by Englishmen ever since, which Joseph Askew said was the whole of the "
            "trouble with it.",
            "It rained on the fourteenth of February, and on the fifteenth, and on every day after that until "
            "the end of the month, not hard, but steadily, as if it had settled down to a long piece of work "
            "and meant to see it through.",
            "The bank went a little after two o'clock in the morning of the third of March, at the bend below "
            "Rayner's farm, where the old river had once run before the Dutchmen straightened it.",
            "For eleven days the people of Saltney lived in the church tower, in the loft of the mill, and in "
            "the upper rooms of the Anchor inn, which stood on a little rise of gravel and was the last "
            "building in the parish to go under.",
            "The water did not go down that spring, nor that summer, nor ever; and in the autumn the "
            "commissioners came from Cambridge in a boat, and rowed twice round the church tower, and went "
            "away and wrote in their book that the parish of Saltney St. Mary was drowned.",
        ],
        "illustrations": {1: "[Illustration: THE SLUICE-GATES AT SALTNEY.]",
                          3: "[Illustration: \"THE TOWER STOOD UP OUT OF THE WATER.\"]"},
        "breaks_in": [2, 4],
        "close": [
            "Lettice Morling lived to a great age in the new village on the hill, and when the children "
            "asked her what it had been like, she would take them to the window and show them the top of "
            "the tower, black against the evening water, and tell them that the bells were still in it, and "
            "that on a still night, if they listened hard enough, they might hear them ring.",
            "They never did; but they always listened.",
        ],
    },
    {
        "title": "The Ballad-Seller", "author": "Thomas Quarrie", "before": 3,
        "A": "Nathaniel", "B": "Susan Bowyer", "C": "Amos Flack", "place": "Wenham Hythe", "thing": "the broadsheets",
        "size": 20_000,
        "open": [
            "Every year, on the Monday after Whitsun, a man came to Wenham Hythe fair with a pole over his "
            "shoulder, and on the pole, pinned by their corners like washing on a line, were two hundred "
            "songs. He was a long, thin, sorrowful man with a voice like a rusty gate, and his name, so far "
            "as anybody knew, was Nathaniel Goodliff.",
        ],
        "verses": [
            ("He would stand on the steps of the market cross, with his pole propped against the pillar, and "
             "sing every new song through once, very loud, so that people should know what "
             "they were buying; and that year the new song was about the breaking of the bank at Saltney, and "
             "it went like this:",
             [["Oh, the water came by Saltney Fen,", "And the water came by Sedge,",
               "And it took the ricks of honest men,", "But it left the miser's hedge."],
              ["The reeve he rode along the bank,", "The parson rang the bell,",
               "But the bank it bowed, and the bank it sank,", "And the parish went to--well,"],
              ["We'll not say where the parish went,", "For there's ladies in the room;",
               "But the reeve came home without his rent,", "And the miser rode his broom."]]),
            ("It was the next year that he made the song about Amos Flack, and sang it, most unwisely, on "
             "the very steps where Amos Flack was standing, so that the whole fair heard the first two "
             "verses before anybody thought to stop him:",
             [["Oh, Amos Flack's a careful man,", "He counts his buttons twice;",
               "He'd take the farthing from the can", "And the candle from the mice."],
              ["But the night he came to Wenham Hythe", "To take the singing man,",
               "The fair went round him like a scythe,", "And the singing man--he ran."]]),
        ],
        "close": [
            "Nobody at Wenham Hythe ever saw Nathaniel Goodliff again, though for years afterwards his songs "
            "turned up at fairs all over the fen country, on the poles of other men, with the words a little "
            "changed and his name nowhere on them; which Susan Bowyer said was the only kind of fame worth "
            "having, and the only kind he would have wanted.",
        ],
    },
    {
        "title": "A Lantern in the Reeds", "author": None, "before": 4,
        "A": "Thirza", "B": "Ezra Jakes", "C": "Billy Gotts", "place": "Burnt Fen Corner", "thing": "the lantern",
        "size": 16_000, "breaks": 2,
        "open": [
            "On winter nights, when the mist lies thick on Burnt Fen, a light is sometimes seen moving among "
            "the reeds beyond the last dyke, low down, about the height a lantern would be if a man were "
            "carrying it; and the old people at Burnt Fen Corner will tell you that it is Thirza Leggett, "
            "still looking for her brother.",
        ],
        "close": [
            "So if you should see the light on Burnt Fen, do not follow it, and do not be afraid of it either. "
            "Stand still, and lift your own lantern so that it can see you, and after a while it will go on "
            "its way; for it is only somebody who was lost once, making sure that nobody else is.",
        ],
    },
    {
        "title": "The Last Skating Match", "author": "Ambrose Fell", "before": 4,
        "A": "Gideon", "B": "Lucy Bunting", "C": "Hezekiah Moat", "place": "Mardle Wash", "thing": "the skates",
        "size": 13_000,
        "open": [
            "The great frost of that winter came in on the night after Christmas, and by New Year's Day the "
            "wash between Mardle Drove and the Ninety-foot bank was one sheet of black ice, eleven miles "
            "long and as smooth as a table-top.",
            "Gideon Bunting was sixty-three that year, and had not raced for twenty; but when the notices "
            "went up for a match on the wash, with a prize of a leg of mutton and five pounds in gold, he "
            "went out to the shed and took down his skates from the nail where they had hung since his wife "
            "died.",
        ],
        "close": [
            "He never raced again. But the skates went back on their nail in the shed, oiled and wrapped in "
            "a flannel, and they are there still, for all I know, waiting for the next great frost and for "
            "somebody with the legs and the wind and the foolishness to take them down.",
        ],
    },
]

# --------------------------------------------------------------------------- front and back matter

HEADER = f"""The Project Gutenberg EBook of {BOOK}, by Various

This eBook is for the use of anyone anywhere at no cost and with
almost no restrictions whatsoever.  You may copy it, give it away or
re-use it under the terms of the Project Gutenberg License included
with this eBook or online at www.gutenberg.org


Title: {BOOK}

Author: Various

Editor: Harriet Wyndham Lowe

Release Date: April 11, 2010 [EBook #{EBOOK_NO}]

Language: English

Character set encoding: ASCII

*** START OF THIS PROJECT GUTENBERG EBOOK STORIES OF THE FEN COUNTRY ***




Produced by Malcolm Treadgold, Irene Vasquez-Pell and the Online
Distributed Proofreading Team at http://www.pgdp.net






                       STORIES OF THE FEN COUNTRY

                            BY VARIOUS HANDS

                    COLLECTED AND EDITED BY H. W. LOWE


                             [Illustration]


                                 LONDON
                       WARWICK, BLAND AND COMPANY
                           14 PATERNOSTER ROW
                                  1894





                                   TO
                             MY FATHER, WHO
                      SKATED FROM ELY TO CAMBRIDGE
                            IN THE GREAT FROST
"""

BACK = f"""



               PRINTED BY BLAND AND SONS, LIMITED, NORWICH.




Transcriber's Note:

Obvious printer's errors have been corrected silently. Inconsistent
hyphenation (fen-land and fenland, dyke-reeve and dykereeve) has been
left as it stands in the original.




End of the Project Gutenberg EBook of {BOOK}, by Various

*** END OF THIS PROJECT GUTENBERG EBOOK STORIES OF THE FEN COUNTRY ***

***** This file should be named {EBOOK_NO}.txt or {EBOOK_NO}.zip *****
This and all associated files of various formats will be found in:
        http://www.gutenberg.org/{'/'.join(EBOOK_NO[:-1])}/{EBOOK_NO}/

Produced by Malcolm Treadgold, Irene Vasquez-Pell and the Online
Distributed Proofreading Team at http://www.pgdp.net


Updated editions will replace the previous one--the old editions
will be renamed.

Creating the works from public domain print editions means that no
one owns a United States copyright in these works, so the Foundation
(and you!) can copy and distribute it in the United States without
permission and without paying copyright royalties.  Special rules,
set forth in the General Terms of Use part of this license, apply to
copying and distributing Project Gutenberg-tm electronic works to
protect the PROJECT GUTENBERG-tm concept and trademark.



*** START: FULL LICENSE ***

THE FULL PROJECT GUTENBERG LICENSE
PLEASE READ THIS BEFORE YOU DISTRIBUTE OR USE THIS WORK

[This footer is a shortened paraphrase of the licence, written for a
test corpus.]

Section 1.  General Terms of Use and Redistributing Project Gutenberg-tm
electronic works

1.A.  By reading or using any part of this electronic work, you show
that you have read and accept the terms of this license.  If you do
not agree to them, you must stop using the work and destroy any copies
you hold.

1.B.  "Project Gutenberg" is a registered trademark.  It may only be
used on or associated with an electronic work by people who agree to
be bound by the terms of this agreement.

1.C.  The Project Gutenberg Literary Archive Foundation owns a
compilation copyright in the collection, but not in the individual
public domain works in it.

Section 2.  Information about the Mission of Project Gutenberg-tm

Project Gutenberg-tm is synonymous with the free distribution of
electronic works in formats readable by the widest variety of
computers, and it exists because of the efforts of hundreds of
volunteers and donations from people in all walks of life.

Section 3.  Information about the Project Gutenberg Literary Archive
Foundation

The Foundation is a non profit educational corporation.  Its
business office and contact information can be found on its web site.

Section 4.  Information about Donations to the Project Gutenberg
Literary Archive Foundation

The Foundation depends upon and cannot survive without wide spread
public support and donations.  Please check its web site for current
donation methods and addresses.

Section 5.  General Information About Project Gutenberg-tm electronic
works.

Most eBooks are produced from several printed editions, none of which
is necessarily kept in a particular paper edition.  The web site
describes how to help produce new eBooks, and how to subscribe to an
email newsletter to hear about new eBooks.
"""

# --------------------------------------------------------------------------- composition


def fill(template: str, s: dict) -> str:
    return template.format(A=s["A"], B=s["B"], C=s["C"], place=s["place"], thing=s["thing"])


def speaker(s: dict, rng: random.Random) -> str:
    return rng.choice([s["A"], s["B"], s["C"]])


def dialogue(s: dict, rng: random.Random) -> str:
    u1, u2 = rng.sample(UTTERANCES, 2)
    tag = rng.choice(TAGS).format(X=speaker(s, rng))
    r = rng.random()
    if r < 0.35:
        return f'"{u1}," {tag}. "{u2}."'
    text = f'"{u1}," {tag}.'
    if r < 0.7:
        text += " " + fill(rng.choice(NARRATIVE), s)
    return text


def narrative(s: dict, rng: random.Random) -> str:
    return " ".join(fill(t, s) for t in rng.sample(NARRATIVE, rng.randint(2, 5)))


def description(s: dict, rng: random.Random) -> str:
    parts = rng.sample(DESCRIPTION, rng.randint(1, 2)) + rng.sample(NARRATIVE, rng.randint(0, 2))
    return " ".join(fill(t, s) for t in parts)


def body(s: dict, rng: random.Random, size: int, seen: set) -> list[tuple[str, object]]:
    """Generated paragraphs adding up to about `size` characters."""
    out, total = [], 0
    while total < size:
        r = rng.random()
        p = dialogue(s, rng) if r < 0.35 else description(s, rng) if r < 0.55 else narrative(s, rng)
        if p in seen:
            continue
        seen.add(p)
        out.append(("para", p))
        total += len(p) + 2
    return out


def compose() -> list[dict]:
    """The intended structure: every story with its blocks, in order."""
    rng = random.Random(SEED)
    seen: set = set()
    stories = []
    for s in STORIES:
        blocks: list[tuple[str, object]] = []
        if "chapters" in s:
            per = s["size"] // len(s["chapters"])
            numerals = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
            for i, first in enumerate(s["chapters"]):
                blocks.append(("heading", f"CHAPTER {numerals[i]}."))
                blocks.append(("para", first))
                chunk = body(s, rng, per - len(first), seen)
                if i in s.get("illustrations", {}):
                    chunk.insert(len(chunk) // 3, ("illustration", s["illustrations"][i]))
                if i in s.get("breaks_in", []):
                    chunk.insert(len(chunk) // 2, ("break", None))
                blocks += chunk
        else:
            blocks += [("para", p) for p in s["open"]]
            chunk = body(s, rng, s["size"] - sum(map(len, s["open"] + s["close"])), seen)
            if "verses" in s:
                n = len(s["verses"])
                for k, (lead, stanzas) in reversed(list(enumerate(s["verses"]))):
                    at = len(chunk) * (k + 1) // (n + 1)
                    chunk[at:at] = [("para", lead)] + [("verse", st) for st in stanzas]
            for k in range(s.get("breaks", 0)):
                chunk.insert(len(chunk) * (k + 1) // (s["breaks"] + 1) + k, ("break", None))
            blocks += chunk
        blocks += [("para", p) for p in s["close"]]
        stories.append({**s, "blocks": blocks})
    return stories


def wrap(p: str) -> list[str]:
    return textwrap.wrap(p, WIDTH, break_long_words=False, break_on_hyphens=False)


def render(stories: list[dict]) -> tuple[str, dict]:
    lines = HEADER.rstrip("\n").split("\n")
    spans = {}
    for s in stories:
        lines += [""] * s["before"]
        first = len(lines) + 1
        lines.append(s["title"])
        if s["author"]:
            lines += ["", f"By {s['author']}"]
        lines += ["", "", ""]
        prev = None
        for kind, value in s["blocks"]:
            if kind == "heading":
                if prev is not None:
                    lines += [""]
                lines += [value, ""]
            elif kind == "para":
                lines += wrap(value) + [""]
            elif kind == "verse":
                lines += [("    " if i % 2 == 0 else "      ") + v for i, v in enumerate(value)] + [""]
            elif kind == "break":
                lines += [SCENE_BREAK, ""]
            elif kind == "illustration":
                lines += [value, ""]
            prev = kind
        while lines[-1] == "":
            lines.pop()
        spans[s["title"]] = (first, len(lines))
    lines += BACK.rstrip("\n").split("\n")
    return "\n".join(lines) + "\n", spans


def words_at(text: str, n: int, end: bool) -> str:
    w = text.split()
    return " ".join(w[-n:] if end else w[:n])


def gold_entries(stories: list[dict], spans: dict) -> dict:
    entries = []
    for s in stories:
        paras = [v for k, v in s["blocks"] if k == "para"]
        dialogue_starts = []
        for p in paras:
            if p.startswith('"'):
                start = " ".join(p[1:].split()[:6])
                if start not in dialogue_starts:
                    dialogue_starts.append(start)
        verse_starts = [v[0] for k, v in s["blocks"] if k == "verse"]
        entry = {
            "file": FILENAME,
            "title": s["title"],
            "first_words": words_at(paras[0], 10, False),
            "last_words": words_at(paras[-1], 10, True),
            "headings": [v for k, v in s["blocks"] if k == "heading"],
            "quotes": [],
            "quotes_ok": verse_starts + dialogue_starts,
            "list_items": [],
            "byline": {"name": s["author"], "role": None} if s["author"] else None,
            "paragraphs": sum(k in ("para", "verse") for k, _ in s["blocks"]),
        }
        entries.append(entry)
    first_line = spans[stories[0]["title"]][0]
    last_line = spans[stories[-1]["title"]][1]
    return {"stories": entries, "preserve_lines": {FILENAME: [first_line, last_line]}}


def main(argv: list[str]) -> int:
    stories = compose()
    text, spans = render(stories)
    if "--gold" in argv:
        print(json.dumps(gold_entries(stories, spans), ensure_ascii=False, indent=1))
    elif "--blocks" in argv:
        print(json.dumps([{"title": s["title"], "author": s["author"], "span": spans[s["title"]],
                           "blocks": s["blocks"]} for s in stories], ensure_ascii=False))
    else:
        OUTFILE.write_bytes(text.encode("ascii"))
        print(f"wrote {OUTFILE} ({len(text.encode('ascii'))} bytes)")
        for title, (a, b) in spans.items():
            print(f"  {a:>6}-{b:<6} {title}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
