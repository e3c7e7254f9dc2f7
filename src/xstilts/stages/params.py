"""Stage `params`: validate params.yaml on every `dvc repro` and `dvc exp run`, and write the
params each mode-dependent stage reads.

DVC re-runs a stage only when a param it lists changes, so a key no stage lists (a typo such
as ``seed:`` for ``seeds:``) would otherwise pass unnoticed by a pipeline that is up to date.
This stage always runs, imports only the schema, and fails naming the key.

DVC's ``params:`` lists are the same in both modes, but a stage reads other keys in each: the
offline ``generate`` reads ``world``, the real one ``hub``. So for those stages this one writes
``<out>/<stage>.json`` with the keys the stage reads in this study's mode, and dvc.yaml makes
them dependencies. A file whose content is unchanged leaves its stage up to date: changing a
``hub.*`` key re-runs no offline stage, and a real-mode params.yaml needs no offline sections.
"""

from pathlib import Path

from xstilts.config import Params
from xstilts.data.files import write_json
from xstilts.stages.cli import parse, run

# The loop settings that phase 0 and 0b training read (not task-model ones such as pooling).
_LOOP = {"warmup_ratio", "weight_decay", "max_grad_norm", "checkpoint_every", "bf16", "compile"}


def mode_params(params: Params) -> dict[str, dict]:
    """Stage -> the params it reads that depend on ``data.source`` (those read in both modes
    are listed in dvc.yaml directly)."""
    if params.data.source == "synthetic":
        loop = params.train.model_dump(include=_LOOP)
        return {
            "generate": {"world": params.world.model_dump()},
            "pretrain": {"pretrain": params.pretrain.model_dump(), "train": loop},
            "captions": {"world": params.world.model_dump(include={"seed", "eval_size"}),
                         "clip": params.clip.model_dump(include={"images", "image_size"})},
            "pretrain_clip": {"pretrain": {"seed": params.pretrain.seed},
                              "clip": params.clip.model_dump(), "train": loop},
            "intermediate": {"pretrain": {"mask_prob": params.pretrain.mask_prob}},
        }
    hub = params.hub
    return {
        "generate": {"hub": hub.model_dump(include={"anli_plus", "max_examples"})},
        "pretrain": {"hub": {"encoder": hub.encoder}},
        "captions": {"hub": {"captions": hub.captions.model_dump()}},
        "pretrain_clip": {"hub": hub.model_dump(include={"encoder", "clip_model",
                                                         "clip_pretrained"})},
        "intermediate": {},
    }


def write_mode_params(params: Params, out: Path) -> None:
    """One JSON file per stage; DVC compares their content, not their times."""
    for stage, values in mode_params(params).items():
        write_json(out / f"{stage}.json", values)


def main(argv=None) -> None:
    args, params = parse(__doc__, argv, lambda p: p.add_argument("--out", type=Path,
                                                                 required=True))
    write_mode_params(params, args.out)
    print(f"params: valid ({params.data.source} data, encoder {params.encoder})")


if __name__ == "__main__":
    run(main)
