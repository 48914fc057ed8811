#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets from testdata/cases and, when present, the
conformance inputs in ../shared/conformance, in the forms the targets read:

  parse_emit      a YAML file
  whole_build     three option bytes, then the tree: files split at lines `=== PATH`
  kustomization   a kustomization file
  strategic_merge a resource, `=== patch`, a strategic-merge patch
  json6902        a resource, `=== ops`, JSON 6902 operations
  replacements    resources, `=== replacements`, a replacements list

Usage: fuzz/make-seeds.py [OUT]   (default: fuzz/corpus). Seeds are small (trees over
8 KiB are left out) and named by content, so running it twice changes nothing.
"""
import hashlib
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(REPO), "shared")
MAX_TREE = 8 * 1024
MAX_PER_TARGET = 250
REMOTE = ("://", "github.com", "git@", "git::", "gitlab", "_git/", ".git")


def case_dirs():
    roots = [os.path.join(REPO, "testdata", "cases")]
    for suite in ("krusty", "builtin", "examples"):
        roots.append(os.path.join(SHARED, "conformance", suite))
    cases = []
    for root in roots:
        if not os.path.isdir(root):
            continue
        for name in os.listdir(root):
            case = os.path.join(root, name)
            if os.path.isdir(os.path.join(case, "in")):
                cases.append(case)
    # A spread over the suites (not the first cases alphabetically), the same every run.
    cases.sort(key=lambda c: hashlib.sha1(os.path.relpath(c, REPO).encode()).hexdigest())
    return cases


def read_tree(case):
    """The case's files relative to its build directory's `in/`, or None if too large."""
    root = os.path.join(case, "in")
    files = []
    total = 0
    for dirpath, _, names in os.walk(root):
        for n in sorted(names):
            path = os.path.join(dirpath, n)
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except (UnicodeDecodeError, OSError):
                continue
            total += len(text)
            if total > MAX_TREE:
                return None
            files.append((os.path.relpath(path, root), text))
    return files


def args_of(case):
    try:
        with open(os.path.join(case, "case.yaml"), encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""


def build_dir(case):
    m = re.search(r'^build:\s*"?([^"\n]*)"?', args_of(case), re.M)
    rel = (m.group(1) if m else "in").strip()
    return os.path.relpath(rel, "in")


def first_doc(text):
    return re.split(r"^---\s*$", text, flags=re.M)[0] if text.strip() else text


class Out:
    def __init__(self, out):
        self.out = out
        self.count = {}

    def add(self, target, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        if any(r.encode() in data for r in REMOTE):
            return
        n = self.count.get(target, 0)
        if n >= MAX_PER_TARGET:
            return
        d = os.path.join(self.out, target)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, hashlib.sha1(data).hexdigest())
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)
            self.count[target] = n + 1


def main():
    out = Out(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus"))
    for case in case_dirs():
        tree = read_tree(case)
        if not tree:
            continue
        args = args_of(case)
        parts = ["=== @build %s\n" % build_dir(case)]
        for path, text in tree:
            parts.append("=== %s\n%s%s" % (path, text, "" if text.endswith("\n") else "\n"))
        options = bytes([int("LoadRestrictionsNone" in args), 0, 0])
        out.add("whole_build", options + "".join(parts).encode("utf-8"))

        resources, patches, ops = [], [], []
        for path, text in tree:
            out.add("parse_emit", text)
            name = os.path.basename(path)
            if name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
                out.add("kustomization", text)
                m = re.search(r"^replacements:\n((?:[ -].*\n?)*)", text, re.M)
                if m:
                    body = "\n".join(l[2:] if l.startswith("  ") else l for l in m.group(1).splitlines())
                    res = "".join(t for p, t in tree if "kind:" in t and "replacements" not in t)
                    out.add("replacements", res + "\n=== replacements\n" + body + "\n")
            elif re.search(r'"?op"?\s*:\s*"?(add|remove|replace|move|copy|test)', text):
                ops.append(text)
            elif "kind:" in text:
                (patches if "patch" in path.lower() else resources).append(text)
        for r in resources[:3]:
            for p in (patches + resources)[:4]:
                out.add("strategic_merge", first_doc(r) + "\n=== patch\n" + first_doc(p))
            for o in ops[:3]:
                out.add("json6902", first_doc(r) + "\n=== ops\n" + o)
    for target, n in sorted(out.count.items()):
        print("%s: %d new seeds" % (target, n))


if __name__ == "__main__":
    main()
