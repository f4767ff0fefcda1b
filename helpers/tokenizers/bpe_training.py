"""Learning byte-pair merges (chapter 5): start from the 256 bytes, repeatedly fuse the most frequent pair.

The text is first cut into chunks with GPT-2's regular expression (words with their leading space,
numbers, punctuation runs, whitespace), so merges never cross a chunk: " the" can become a token,
"the cat" cannot. Special tokens such as "<|endoftext|>" are cut out before that and never learned.

Two trainers that return the same merges:
- `train_merges_textbook`: after each merge, count every pair of the whole text again. Short and
  clear, and slow: each of the thousands of merges rereads the text.
- `train_merges`: count pairs once over the distinct chunks (each weighted by how often it occurs),
  keep an index pair -> chunks holding it, and after a merge recount only the chunks that changed.
  A max-heap with lazy deletion finds the next most frequent pair.

Both pick the most frequent pair and break ties by the smaller pair of ids (tokens made earlier
first), so they agree exactly. A merge never makes bytes that already are a token: a token's bytes,
wherever they stand whole, were merged the same way as where the token was made. So every token's
bytes are distinct, which the encoders need (they look tokens up by their bytes).

Simplified on purpose: no minimum frequency, no limit on token length, single-threaded.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Sequence
from itertools import pairwise

import regex

from helpers.tokenizers.base import check_special_tokens, check_text, split_on_special_tokens

# GPT-2's pre-split: contractions, optional space + letters, optional space + digits, optional space +
# other symbols, whitespace not followed by a non-space (so " word" keeps its space), other whitespace.
GPT2_SPLIT_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

Pair = tuple[int, int]


def pre_split(text: str, special_tokens: Sequence[str] = (), pattern: str = GPT2_SPLIT_PATTERN) -> list[str]:
    """The chunks BPE learns from and encodes separately: special tokens removed, then the regex split."""
    check_text(text)
    splitter = regex.compile(pattern)
    plain = split_on_special_tokens(text, check_special_tokens(special_tokens))[::2]
    return [chunk for part in plain for chunk in splitter.findall(part)]


def merge_pair(ids: list[int], pair: Pair, new_id: int) -> list[int]:
    """Replace every occurrence of `pair` in `ids` (left to right, not overlapping) by `new_id`."""
    merged, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            merged.append(new_id)
            i += 2
        else:
            merged.append(ids[i])
            i += 1
    return merged


def train_merges_textbook(
    text: str, num_merges: int, special_tokens: Sequence[str] = (), pattern: str = GPT2_SPLIT_PATTERN
) -> list[tuple[bytes, bytes]]:
    """Learn merges the plain way, recounting all pairs after each merge (the lesson; slow on big texts)."""
    chunks = [list(chunk.encode("utf-8")) for chunk in pre_split(text, special_tokens, pattern)]
    vocab = [bytes([byte]) for byte in range(256)]  # id -> bytes
    merges: list[Pair] = []
    for _ in range(_check_num_merges(num_merges)):
        counts = Counter(pair for ids in chunks for pair in pairwise(ids))
        if not counts:
            break  # every chunk is a single token: nothing left to merge
        best = min(counts, key=lambda pair: (-counts[pair], pair))  # most frequent; ties: smaller ids
        chunks = [merge_pair(ids, best, len(vocab)) for ids in chunks]
        merges.append(best)
        vocab.append(vocab[best[0]] + vocab[best[1]])
    return [(vocab[left], vocab[right]) for left, right in merges]


def train_merges(
    text: str, num_merges: int, special_tokens: Sequence[str] = (), pattern: str = GPT2_SPLIT_PATTERN
) -> list[tuple[bytes, bytes]]:
    """Learn the same merges as `train_merges_textbook`, updating pair counts only where a merge happened."""
    num_merges = _check_num_merges(num_merges)
    chunk_counts = Counter(pre_split(text, special_tokens, pattern))
    words = [list(chunk.encode("utf-8")) for chunk in chunk_counts]  # distinct chunks as ids
    weights = list(chunk_counts.values())  # how often each occurs
    counts: dict[Pair, int] = defaultdict(int)  # pair -> occurrences in the whole text
    where: dict[Pair, set[int]] = defaultdict(set)  # pair -> indices of the words holding it
    for index, ids in enumerate(words):
        for pair in pairwise(ids):
            counts[pair] += weights[index]
            where[pair].add(index)
    heap = [(-count, pair) for pair, count in counts.items()]  # max-heap by count, then smaller ids
    heapq.heapify(heap)

    vocab = [bytes([byte]) for byte in range(256)]
    merges: list[Pair] = []
    while len(merges) < num_merges and heap:
        negative_count, best = heapq.heappop(heap)
        if counts.get(best, 0) != -negative_count:
            continue  # a stale entry: the pair's count changed after it was pushed
        new_id = len(vocab)
        changed: Counter[Pair] = Counter()
        for index in where.pop(best):
            old, new = words[index], merge_pair(words[index], best, new_id)
            for pair in pairwise(old):
                changed[pair] -= weights[index]
            for pair in pairwise(new):
                changed[pair] += weights[index]
            for pair in set(pairwise(old)) - {best}:
                where[pair].discard(index)
            for pair in pairwise(new):
                where[pair].add(index)
            words[index] = new
        for pair, change in changed.items():
            if change:
                counts[pair] += change
                if counts[pair] > 0:
                    heapq.heappush(heap, (-counts[pair], pair))
                else:
                    del counts[pair]
        merges.append(best)
        vocab.append(vocab[best[0]] + vocab[best[1]])
    return [(vocab[left], vocab[right]) for left, right in merges]


def _check_num_merges(num_merges: int) -> int:
    if not isinstance(num_merges, int) or num_merges < 0:
        raise ValueError(f"num_merges must be a non-negative integer, got {num_merges!r}.")
    return num_merges
