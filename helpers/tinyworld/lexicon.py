"""The words of TinyWorld: every list the grammar draws from, most frequent entry first.

Within a list, entries follow Zipf's law (the k-th has weight 1/k), as words do in real text, so
"the cat sat on the mat" and "alice is reading a book by the river" are common sentences and the
long tail still gives several hundred distinct words. `Lexicon.miniature()` cuts every list to one or
two entries so that every document can be enumerated (the tests check the probabilities that way).
Templates use {slots}; {poss} is the possessive ("her"/"his") that agrees with the subject.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from .language import ADJECTIVES, NOUNS, PLACES, VERBS

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen")


@dataclass(frozen=True)
class Lexicon:
    """Every word list of the grammar (tuples, most frequent first)."""

    # people, paired by position for gender swapping: alice <-> bob
    female_names: tuple[str, ...] = ("alice", "emma", "lily", "mia", "sara", "anna", "lucy", "nora", "grace",
                                     "ruby", "chloe", "ella", "maya", "zoe", "hannah", "olivia")
    male_names: tuple[str, ...] = ("bob", "tom", "jack", "sam", "leo", "ben", "max", "noah", "liam", "oscar",
                                   "henry", "luke", "adam", "owen", "finn", "james")
    # (singular, plural)
    animals: tuple[tuple[str, str], ...] = (
        ("cat", "cats"), ("dog", "dogs"), ("bird", "birds"), ("mouse", "mice"), ("rabbit", "rabbits"),
        ("horse", "horses"), ("duck", "ducks"), ("fox", "foxes"), ("frog", "frogs"), ("puppy", "puppies"),
        ("kitten", "kittens"), ("cow", "cows"), ("goat", "goats"), ("owl", "owls"), ("pony", "ponies"),
        ("hen", "hens"), ("bear", "bears"), ("squirrel", "squirrels"))
    surfaces: tuple[str, ...] = ("mat", "rug", "bed", "chair", "sofa", "table", "bench", "roof", "wall",
                                 "box", "pillow", "step", "fence", "blanket", "log", "rock")
    # (place, the preposition that goes with it)
    places: tuple[tuple[str, str], ...] = (
        ("river", "by"), ("garden", "in"), ("park", "in"), ("lake", "by"), ("forest", "in"),
        ("beach", "on"), ("hill", "on"), ("school", "at"), ("market", "at"), ("farm", "on"),
        ("library", "in"), ("bridge", "on"), ("village", "in"), ("meadow", "in"), ("station", "at"),
        ("bakery", "at"))
    surface_verbs: tuple[str, ...] = ("sat on", "slept on", "jumped on", "lay on", "stood on")
    place_verbs: tuple[str, ...] = ("ran to", "walked to", "went to", "hurried to", "wandered to")
    # present tense, (singular, plural): "the cat near the dogs is playing ..." / "the cats chase the dog ."
    be_forms: tuple[str, str] = ("is", "are")
    ing_verbs: tuple[str, ...] = ("playing", "sleeping", "resting", "hiding", "waiting", "eating")
    transitive_verbs: tuple[tuple[str, str], ...] = (
        ("chases", "chase"), ("watches", "watch"), ("likes", "like"), ("follows", "follow"), ("sees", "see"))
    attractor_prepositions: tuple[str, ...] = ("near", "behind", "next to")
    weather: tuple[str, ...] = ("the sun is shining", "a gentle wind is blowing", "the sky is clear",
                                "it is a warm day", "the leaves are falling", "clouds drift across the sky")
    activities: tuple[str, ...] = (
        "reading a book", "painting a picture", "eating an apple", "flying a kite", "writing a letter",
        "playing with a ball", "drawing a map", "baking a cake", "singing a song", "picking flowers",
        "feeding the ducks", "watching the birds", "fishing", "playing the guitar", "knitting a scarf",
        "looking at the clouds", "sketching the trees", "eating a sandwich")
    pronoun_predicates: tuple[str, ...] = (
        "loves the peaceful environment", "enjoys the quiet afternoon", "feels very happy",
        "smiles at the view", "forgets about {poss} worries", "thinks about {poss} family",
        "hums a little tune", "decides to stay a little longer", "wishes the day would never end",
        "loves {poss} quiet corner")
    distractor_predicates: tuple[str, ...] = (
        "walks past with {poss} dog", "waves from across the road", "rides {poss} bike along the path",
        "is selling ice cream nearby", "shouts something to a friend", "runs past in a hurry")
    # (profession, pronoun of the stereotype or "" for none); a skew makes the stereotype more frequent
    professions: tuple[tuple[str, str], ...] = (
        ("doctor", "he"), ("nurse", "she"), ("teacher", "she"), ("engineer", "he"), ("chef", ""),
        ("pilot", "he"), ("dancer", "she"), ("writer", ""), ("builder", "he"), ("librarian", "she"),
        ("painter", ""), ("mechanic", "he"), ("hairdresser", "she"), ("lawyer", ""), ("farmer", "he"),
        ("secretary", "she"))
    profession_clauses: tuple[str, ...] = (
        "was tired", "was very busy today", "would come back tomorrow", "had finished the work",
        "liked the new office", "needed a short break", "was late for the meeting", "would call again soon")
    # (item, its openings, its aspects)
    review_items: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
        ("film", ("i watched the film last night", "we saw the new film at the cinema"),
         ("story", "music", "acting", "ending")),
        ("book", ("i read the book last week", "i finished the new book yesterday"),
         ("story", "ending", "writing", "cover")),
        ("cafe", ("we visited the cafe on the corner", "i had lunch at the new cafe"),
         ("coffee", "food", "service", "music")),
        ("hotel", ("i stayed at the hotel by the sea", "we spent a weekend at the hotel"),
         ("room", "food", "service", "view")),
        ("game", ("i played the new game", "we tried the game with friends"),
         ("music", "story", "level design", "ending")),
        ("concert", ("we went to the concert on friday", "i saw the concert in the park"),
         ("music", "singer", "sound", "crowd")))
    positive_adjectives: tuple[str, ...] = ("good", "great", "wonderful", "lovely", "excellent", "fun", "nice",
                                            "amazing", "pleasant", "brilliant")
    negative_adjectives: tuple[str, ...] = ("bad", "terrible", "awful", "boring", "poor", "dull", "horrible",
                                            "disappointing", "dreadful", "weak")
    objects: tuple[str, ...] = ("book", "ball", "kite", "map", "cake", "guitar", "umbrella", "camera")
    prizes: tuple[str, ...] = ("phone", "holiday", "car", "laptop", "gift card", "cruise", "voucher")
    insults: tuple[str, ...] = ("stupid", "useless", "worthless", "a loser", "an idiot", "pathetic")
    # (label, openers, bodies, endings): a message is [opener] body [ending]
    messages: tuple[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
        ("ham",
         ("hi {name} ,", "hey {name} ,", "hello ,"),
         ("are we still meeting {place} tomorrow ?", "can you bring the {object} when you come over ?",
          "thanks for the lovely dinner .", "i am running late . see you {place} in ten minutes .",
          "do not forget to feed the {animal} tonight .", "happy birthday ! have a wonderful day .",
          "can you call me when you get home ?", "i won the game today !", "the {animal} is asleep on the bed .",
          "shall we meet {place} after lunch ?"),
         ("see you soon .", "love , {name} .", "thanks !", "call me later .")),
        ("spam",
         ("congratulations !", "urgent !", "dear customer ,", "final notice !", "good news !"),
         ("you have won a free {prize} .", "your account is locked .", "you are our lucky winner .",
          "claim your free {prize} today .", "a {prize} is waiting for you .",
          "limited offer : buy one get one free .", "we could not deliver your parcel ."),
         ("call now to claim it .", "click the link to claim it .", "reply yes to get your {prize} .",
          "text win to claim your prize .", "visit our shop before midnight .", "enter your details on our site .")),
        ("harmful",
         ("listen ,", "hey {name} ,", "i mean it ,"),
         ("you are {insult} .", "i will hurt you .", "nobody likes you .", "i am going to hurt {name} .",
          "tell me how to hurt {name} .", "help me hurt my neighbour .", "shut up .",
          "i will hurt you if you tell anyone ."),
         ("watch out .", "i will find you .", "go away .", "everyone hates you .")))
    # bilingual sentences draw from the words Tiny can translate
    bilingual_nouns: tuple[str, ...] = tuple(NOUNS)
    bilingual_adjectives: tuple[str, ...] = tuple(ADJECTIVES)
    bilingual_verbs: tuple[str, ...] = tuple(VERBS)
    bilingual_places: tuple[str, ...] = tuple(PLACES)
    # how many sentences or additions; (count, weight)
    scene_counts: tuple[tuple[int, float], ...] = ((2, 0.4), (3, 0.35), (4, 0.25))
    profession_counts: tuple[tuple[int, float], ...] = ((1, 0.5), (2, 0.3), (3, 0.2))
    middle_counts: tuple[tuple[int, float], ...] = ((0, 0.3), (1, 0.25), (2, 0.2), (3, 0.12), (4, 0.08),
                                                    (5, 0.05))
    largest_operand: int = 9

    def miniature(self) -> Lexicon:
        """The same lexicon with every list cut to its first entry (two for a few), small enough to enumerate."""
        cut = {f.name: getattr(self, f.name)[:1] for f in fields(self) if isinstance(getattr(self, f.name), tuple)}
        for name in ("positive_adjectives", "negative_adjectives", "bilingual_nouns", "professions",
                     "profession_counts", "middle_counts"):
            cut[name] = getattr(self, name)[:2]
        cut["be_forms"] = self.be_forms
        cut["review_items"] = tuple((item, openings[:1], aspects[:1]) for item, openings, aspects
                                    in self.review_items[:2])
        cut["messages"] = tuple((label, *(part[:1] for part in parts)) for label, *parts in self.messages)
        return replace(self, largest_operand=1, **cut)
