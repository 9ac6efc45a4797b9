#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make lint-includes: the include graph of src/ runs one way (docs/architecture.md).

Fails, naming the files, on
- a cycle between modules (foo.c, foo.h and foo-internal.h are one module): A includes B and
  B, through any chain, includes A;
- a cycle between folders (src/gpt-bootcfg/conf -> features -> conf, ...);
- an include across the link rules: src/basic is libc-only and includes only itself,
  src/claimproto adds src/basic, src/shared adds src/basic, the claim binary src/claim may
  use src/basic and src/claimproto, and nothing includes src/claim or src/gpt-bootcfg from
  below;
- a source file over MAX_LINES lines (split it by concern first);
- an include that does not resolve to a file of src/ (every include names its folder).
"""
import os
import re
import sys

MAX_LINES = 800
ROOTS = ("src", "src/gpt-bootcfg")
# Which top folders each top folder of src/ may include (besides itself).
ALLOWED = {
    "basic": set(),
    "claimproto": {"basic"},
    "shared": {"basic"},
    "claim": {"basic", "claimproto"},
    "gpt-bootcfg": {"basic", "claimproto", "shared"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module(path):
    """foo.c, foo.h and foo-internal.h (foo's private half) are one module."""
    base = os.path.splitext(path)[0]
    if path.endswith("-internal.h"):
        base = base[: -len("-internal")]
    return base


def folder(path):
    return os.path.dirname(path)


def top(path):
    return path.split("/")[1]


def resolve(inc, includer):
    for root in ROOTS:
        p = os.path.normpath(os.path.join(root, inc))
        if os.path.isfile(p):
            return p
    return None


def sccs(graph):
    """Tarjan's strongly connected components, iterative; only those with a cycle."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                elif nxt in on:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1 or node in graph.get(node, ()):
                    out.append(sorted(comp))
    return out


def main():
    top_dir = sys.argv[1] if len(sys.argv) > 1 else "."
    os.chdir(top_dir)
    errors = []
    files = []
    for dirpath, _, names in os.walk("src"):
        files += [os.path.join(dirpath, n) for n in names if n.endswith((".c", ".h"))]
    files.sort()
    mods, dirs = {}, {}
    for f in files:
        text = open(f, encoding="utf-8", errors="replace").read()
        n = text.count("\n")
        if n > MAX_LINES:
            errors.append(f"{f}: {n} lines (at most {MAX_LINES}: split it by concern)")
        for inc in INCLUDE.findall(text):
            target = resolve(inc, f)
            if target is None:
                errors.append(f'{f}: #include "{inc}" is not a file of src/ (name its folder)')
                continue
            a, b = module(f), module(target)
            if a != b:
                mods.setdefault(a, set()).add(b)
            fa, fb = folder(f), folder(target)
            if fa != fb:
                dirs.setdefault(fa, set()).add(fb)
            ta, tb = top(f), top(target)
            if ta != tb and tb not in ALLOWED.get(ta, set()):
                errors.append(f'{f}: #include "{inc}": src/{ta} may not include src/{tb}')
    for comp in sccs(mods):
        errors.append("module cycle: " + " <-> ".join(comp))
    for comp in sccs(dirs):
        errors.append("folder cycle: " + " <-> ".join(comp))
    for e in errors:
        print(f"lint-includes: {e}", file=sys.stderr)
    print(f"lint-includes: {len(files)} files, {sum(map(len, mods.values()))} module edges, "
          f"{len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
