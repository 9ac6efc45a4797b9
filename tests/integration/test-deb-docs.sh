#!/bin/sh
# The package's documents (issue 30, "plan as a guardrail", docs): every document the
# installed ones refer to (docs/X.md or a Markdown link to X.md) is installed too, followed
# to the end (runtime-claim.md and performance.md were missing); and OVMF, which every
# VM with the default firmware needs, is recommended.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/setup.sh"
need_tools python3
D=$(mktemp -d "$TAP_TMP/stage.XXXXXX")
ok "make install-extra into a staging tree" -- make -s -C "$TOP" install-extra DESTDIR="$D" PREFIX=/usr
DOC="$D/usr/share/doc/gpt-bootcfg"
ok "the configuration reference is installed" -- test -f "$DOC/config.md"
ok "every document an installed one refers to is installed" -- python3 - "$DOC" <<'PY'
import glob, os, re, sys
doc = sys.argv[1]
missing = []
for f in sorted(glob.glob(doc + "/*.md")):
    for m in re.finditer(r"(?:docs/|\]\()([a-z0-9-]+\.md)", open(f).read()):
        if not os.path.exists(os.path.join(doc, m.group(1))):
            missing.append("%s -> %s" % (os.path.basename(f), m.group(1)))
print("\n".join(sorted(set(missing))))
sys.exit(1 if missing else 0)
PY
ok "ovmf is in Recommends" -- grep -Eq '^Recommends:.*(^|[ ,])ovmf([ ,]|$)' "$TOP/debian/control"
done_testing
