"""The loop under torchrun with 2 CPU processes (gloo) trains like 1 process with the same
effective batch: DDP averages the gradients of the two halves of every global batch."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import torch

WORKER = Path(__file__).with_name("ddp_worker.py")
# Two processes sum gradients in another order than one: equal up to float rounding.
TOLERANCE = 1e-5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp_path,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_two_gloo_processes_match_one_process(tmp_path):
    """A classifier, and a tagger too: a shard's mean loss over its tags weighs by its share
    of the tags; and both again with steps cut into micro-batches by tokens
    (train.micro_batch_tokens), against one process's uncut steps. One pair of process
    starts serves every kind."""
    one, two = tmp_path / "one", tmp_path / "two"
    run([sys.executable, str(WORKER), str(one), str(tmp_path / "resume1")], tmp_path)
    run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
         "--master_addr", "127.0.0.1", "--master_port", str(free_port()),
         str(WORKER), str(two), str(tmp_path / "resume2"),
         "classify,tag,classify-micro,tag-micro"], tmp_path)
    for kind in ("classify", "tag", "classify-micro", "tag-micro"):
        a = torch.load(f"{one}.{kind.split('-')[0]}.pt", weights_only=True)
        b = torch.load(f"{two}.{kind}.pt", weights_only=True)
        assert abs(a["loss"] - b["loss"]) < TOLERANCE, kind
        for name, tensor in a["state"].items():
            assert torch.allclose(tensor, b["state"][name], atol=TOLERANCE), (kind, name)
        assert not (tmp_path / f"resume2-{kind}").exists()  # rank 0 cleaned up after finishing


RANK_MASKS = """
import torch
from xstilts import ranks
from xstilts.train import distributed
from xstilts.train.loop import Loss, LoopConfig, train

distributed.init()
torch.set_num_threads(1)
model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Dropout(0.5))
seen = []

def loss(net, batch):
    out = net(torch.ones(len(batch["input_ids"]), 8))
    seen.append((out == 0).flatten().tolist())
    return Loss(out.sum())

train(model, loss, lambda step: {"input_ids": torch.ones(4, 3)}, LoopConfig(steps=1, lr=0.1))
masks = distributed.gather(seen[0])
if ranks.is_main():
    print("same" if masks[0] == masks[1] else "different")
"""


def test_each_process_draws_its_own_dropout_masks(tmp_path):
    # Shards of one global batch have one shape: a shared seed would give them one mask.
    script = tmp_path / "masks.py"
    script.write_text(RANK_MASKS)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node",
                           "2", "--master_addr", "127.0.0.1", "--master_port", str(free_port()),
                           str(script)], env=env, capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split()[-1] == "different"


EMPTY_SHARD = """
import sys
import torch
import torch.nn.functional as F
from xstilts import ranks
from xstilts.train import distributed
from xstilts.train.loop import Loss, LoopConfig, train

distributed.init()
torch.set_num_threads(1)
torch.manual_seed(0)
model = torch.nn.Linear(4, 3)
g = torch.Generator().manual_seed(1)
inputs = torch.randn(4, 5, 4, generator=g)
labels = torch.randint(0, 3, (4, 5), generator=g)
labels[2:] = -100  # the second half of every global batch tags nothing

def loss(net, batch):
    logits = net(batch["inputs"])
    return Loss(F.cross_entropy(logits.flatten(0, 1), batch["labels"].flatten()),
                tokens=(batch["labels"] != -100).sum())

final = train(model, loss, lambda step: {"inputs": inputs, "labels": labels},
              LoopConfig(steps=3, lr=0.1, log_every=1))
if ranks.is_main():
    torch.save({"state": model.state_dict(), "loss": final["loss"]}, sys.argv[1])
"""


def test_a_process_whose_shard_tags_nothing_adds_nothing(tmp_path):
    """Its mean over no tokens is NaN; under DDP it must weigh nothing, not stop the stage,
    and the run must train as one process with the whole batch does."""
    script = tmp_path / "empty.py"
    script.write_text(EMPTY_SHARD)
    one, two = tmp_path / "one.pt", tmp_path / "two.pt"
    run([sys.executable, str(script), str(one)], tmp_path)
    run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
         "--master_addr", "127.0.0.1", "--master_port", str(free_port()), str(script),
         str(two)], tmp_path)
    a, b = torch.load(one, weights_only=True), torch.load(two, weights_only=True)
    assert abs(a["loss"] - b["loss"]) < TOLERANCE
    for name, tensor in a["state"].items():
        assert torch.allclose(tensor, b["state"][name], atol=TOLERANCE), name
