"""Train a pretrained recipe on one process, or data-parallel on several with torchrun: the same loop either way.

    python -m torch.distributed.run --nproc_per_node 2 -m helpers.train_distributed --recipe tinyworld2-mini
    python -m helpers.train_distributed --recipe tinyworld2-mini            (one process)

(`torchrun` is the short name of `python -m torch.distributed.run`.) Every rank builds the same model
from the recipe's seed; each computes the loss on its slice of every global batch; DDP averages the
gradients, so all ranks apply the update one process would make with the whole batch. CPU processes
talk through the gloo backend (started here; what the training loop asks of the group is in
helpers.distributed). Rank 0 shows progress, writes checkpoints and the history.

Simplified on purpose: one machine; the data is small enough for every rank to hold all of it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path

import torch
import torch.distributed as dist

from helpers.distributed import barrier, rank_and_world_size
from helpers.files import write_text_atomically
from helpers.pretrained import RECIPES, build_model, prepare_data
from helpers.training import train


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: which recipe, optional shorter settings, where to write results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipe", default="tinyworld2-mini", choices=sorted(RECIPES))
    parser.add_argument("--max-steps", type=int, help="train for this many steps instead of the recipe's")
    parser.add_argument("--eval-every", type=int, help="evaluate every this many steps")
    parser.add_argument("--batch-size", type=int, help="global batch size (split over the processes)")
    parser.add_argument("--checkpoint-dir", type=Path, help="checkpoint folder: resume from it and save to it")
    parser.add_argument("--history", type=Path, help="write the metrics history to this JSON file")
    parser.add_argument("--threads", type=int, help="torch threads per process (default: cores / processes)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Train the recipe with the settings of the command line (under torchrun: one call per process)."""
    arguments = parse_arguments(argv)
    distributed = "RANK" in os.environ and "WORLD_SIZE" in os.environ  # set by torchrun
    if distributed:
        dist.init_process_group("gloo")
    try:
        rank, world_size = rank_and_world_size()
        torch.set_num_threads(arguments.threads or max(1, (os.cpu_count() or 1) // world_size))
        recipe = RECIPES[arguments.recipe]
        overrides = {"max_steps": arguments.max_steps, "eval_every": arguments.eval_every,
                     "batch_size": arguments.batch_size}
        settings = dataclasses.replace(recipe.training, **{k: v for k, v in overrides.items() if v is not None})
        if rank != 0:
            barrier()  # wait while rank 0 prepares the data and caches the tokenizer
        data = prepare_data(recipe, progress=rank == 0)
        if rank == 0:
            barrier()
        model = build_model(recipe, data.tokenizer)
        history = train(model, data.train_ids, data.val_ids, settings, checkpoint_dir=arguments.checkpoint_dir,
                        progress=rank == 0, tokenizer_ref=data.tokenizer)
        if rank == 0:
            print(f"{arguments.recipe} on {world_size} process(es): validation loss {history.val_loss[-1]:.4f} "
                  f"after {history.step[-1]} steps")
            if arguments.history is not None:
                result = {"recipe": arguments.recipe, "world_size": world_size, "history": history.as_dict()}
                write_text_atomically(arguments.history, json.dumps(result, indent=1))
        barrier()  # every process is done before any tears the group down (else a peer may abort)
    finally:
        if distributed:
            dist.destroy_process_group()


if __name__ == "__main__":
    main()
