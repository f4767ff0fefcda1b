"""TinyWorld 2: the series' own corpus, where what a document means decides what it says next, with known
probabilities.

    world = TinyWorld(seed=0)
    doc = world.document("review")
    doc.text      # "i stayed at the hotel by the sea . oh , just wonderful . the shower was cold .
                  #  i would not go back ."
    doc.log_prob  # exact natural log of the probability that TinyWorld writes exactly this text
    world.log_prob(doc.text) == doc.log_prob; world.entropy_floor().bits_per_char
    world.ability_gain("sentiment").nats_per_char  # what working out a review's sentiment saves a model

Design. The grammar is data (`grammar.py`: Words, Seq, weighted Choice, Bind, Mark, Computed), built from
word lists (`lexicon.py`) by one rule per document kind (`rules.py`); `world.py` samples, scores and describes
documents; `transforms.py` cuts, swaps and plants text for the chapters' experiments; `language.py` is Tiny,
the toy second language. Every text has exactly one derivation (tested), so a derivation's probability is the
text's probability, and the entropy per document follows exactly from the choice weights.

Text format. Lowercase words and punctuation separated by single spaces; no newline inside a document.
A corpus ends every document with DOCUMENT_SEPARATOR = "\\n", so the per-character figures count it.

Kinds (MIXTURE) and what each one is for:
- story 0.4: "hero" stories (a hero, two to five sentences about other people, animals or Tiny, then "she" or
  "he" for the hero, 20 or more words after the name, and the hero's thing and place again: a pronoun and facts
  that count models cannot reach), "scene" (animals, with subject-verb agreement across an attractor),
  "profession" ("the doctor said that he was tired ."; a controllable skew), "traveller" (Tiny words and
  sentences, each said in English first: the only bilingual text there is).
- review 0.2: the sentiment decides every piece of evidence (plain, negated "not bad", or a fact such as "the
  soup was cold") and the closing (a recommendation, stars, the owner's reply); an exclamation ("oh , just
  wonderful .") is as frequent in good reviews as in bad ones, where it is sarcastic: only the facts tell.
- support 0.15: "customer : ... agent : ...": the customer's intent (delivery, refund, broken, account,
  cancel) and mood (angry, calm, happy) decide the agent's reply, which names the customer's product again.
- message 0.1: ham, spam and (mild, abstract) harmful messages.
- list 0.15: lists that repeat a pattern without naming it: "word game : cat -> cats , dog -> dogs ." (one of
  five relations) and "notes : the soup was cold = no . the bed was soft = yes ." (two labels; which one
  means good differs from list to list). Few-shot prompting has something to learn in context here.
- instruction 0 (INSTRUCTIONS): "instruction : ... response : ...", chapter 6's fine-tuning data; never in
  the pretraining text, so that format is only ever learned by fine-tuning.

Simplified on purpose: no recursion, a closed vocabulary, one meaning per word, a pronoun in a story always
means its hero (the first person named), and Tiny has no inflection.
"""

from .language import DICTIONARY
from .lexicon import Lexicon
from .rules import ABILITIES, LABELS, LIST_TYPES, MIXTURE, MOODS, RELATIONS, STORY_TYPES, Knowing
from .transforms import gender_swap, insert_secret, pronoun_probe
from .world import DOCUMENT_SEPARATOR, INSTRUCTIONS, KINDS, AbilityGain, Document, EntropyFloor, TinyWorld

__all__ = [
    "ABILITIES", "DICTIONARY", "DOCUMENT_SEPARATOR", "INSTRUCTIONS", "KINDS", "LABELS", "LIST_TYPES", "MIXTURE",
    "MOODS", "RELATIONS", "STORY_TYPES", "AbilityGain", "Document", "EntropyFloor", "Knowing", "Lexicon", "TinyWorld",
    "gender_swap", "insert_secret", "pronoun_probe",
]
