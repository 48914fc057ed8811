#!/usr/bin/env bash
# Makes testdata/cases/NAME from the tree in DIR: copies it to NAME/in, runs the reference
# kustomize on it (with ARGS) and keeps what it printed as expected.yaml (and
# expected-stderr.txt when it warned), or its error as expected-error.txt.
#
#   testdata/new-case.sh NAME DIR "SOURCE: what the case checks" [FEATURE,...] [ARGS...]
#
# With SUBDIR=path, the kustomization built is DIR/path (its bases may lie beside it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=$1 dir=$2 source=$3 features=${4:-resources}
shift 4 || shift $#
case_dir=$here/cases/$name
ref=$here/../../shared/tools/reference-kustomize
rm -rf "$case_dir"
mkdir -p "$case_dir"
cp -r "$dir" "$case_dir/in"
args_yaml=$(printf '"%s", ' "$@")
args_yaml="[${args_yaml%, }]"
[[ $# -gt 0 ]] || args_yaml="[]"
build=in${SUBDIR:+/$SUBDIR}
cat > "$case_dir/case.yaml" <<YAML
build: "$build"
args: $args_yaml
source: "kustomize-rs: $source"
features: [${features}]
YAML
if (cd "$case_dir" && "$ref" build "$build" "$@" > expected.yaml 2> stderr.txt); then
  if [[ -s $case_dir/stderr.txt ]]; then mv "$case_dir/stderr.txt" "$case_dir/expected-stderr.txt"; else rm "$case_dir/stderr.txt"; fi
  echo "$name: success ($(wc -l < "$case_dir/expected.yaml") lines)"
else
  rm -f "$case_dir/expected.yaml"
  sed "s|$case_dir|{CASE_DIR}|g" "$case_dir/stderr.txt" > "$case_dir/expected-error.txt"
  rm "$case_dir/stderr.txt"
  echo "$name: error: $(head -c 200 "$case_dir/expected-error.txt")"
fi
