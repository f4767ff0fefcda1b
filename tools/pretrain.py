"""Train the TinyWorld 2 size ladder and write its weights into the repository (`make pretrain`).

The ladder is too slow to train inside a chapter (the largest size takes about half an hour on two cores), so
its weights are committed: helpers/reference_models/<name>-<fingerprint>/, half precision, every file's sha256
in the folder's manifest and checked at every load. Training is deterministic on a given machine (fixed seeds,
two threads), resumes where it stopped when interrupted, and uses the cache like every model trained once; run
it again after changing a ladder recipe or TinyWorld 2, and commit the new folders (the old ones are removed).

    python tools/pretrain.py            # the whole ladder, smallest first
    python tools/pretrain.py tinyworld2-m
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time


def main(argv: list[str] | None = None) -> None:
    from helpers.checkpoints import load_checkpoint
    from helpers.pretrained import COMMITTED_WEIGHTS, LADDER, commit_weights, corpus_texts, recipe_named
    from helpers.scoring import nats_per_character
    from helpers.tinyworld2 import TinyWorld

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=list(LADDER), choices=list(LADDER), metavar="name",
                        help=f"ladder sizes to train (default: all of {', '.join(LADDER)})")
    names = parser.parse_args(argv).names
    floor = TinyWorld(0).entropy_floor().nats_per_char
    for name in names:
        started = time.perf_counter()
        folder = commit_weights(name)
        for stale in COMMITTED_WEIGHTS.glob(f"{name}-*"):
            if stale != folder:
                shutil.rmtree(stale)
        checkpoint = load_checkpoint(folder)
        loss = nats_per_character(checkpoint.build_model(), checkpoint.tokenizer(),
                                  corpus_texts(recipe_named(name))[1])
        size = sum(path.stat().st_size for path in folder.iterdir()) / 1e6
        print(f"{name}: {loss:.4f} nats/char on held-out text ({loss / floor:.3f}x the entropy floor), "
              f"{size:.1f} MB in {folder.relative_to(COMMITTED_WEIGHTS.parent.parent)}, "
              f"{time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
