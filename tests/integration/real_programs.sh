#!/usr/bin/env bash
# Integration: real programs run unchanged in a dfs mount and leave the same bytes as on
# local disk: git (init/add/commit/checkout back and forth/status/fsck/gc, identical commit
# ids), tar x (same tree; tar c of both byte-identical), rsync -aH (a --checksum dry run
# finds nothing; --delete update; copy back), make of a small C project (same binary,
# mtime-based no-op and partial rebuilds).
# Env: REAL_PROGRAMS_DIRS: /usr/include subdirectories for the source tree.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

for p in git tar rsync make cc cmp diff find; do
  command -v "$p" >/dev/null || skip "$p not installed (scripts/install-deps.sh installs it)"
done
export LC_ALL=C

dfs_init
start_cluster 3
MNT=$DFS_ROOT/mnt
mount_volume "$MNT"
LOC=$DFS_ROOT/local  # every step is done here too, on local disk, for comparison
mkdir -p "$LOC"

section_t0=0
section() { section_t0=$(now_ms); log "== $*"; }
section_done() { log "   done in $(( $(now_ms) - section_t0 )) ms"; }

# listing DIR [nomtime]: one line per entry: path, type, mode, uid, gid, size (files),
# mtime (s), symlink target. Directory sizes and times of symlinks are file-system specific.
listing() {
  (cd "$1" && find . -path ./.git -prune -o -printf '%P\t%y\t%m\t%U\t%G\t%s\t%T@\t%l\n' |
     awk -F'\t' -v nomtime="${2:-}" 'BEGIN { OFS = "\t" } $1 == "" { next }
                 { split($7, t, "."); $7 = t[1] }
                 $2 != "f" { $6 = "-" } $2 == "l" || nomtime != "" { $7 = "-" } { print }' | sort)
}
# hardlinks DIR: the groups of names that share an inode (inode numbers themselves differ).
hardlinks() {
  (cd "$1" && find . -path ./.git -prune -o -type f -links +1 -printf '%i %P\n' | sort -k1,1 -k2 |
     awk '{ g[$1] = g[$1] " " $2 } END { for (i in g) print g[i] }' | sort)
}
same_tree() {  # same_tree WHAT A B [content|nomtime]: contents, listing and hard links of A and B are equal
  local what=$1 a=$2 b=$3 level=${4:-}
  diff -r --no-dereference --exclude=.git "$a" "$b" >"$DFS_ROOT/diff.out" 2>&1 || {
    head -n 20 "$DFS_ROOT/diff.out" >&2; fail "$what: diff -r found differences"; }
  [[ "$level" == content ]] && return 0
  diff <(listing "$a" "$level") <(listing "$b" "$level") >"$DFS_ROOT/diff.out" || {
    head -n 20 "$DFS_ROOT/diff.out" >&2; fail "$what: type/mode/owner/size/mtime/symlink listing differs"; }
  diff <(hardlinks "$a") <(hardlinks "$b") >"$DFS_ROOT/diff.out" || {
    head -n 20 "$DFS_ROOT/diff.out" >&2; fail "$what: hard link groups differ"; }
}

# ---------- source tree: real headers plus special entries ----------
SRC=$DFS_ROOT/src
mkdir -p "$SRC"
for d in ${REAL_PROGRAMS_DIRS:-linux asm-generic x86_64-linux-gnu/bits netinet}; do
  if [[ -d /usr/include/$d ]]; then
    mkdir -p "$SRC/$(dirname "$d")"
    cp -a "/usr/include/$d" "$SRC/$(dirname "$d")/"
  fi
done
python3 - "$SRC" <<'PY'
# Generated part: deterministic text files (also keeps the tree big enough when /usr/include is small).
import os, random, sys
root = sys.argv[1]
rng = random.Random(4)
for i in range(300):
    d = os.path.join(root, "gen", "d%02d" % (i % 17))
    os.makedirs(d, exist_ok=True)
    words = [rng.choice(["alpha", "beta", "gamma", "delta", "\n"]) for _ in range(rng.randrange(1, 3000))]
    with open(os.path.join(d, "f%03d.txt" % i), "w") as f:
        f.write(" ".join(words))
PY
head -c 5500000 /dev/urandom >"$SRC/big.bin"          # crosses a 4 MiB block
printf '#!/bin/sh\necho hi\n' >"$SRC/run.sh" && chmod 755 "$SRC/run.sh"
echo secret >"$SRC/private" && chmod 600 "$SRC/private"
echo 'space and ü' >"$SRC/name with spaces ü.txt"
echo linked >"$SRC/hl1" && ln "$SRC/hl1" "$SRC/hl2" && ln "$SRC/hl1" "$SRC/gen/hl3"
ln -s gen/d01 "$SRC/dirlink"
ln -s /nonexistent/target "$SRC/dangling"
mkdir -p "$SRC/empty/dir"
: >"$SRC/empty-file"
touch -d '2001-02-03 04:05:06' "$SRC/run.sh" "$SRC/gen/d02"
nfiles=$(find "$SRC" -type f | wc -l)
log "source tree: $nfiles files, $(du -sh "$SRC" | cut -f1)"

# ---------- tar ----------
section "tar x into the mount and on local disk; tar c of both"
tar --format=gnu -cf "$DFS_ROOT/src.tar" -C "$SRC" . || fail "tar c of the source tree"
for top in "$MNT" "$LOC"; do
  mkdir "$top/tarx"
  tar -xpf "$DFS_ROOT/src.tar" -C "$top/tarx" || fail "tar x into $top"
done
same_tree "tar x" "$LOC/tarx" "$MNT/tarx"
for top in "$MNT" "$LOC"; do
  tar --format=gnu --sort=name --numeric-owner -cf "$DFS_ROOT/back-$(basename "$top").tar" -C "$top/tarx" . ||
    fail "tar c from $top"
done
cmp "$DFS_ROOT/back-local.tar" "$DFS_ROOT/back-mnt.tar" ||
  fail "tar c of the extracted trees differs between local disk and the mount"
section_done

# ---------- rsync ----------
section "rsync -aH into the mount; --checksum dry run; --delete update; copy back"
rsync -aH "$SRC/" "$MNT/rs/" || fail "rsync -aH into the mount"
out=$(rsync -aH --checksum --dry-run --itemize-changes "$SRC/" "$MNT/rs/") || fail "rsync --checksum --dry-run"
[[ -z "$out" ]] || { echo "$out" | head -n 20 >&2; fail "rsync --checksum dry run lists differences"; }
out=$(rsync -aH --dry-run --itemize-changes "$SRC/" "$MNT/rs/") || fail "rsync --dry-run"
[[ -z "$out" ]] || { echo "$out" | head -n 20 >&2; fail "rsync quick-check dry run (size + mtime) lists differences"; }
same_tree "rsync" "$SRC" "$MNT/rs"
SRC2=$DFS_ROOT/src2
cp -a "$SRC" "$SRC2"
echo "appended" >>"$SRC2/gen/d03/f003.txt"
rm -r "$SRC2/gen/d04"
dd if=/dev/urandom of="$SRC2/big.bin" bs=1k seek=4000 count=10 conv=notrunc status=none
mkdir "$SRC2/newdir" && echo new >"$SRC2/newdir/new.txt"
chmod 640 "$SRC2/hl1"
rsync -aH --delete "$SRC2/" "$MNT/rs/" || fail "rsync --delete update"
out=$(rsync -aH --delete --checksum --dry-run --itemize-changes "$SRC2/" "$MNT/rs/") || fail "rsync --checksum --dry-run"
[[ -z "$out" ]] || { echo "$out" | head -n 20 >&2; fail "after the update, rsync --checksum dry run lists differences"; }
same_tree "rsync --delete update" "$SRC2" "$MNT/rs"
rsync -aH "$MNT/rs/" "$LOC/rs-back/" || fail "rsync -aH out of the mount"
same_tree "rsync back out of the mount" "$SRC2" "$LOC/rs-back"
section_done

# ---------- git ----------
section "git init/add/commit/checkout/status/fsck/gc in the mount and on local disk"
export HOME=$DFS_ROOT/home GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
export GIT_AUTHOR_NAME=dfs GIT_AUTHOR_EMAIL=dfs@example.com GIT_COMMITTER_NAME=dfs \
       GIT_COMMITTER_EMAIL=dfs@example.com GIT_AUTHOR_DATE='2024-01-02T03:04:05Z' \
       GIT_COMMITTER_DATE='2024-01-02T03:04:05Z'
git_scenario() {  # git_scenario TOP: builds TOP/repo with two commits; prints "HEAD v1-tree"
  local top=$1
  git init -q -b main "$top/repo" || fail "git init in $top"
  cp -a "$SRC/." "$top/repo/" || fail "cp into the repository in $top"
  cd "$top/repo"
  git add -A && git commit -qm v1 || fail "git add/commit v1 in $top"
  # Second version: edits, removals, a renamed directory, a mode change, a new symlink.
  echo "edited" >>linux/types.h
  printf 'replaced\n' >gen/d05/f005.txt
  git rm -rq gen/d06 linux/netfilter || fail "git rm in $top"
  git mv gen/d07 gen/d07-renamed || fail "git mv in $top"
  chmod 755 private
  ln -s ../big.bin gen/biglink
  git add -A && git commit -qm v2 || fail "git commit v2 in $top"
  git checkout -q HEAD~1 || fail "git checkout HEAD~1 in $top"
  [[ -z "$(git status --porcelain)" ]] || fail "git status not clean after checkout HEAD~1 in $top"
  same_tree "git checkout HEAD~1 ($top)" "$SRC" "$top/repo" content  # git keeps no times, owners, 600
  git checkout -q main || fail "git checkout main in $top"
  [[ -z "$(git status --porcelain)" ]] || { git status --porcelain | head >&2; fail "git status not clean after checkout main in $top"; }
  git fsck --full --strict --no-progress 2>&1 >/dev/null | grep . >&2 && fail "git fsck reported problems in $top"
  git gc -q --prune=now || fail "git gc in $top"
  git fsck --full --strict --no-progress 2>&1 >/dev/null | grep . >&2 && fail "git fsck after gc reported problems in $top"
  [[ -z "$(git status --porcelain)" ]] || fail "git status not clean after gc in $top"
  echo "$(git rev-parse HEAD) $(git rev-parse HEAD~1^{tree}) $(git count-objects -v | grep -E '^(count|in-pack)')"
  cd /
}
t0=$(now_ms)
want=$(git_scenario "$LOC")
log "   local disk: $(( $(now_ms) - t0 )) ms"
got=$(git_scenario "$MNT")
assert_eq "$want" "$got" "git commit ids / tree ids / object counts (local vs mount)"
same_tree "git work trees" "$LOC/repo" "$MNT/repo" nomtime
section_done

# ---------- make ----------
section "make of a small C project in the mount and on local disk"
PROJ=$DFS_ROOT/proj
mkdir -p "$PROJ"
cat >"$PROJ/util.h" <<'EOF'
int fib(int n);
unsigned checksum(const char *s);
EOF
cat >"$PROJ/util.c" <<'EOF'
#include "util.h"
int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
unsigned checksum(const char *s) { unsigned h = 5381; while (*s) h = h * 33 + (unsigned char)*s++; return h; }
EOF
cat >"$PROJ/main.c" <<'EOF'
#include <stdio.h>
#include "util.h"
int main(void) {
  for (int i = 0; i < 20; i++) printf("%d %u\n", fib(i), checksum("dfs") + i);
  return 0;
}
EOF
cat >"$PROJ/Makefile" <<'EOF'
CFLAGS = -O2
app: main.o util.o
	$(CC) -o $@ main.o util.o
%.o: %.c util.h
	$(CC) $(CFLAGS) -c $< -o $@
clean:
	rm -f app *.o
EOF
for top in "$LOC" "$MNT"; do
  cp -a "$PROJ" "$top/proj"
  make -s -C "$top/proj" -j2 >/dev/null || fail "make in $top"
done
"$LOC/proj/app" >"$DFS_ROOT/out-local" && "$MNT/proj/app" >"$DFS_ROOT/out-mnt" || fail "running the built program"
cmp "$DFS_ROOT/out-local" "$DFS_ROOT/out-mnt" || fail "program built in the mount prints something else"
for f in main.o util.o app; do
  cmp "$LOC/proj/$f" "$MNT/proj/$f" || fail "$f built in the mount differs from the local build"
done
make -q -C "$MNT/proj" || fail "make -q: the tree just built is not up to date (mtimes)"
out=$(make -C "$MNT/proj" 2>&1) || fail "second make"
[[ "$out" == *"is up to date"* ]] || fail "second make rebuilt something: $out"
touch "$MNT/proj/util.c"
out=$(make -C "$MNT/proj" 2>&1) || fail "make after touch util.c"
[[ "$out" == *"util.c"* && "$out" != *"main.c"* ]] || fail "make after touching util.c: expected util.o only, got: $out"
make -q -C "$MNT/proj" || fail "make -q after the partial rebuild"
cmp "$LOC/proj/app" "$MNT/proj/app" || fail "rebuilt program differs"
make -s -C "$MNT/proj" clean || fail "make clean"
assert_eq "Makefile main.c util.c util.h" "$(cd "$MNT/proj" && echo *)" "files left after make clean"
section_done

# ---------- everything survives a remount ----------
section "remount and compare again"
unmount_volume "$MNT"
mount_volume "$MNT"
same_tree "tar x after remount" "$LOC/tarx" "$MNT/tarx"
same_tree "rsync after remount" "$SRC2" "$MNT/rs"
(cd "$MNT/repo" && [[ -z "$(git status --porcelain)" ]] && git fsck --full --no-progress 2>/dev/null) ||
  fail "git repository after remount"
section_done
log "PASS"
