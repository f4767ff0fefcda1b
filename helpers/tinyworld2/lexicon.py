"""The words of TinyWorld: every list the grammar draws from, most frequent entry first.

Within a list, entries follow Zipf's law (the k-th has weight 1/k), as words do in real text. Lists that
carry a meaning the world depends on come in pairs: names by gender (paired for gender swapping), review
evidence by sentiment, support messages by intent and by mood. `Lexicon.miniature()` cuts every list to
one or two entries so that every document can be enumerated (the tests check the probabilities that way).
Templates use {slots}: {poss} is the possessive ("her"/"his") that agrees with the subject, {item} the
product a customer writes about.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from .language import ADJECTIVES, NOUNS, PLACES, VERBS


@dataclass(frozen=True)
class Lexicon:
    """Every word list of the grammar (tuples, most frequent first)."""

    # ----- people, paired by position for gender swapping: alice <-> bob
    female_names: tuple[str, ...] = ("alice", "emma", "lily", "mia", "sara", "anna", "lucy", "nora", "grace",
                                     "ruby", "chloe", "ella", "maya", "zoe", "hannah", "olivia")
    male_names: tuple[str, ...] = ("bob", "tom", "jack", "sam", "leo", "ben", "max", "noah", "liam", "oscar",
                                   "henry", "luke", "adam", "owen", "finn", "james")

    # ----- scenes: animals, things and places
    animals: tuple[tuple[str, str], ...] = (  # (singular, plural)
        ("cat", "cats"), ("dog", "dogs"), ("bird", "birds"), ("mouse", "mice"), ("rabbit", "rabbits"),
        ("horse", "horses"), ("duck", "ducks"), ("fox", "foxes"), ("frog", "frogs"), ("puppy", "puppies"),
        ("kitten", "kittens"), ("cow", "cows"), ("goat", "goats"), ("owl", "owls"), ("pony", "ponies"),
        ("hen", "hens"), ("bear", "bears"), ("squirrel", "squirrels"))
    surfaces: tuple[str, ...] = ("mat", "rug", "bed", "chair", "sofa", "table", "bench", "roof", "wall",
                                 "box", "pillow", "step", "fence", "blanket", "log", "rock")
    places: tuple[tuple[str, str], ...] = (  # (place, the preposition that goes with it)
        ("river", "by"), ("garden", "in"), ("park", "in"), ("lake", "by"), ("forest", "in"),
        ("beach", "on"), ("hill", "on"), ("school", "at"), ("market", "at"), ("farm", "on"),
        ("library", "in"), ("bridge", "on"), ("village", "in"), ("meadow", "in"), ("station", "at"),
        ("bakery", "at"))
    surface_verbs: tuple[str, ...] = ("sat on", "slept on", "jumped on", "lay on", "stood on")
    place_verbs: tuple[str, ...] = ("ran to", "walked to", "went to", "hurried to", "wandered to")
    be_forms: tuple[str, str] = ("is", "are")  # present tense, (singular, plural)
    ing_verbs: tuple[str, ...] = ("playing", "sleeping", "resting", "hiding", "waiting", "eating")
    transitive_verbs: tuple[tuple[str, str], ...] = (
        ("chases", "chase"), ("watches", "watch"), ("likes", "like"), ("follows", "follow"), ("sees", "see"))
    attractor_prepositions: tuple[str, ...] = ("near", "behind", "next to")
    weather: tuple[str, ...] = ("the sun is shining", "a gentle wind is blowing", "the sky is clear",
                                "it is a warm day", "the leaves are falling", "clouds drift across the sky")

    # ----- stories: a hero doing something somewhere, other people, and the hero again much later
    activities: tuple[tuple[str, str], ...] = (  # (what someone is doing, the thing they do it with)
        ("reading a", "book"), ("flying a", "kite"), ("painting a", "picture"), ("eating an", "apple"),
        ("writing a", "letter"), ("playing with a", "ball"), ("drawing a", "map"), ("baking a", "cake"),
        ("carrying a", "basket"), ("holding an", "umbrella"), ("playing a", "guitar"), ("knitting a", "scarf"),
        ("fixing a", "bike"), ("eating a", "sandwich"), ("pushing a", "cart"), ("watching a", "film"))
    pronoun_predicates: tuple[str, ...] = (
        "loves the peaceful place", "enjoys the quiet afternoon", "feels very happy", "smiles at the view",
        "forgets about {poss} worries", "thinks about {poss} family", "hums a little tune",
        "decides to stay a little longer", "wishes the day would never end", "loves {poss} quiet corner")
    # the hero's thing and place again, twenty and more words later: "later , she takes the kite home from the park ."
    callbacks: tuple[str, ...] = (
        "later , {pron} takes the {object} home from the {place}", "at sunset , {pron} leaves the {place} with "
        "{poss} {object}", "before {pron} goes home , {pron} puts the {object} down by the {place}")
    other_predicates: tuple[str, ...] = (
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

    # ----- Tiny, met on the way: a sentence said in English and then in Tiny, or a Tiny word glossed in English
    # many ways of putting a sentence beside its translation, so that a model can learn what they share; none is
    # '" ... " in tiny is " ... "', the format chapter 7 asks in
    translation_frames: tuple[str, ...] = (
        '{name} says " {english} " , and in tiny that is " {tiny} "',
        'a sign {place} says " {english} " , and under it " {tiny} "',
        '{name} teaches a friend to say " {english} " in tiny : " {tiny} "',
        '{name} says " {english} " , which in tiny sounds like " {tiny} "',
        '" {english} " , {name} says , and then in tiny : " {tiny} "',
        '{name} asks how to say " {english} " in tiny , and hears " {tiny} "',
        '{name} translates " {english} " into tiny : " {tiny} "',
        'the tiny for " {english} " is " {tiny} " , {name} explains',
        '{name} reads a note {place} : " {english} " , or in tiny " {tiny} "',
        '{name} writes " {english} " and under it the tiny words " {tiny} "',
        '{name} hears " {english} " and repeats it in tiny , " {tiny} "',
        '" {english} " becomes " {tiny} " when {name} says it in tiny')
    tiny_nouns: tuple[str, ...] = tuple(NOUNS)
    tiny_adjectives: tuple[str, ...] = tuple(ADJECTIVES)
    tiny_verbs: tuple[str, ...] = tuple(VERBS)
    tiny_places: tuple[str, ...] = tuple(PLACES)

    # ----- reviews: (item, its openings, its aspects, good things that happen, bad things that happen)
    review_items: tuple[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
        ("hotel", ("i stayed at the hotel by the sea", "we spent a weekend at the hotel"),
         ("room", "service", "view", "breakfast"),
         ("the bed was soft", "the staff smiled at us", "the breakfast was warm", "the room smelled of flowers"),
         ("the shower was cold", "the room smelled of smoke", "the lift was broken", "the staff ignored us")),
        ("cafe", ("we visited the cafe on the corner", "i had lunch at the new cafe"),
         ("coffee", "food", "service", "music"),
         ("the coffee was hot", "the cake was fresh", "the waiter was quick", "we found a seat at once"),
         ("the soup was cold", "the bread was stale", "we waited an hour", "the waiter forgot our order")),
        ("film", ("i watched the film last night", "we saw the new film at the cinema"),
         ("story", "music", "acting", "ending"),
         ("i laughed the whole time", "the ending made me smile", "the time flew by", "i want to see it again"),
         ("i fell asleep", "we left before the end", "the time dragged on", "i checked my watch all the time")),
        ("book", ("i read the book last week", "i finished the new book yesterday"),
         ("story", "ending", "writing", "cover"),
         ("i could not put it down", "i read it in one night", "i gave it to my sister", "i cried at the end"),
         ("i could not finish it", "i gave up after ten pages", "i forgot it on the train", "i skipped whole pages")),
        ("game", ("i played the new game", "we tried the game with friends"),
         ("music", "story", "levels", "ending"),
         ("we played until midnight", "every level felt new", "the puzzles were clever", "i won on my third try"),
         ("it crashed twice", "every level felt the same", "the puzzles made no sense", "i quit after an hour")),
        ("concert", ("we went to the concert on friday", "i saw the concert in the park"),
         ("music", "singer", "sound", "crowd"),
         ("everyone was dancing", "the singer came back twice", "we sang along", "the sound was clear"),
         ("we could not hear the singer", "the band started late", "half the crowd left",
          "the sound kept cutting out")))
    positive_adjectives: tuple[str, ...] = ("good", "great", "wonderful", "lovely", "excellent", "fun", "nice",
                                            "amazing", "pleasant", "brilliant")
    negative_adjectives: tuple[str, ...] = ("bad", "terrible", "awful", "boring", "poor", "dull", "horrible",
                                            "disappointing", "dreadful", "weak")
    # sincere in a good review, sarcastic in a bad one, and just as frequent in both: only the facts around it tell
    exclamations: tuple[str, ...] = ("what a {adjective} {item}", "oh , just {adjective}",
                                     "well , that was {adjective}")
    exclamation_adjectives: tuple[str, ...] = ("wonderful", "great", "lovely", "perfect", "brilliant")
    recommendations: tuple[tuple[str, str], ...] = (  # (good review, bad review)
        ("i would go back", "i would not go back"), ("i would recommend it", "i would not recommend it"),
        ("i will tell my friends to go", "i will tell my friends to stay away"))
    ratings: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
        (("five stars", "four stars"), ("one star", "two stars")),)
    owner_replies: tuple[tuple[str, str], ...] = (
        ("owner : thank you , we hope to see you again", "owner : we are sorry , we will do better"),
        ("owner : thanks for the kind words", "owner : please accept our apologies"))

    # ----- support conversations: what the customer wants (intent) and how they feel (mood)
    products: tuple[str, ...] = ("lamp", "kettle", "chair", "jacket", "phone case", "blender", "backpack",
                                 "toaster", "desk", "umbrella")
    intents: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (  # (intent, customer asks, agent does)
        ("delivery", ("my {item} has not arrived yet", "i am still waiting for my {item}", "where is my {item} ?"),
         ("your {item} will arrive tomorrow", "i have asked the driver to bring your {item} today")),
        ("refund", ("i want my money back for the {item}", "can i get a refund for the {item} ?",
                    "please return my money for the {item}"),
         ("i have refunded the money for your {item}", "your refund for the {item} is on its way")),
        ("broken", ("my {item} arrived broken", "the {item} does not work", "the {item} stopped working"),
         ("we will send you a new {item} today", "a new {item} is on its way to you")),
        ("account", ("i cannot log in to my account", "i forgot my password", "my account is locked"),
         ("here is a link to reset your password", "i have unlocked your account")),
        ("cancel", ("please cancel my order for the {item}", "i do not want the {item} any more",
                    "can you stop my order for the {item} ?"),
         ("your order for the {item} is cancelled", "i have cancelled the {item} for you")))
    moods: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (  # (mood, customer says, agent answers)
        ("angry", ("i am really angry", "this is the third time i write", "i am not happy at all",
                   "this is a joke"),
         ("i am so sorry for the trouble", "i understand , and i apologise")),
        ("calm", ("no rush", "thanks in advance", "whenever you can"),
         ("thanks for getting in touch", "thank you for writing to us")),
        ("happy", ("i love your shop", "you are always so helpful", "i am not angry at all , just curious"),
         ("thank you for the kind words", "it is a pleasure to help you")))
    greetings: tuple[str, ...] = ("hi", "hello", "good morning")
    agent_farewells: tuple[str, ...] = ("have a nice day", "let me know if you need anything else")

    # ----- messages: (label, openers, bodies, endings); a message is [opener] body [ending]
    objects: tuple[str, ...] = ("book", "ball", "kite", "map", "cake", "guitar", "umbrella", "camera")
    prizes: tuple[str, ...] = ("phone", "holiday", "car", "laptop", "gift card", "cruise", "voucher")
    insults: tuple[str, ...] = ("stupid", "useless", "worthless", "a loser", "an idiot", "pathetic")
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

    # ----- lists that repeat a pattern: one relation per list, shown by its examples only
    opposites: tuple[tuple[str, str], ...] = (
        ("big", "small"), ("old", "young"), ("happy", "sad"), ("hot", "cold"), ("fast", "slow"), ("good", "bad"),
        ("light", "dark"), ("early", "late"), ("full", "empty"), ("loud", "quiet"), ("high", "low"),
        ("open", "shut"))
    animal_sounds: tuple[tuple[str, str], ...] = (
        ("cat", "meow"), ("dog", "woof"), ("cow", "moo"), ("duck", "quack"), ("owl", "hoot"), ("horse", "neigh"),
        ("goat", "bleat"), ("frog", "croak"), ("hen", "cluck"), ("bear", "growl"))
    label_pairs: tuple[tuple[str, str], ...] = (  # the two labels of a list of notes; which is good varies
        ("yes", "no"), ("up", "down"), ("red", "blue"), ("left", "right"), ("one", "two"), ("sun", "moon"))

    # ----- how many; (count, weight)
    scene_counts: tuple[tuple[int, float], ...] = ((2, 0.4), (3, 0.35), (4, 0.25))
    profession_counts: tuple[tuple[int, float], ...] = ((1, 0.5), (2, 0.3), (3, 0.2))
    middle_counts: tuple[tuple[int, float], ...] = ((2, 0.35), (3, 0.3), (4, 0.2), (5, 0.15))
    evidence_counts: tuple[tuple[int, float], ...] = ((1, 0.3), (2, 0.4), (3, 0.3))
    traveller_counts: tuple[tuple[int, float], ...] = ((1, 0.4), (2, 0.35), (3, 0.25))
    pair_counts: tuple[tuple[int, float], ...] = ((3, 0.2), (4, 0.3), (5, 0.3), (6, 0.2))

    def miniature(self) -> Lexicon:
        """The same lexicon with every list cut to its first entry (two for a few), small enough to enumerate."""
        cut = {f.name: getattr(self, f.name)[:1] for f in fields(self) if isinstance(getattr(self, f.name), tuple)}
        for name in ("positive_adjectives", "negative_adjectives", "professions", "profession_counts", "label_pairs"):
            cut[name] = getattr(self, name)[:2]
        cut["pair_counts"], cut["middle_counts"] = ((2, 1.0),), ((1, 1.0),)
        cut["be_forms"] = self.be_forms
        cut["review_items"] = tuple((item, openings[:1], aspects[:1], good[:1], bad[:1])
                                    for item, openings, aspects, good, bad in self.review_items[:1])
        cut["intents"] = tuple((intent, asks[:1], does[:1]) for intent, asks, does in self.intents[:2])
        cut["moods"] = tuple((mood, says[:1], answers[:1]) for mood, says, answers in self.moods[:2])
        cut["messages"] = tuple((label, *(part[:1] for part in parts)) for label, *parts in self.messages)
        cut["recommendations"] = self.recommendations[:1]
        cut["ratings"] = tuple((good[:1], bad[:1]) for good, bad in self.ratings)
        cut["owner_replies"] = self.owner_replies[:1]
        return replace(self, **cut)
