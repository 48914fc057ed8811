#!/usr/bin/env bash
# Times `kustomize-rs build` against the reference kustomize on the same trees, side by side
# (alternating runs), and prints median wall time, peak memory and the ratio per tree.
#
#   benches/compare.sh [TREE...]    default: scale-1000 and the five heaviest real-world trees
#
# Needs hyperfine (Debian package `hyperfine`), GNU time, and ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared
ref=$shared/tools/reference-kustomize
ours=target/release/kustomize-rs
[[ -x $ours ]] || cargo build --release -q
kubectl=$("$ref" path)
command -v hyperfine >/dev/null || { echo "compare.sh: hyperfine is needed (apt-get install hyperfine)" >&2; exit 2; }

trees=("$@")
if [[ ${#trees[@]} -eq 0 ]]; then
  trees=("$shared/bench/scale-1000/base" "$shared/bench/scale-1000/overlays/prod" "$shared/bench/scale-1000/all")
  while IFS= read -r dir; do trees+=("$shared/realworld/$dir"); done < <(
    tail -n +2 "$shared/realworld/cases.tsv" | sort -t$'\t' -k7,7nr | awk -F'\t' '$3 == "" {print $2}' | head -5)
fi

peak() { # peak RSS in MiB of one run
  /usr/bin/time -f '%M' "$@" >/dev/null 2>/tmp/compare-time.$$ || true
  awk '{kb=$1} END {printf "%.1f", kb/1024}' < <(tail -n 1 /tmp/compare-time.$$)
}

printf '%-70s %10s %10s %8s %9s %9s\n' tree ours_ms ref_ms ratio ours_MiB ref_MiB
for tree in "${trees[@]}"; do
  json=$(mktemp)
  hyperfine -N -w 1 -r "${RUNS:-5}" --export-json "$json" \
    "$ours build $tree" "$kubectl kustomize $tree" >/dev/null 2>&1
  read -r ours_ms ref_ms < <(python3 - "$json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(*(f"{x['median'] * 1000:.1f}" for x in r))
PY
)
  rm -f "$json"
  ours_mib=$(peak "$ours" build "$tree")
  ref_mib=$(peak "$kubectl" kustomize "$tree")
  ratio=$(python3 -c "print(f'{$ref_ms / $ours_ms:.1f}x')")
  printf '%-70s %10s %10s %8s %9s %9s\n' "${tree#"$shared/"}" "$ours_ms" "$ref_ms" "$ratio" "$ours_mib" "$ref_mib"
done
rm -f /tmp/compare-time.$$
