"""TinyWorld: the series' own corpus, short English documents about a small world, with known probabilities.

    world = TinyWorld(seed=0)
    doc = world.document("story", story_type="pronoun")
    doc.text      # "alice is reading a book by the river . bob waves from across the road . she loves ..."
    doc.log_prob  # exact natural log of the probability that TinyWorld writes exactly this text
    world.log_prob(doc.text) == doc.log_prob; world.entropy_floor().bits_per_char

Design. The grammar is data (`grammar.py`: Words, Seq, weighted Choice, Bind, Mark, Computed), built
from word lists (`lexicon.py`) by one rule per document kind (`rules.py`); `world.py` samples, scores
and describes documents; `transforms.py` turns TinyWorld text into what a chapter needs (a pronoun
probe, a gender swap, a planted secret, a translation); `language.py` is the toy language. Sampling,
parsing (`log_prob`, `is_valid`, `parse`) and enumeration all read the same grammar. Every text has exactly
one derivation (tested), so a derivation's probability is the text's probability, and the entropy per
document follows exactly from the choice weights.

Text format. Lowercase words and punctuation separated by single spaces ("the cat sat on the mat .");
no newline inside a document. A corpus ends every document with DOCUMENT_SEPARATOR = "\\n", so the
per-character figures count it: bits_per_char = nats_per_document / ln 2 / E[len(text) + 1].

Kinds, the default mixture (MIXTURE, part of the known probability) and their fields:
- story 0.4: story_type "pronoun" 0.45 (a hero, at least one distractor of the other gender, then
  "she"/"he" meaning the hero; fields antecedent, pronoun, distractors with their token indices and
  character offsets, gender), "simple_pronoun" 0.05 (the same without distractors: "alice is reading a
  book by the river . she loves the peaceful environment ."), "scene" 0.3 (animals, objects, places:
  "the cat sat on the mat .", "the cat near the dogs is ..."), "profession" 0.2 ("the doctor said that he
  was tired ."; field profession_pronouns). label None.
- review 0.15: label "positive"/"negative"; 40% of verdicts are negated ("it was not bad ." is positive);
  fields item, negated.
- message 0.15: label "ham" 0.5, "spam" 0.3, "harmful" 0.2 (mild, abstract: "you are stupid .",
  "i will hurt you .").
- bilingual 0.1: "english : <sentence> tiny : <translation>"; fields english, tiny. label None.
- instruction 0.1: "instruction : ... response : ..."; label is the task "translate", "sentiment",
  "question" (about a two-person story) or "addition"; fields instruction, response, prompt (the text up
  to and including "response :").
- fact 0.1: "three plus four is seven .": operands zero to nine and sums up to eighteen, written as
  words; fields a, b, sum (ints), prompt ("three plus four is"), answer ("seven"). label None.

Simplified on purpose: no recursion (sentence counts are bounded), a closed vocabulary of about 540
words, one meaning per word, a pronoun always refers to its story's hero (the only person of that
gender before it), and the toy language Tiny has no inflection.
"""

from .lexicon import NUMBER_WORDS, Lexicon
from .rules import LABELS, MIXTURE, STORY_TYPES
from .transforms import gender_swap, insert_secret, pronoun_probe, translate_to_tinyworld_language
from .world import DOCUMENT_SEPARATOR, KINDS, Document, EntropyFloor, TinyWorld

__all__ = [
    "DOCUMENT_SEPARATOR", "KINDS", "LABELS", "MIXTURE", "NUMBER_WORDS", "STORY_TYPES", "Document",
    "EntropyFloor", "Lexicon", "TinyWorld", "gender_swap", "insert_secret", "pronoun_probe",
    "translate_to_tinyworld_language",
]
