#!/usr/bin/env bash
# The GPU figures of the benchmarks: real mode's defaults at XLM-R Large size; then XLM-R Base
# size in bf16: achieved FLOP/s and MFU at the offline XNLI lengths, the loop against HF
# Trainer, FLOP/s at 128 tokens and, compiled, at up to 131k tokens per step, with and without
# dropout. Usage: bash bench/gpu.sh [output
# folder] (default bench-gpu/; each bench's output is saved there too)
set -uo pipefail
out=${1:-bench-gpu}
mkdir -p "$out"
export PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
base=(--hidden 768 --layers 12 --heads 12 --vocab 250002 --bf16)
run() {  # name, command...
    local name=$1; shift
    echo "== $name: $*"
    timeout 240 "$@" 2>&1 | grep -v -i warn | tee "$out/$name.txt"
}
nvidia-smi -L
# First, real mode's own defaults (the train section of profiles/paper.yaml: micro-batch,
# accumulation, token budget, padding multiple, compile) at XLM-R Large size and XNLI-like lengths 20-256:
# MFU over non-padding tokens, counting non-embedding weights, then the loop against both HF
# Trainer baselines with the same settings.
large=(--hidden 1024 --layers 24 --heads 16 --vocab 250002 --bf16)
read -r batch accum pad micro compile < <(python -c "
import yaml; t = yaml.safe_load(open('profiles/paper.yaml'))['train']
print(t['batch_size'], t['grad_accum'], t.get('pad_to_multiple', 1),
      t.get('micro_batch_tokens') or 0, '--compile' if t['compile'] in (True, 'auto') else '')")
cut=(); [ "$micro" != 0 ] && cut=(--micro-tokens "$micro")
run realmode_large_mfu python bench/flops.py "${large[@]}" --batch "$batch" \
    --grad-accum "$accum" --pad-multiple "$pad" "${cut[@]}" --lengths 20 256 --steps 30 $compile
# Widths a multiple of 16 instead: less padding (bench/flops.py prints its share), more shapes.
run realmode_large_mfu_pad16 python bench/flops.py "${large[@]}" --batch "$batch" \
    --grad-accum "$accum" --pad-multiple 16 "${cut[@]}" --lengths 20 256 --steps 30 $compile
# A step's examples at once: ours cut by tokens, the Trainer's as one batch of as many.
run realmode_large_loop_vs_trainer python bench/loop_vs_trainer.py "${large[@]}" \
    --batch $((batch * accum)) --pad-multiple "$pad" "${cut[@]}" --steps 200 --repeats 2 \
    $compile
run flops_b32_len20-60 python bench/flops.py "${base[@]}" --batch 32 --steps 40
run loop_vs_trainer python bench/loop_vs_trainer.py "${base[@]}" --steps 40 --repeats 3
run flops_b32_len128 python bench/flops.py "${base[@]}" --batch 32 --lengths 128 128 --steps 40
for shape in "32 128" "128 256" "256 256" "64 512"; do
    set -- $shape
    run "flops_b$1_len$2_compiled" python bench/flops.py "${base[@]}" --batch "$1" \
        --lengths "$2" "$2" --steps 20 --compile
done
# Without dropout (XLM-R's is 0.1), and where the time of the compiled step goes.
run flops_b256_len256_compiled_profile python bench/flops.py "${base[@]}" --batch 256 \
    --lengths 256 256 --steps 20 --compile --profile
for batch in 256 512; do
    run "flops_b${batch}_len256_compiled_nodropout" python bench/flops.py "${base[@]}" \
        --batch "$batch" --lengths 256 256 --steps 20 --compile --dropout 0
done
# Max-autotune over cuBLAS's own kernels only (Triton's GEMM templates take minutes to tune).
TORCHINDUCTOR_MAX_AUTOTUNE_GEMM_BACKENDS=ATEN run flops_b512_len256_autotune_aten_nodropout \
    python bench/flops.py "${base[@]}" --batch 512 --lengths 256 256 --steps 12 \
    --compile-mode max-autotune-no-cudagraphs --dropout 0
