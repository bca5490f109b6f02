#!/usr/bin/env bash
# Integration: small files' data kept inline by the master (no blocks on chunk servers):
# byte-exact across mounts, up to the limit and not past it, mixed with blocks by later
# writes, truncates and copy_file_range, readable and writable with every chunk server
# down, kept across a master restart, and off with -o inline_data=0.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

dfs_init
MASTER_ARGS=(--default-replicas 2)
start_cluster 3
A=$DFS_ROOT/a
B=$DFS_ROOT/b
mount_volume "$A" consistency=quorum
mount_volume "$B" consistency=quorum
L=$DFS_ROOT/local
mkdir -p "$L"

# Block copies the chunk servers hold (a new copy may still be in tmp/ before its sync).
copies() { echo $(( $(cs_files blocks) + $(cs_files tmp) )); }
# The count once it held still for a second: late second copies and the deletion of
# blocks earlier steps made garbage both move it for a while.
settled_copies() {
  local a b i
  a=$(copies)
  for i in $(seq 15); do
    sleep 1
    b=$(copies)
    [[ "$a" == "$b" ]] && break
    a=$b
  done
  echo "$a"
}
same() {  # same LOCAL MOUNTED WHAT
  cmp -s "$1" "$2" || fail "$3: $2 differs from what was written"
}

# 1. Files up to 64 KiB go inline: no block copy anywhere; one byte more makes a block.
for size in 1 100 4095 4096 20000 65536; do
  head -c "$size" /dev/urandom >"$L/f$size"
  cp "$L/f$size" "$A/f$size" || fail "write of $size bytes"
done
assert_eq 0 "$(copies)" "block copies after writing files of 1..65536 bytes"
for size in 1 100 4095 4096 20000 65536; do same "$L/f$size" "$B/f$size" "inline file of $size bytes"; done
head -c 65537 /dev/urandom >"$L/f65537"
cp "$L/f65537" "$A/f65537" || fail "write of 65537 bytes"
wait_until 10 "two copies of the 65537-byte file's block" '[[ $(copies) == 2 ]]'
same "$L/f65537" "$B/f65537" "65537-byte file"
log "inline: files of 1..65536 bytes left no block on the chunk servers; 65537 bytes made one"

# 2. Later writes mix inline pieces and blocks: an overwrite in the middle (inline again),
#    an append past 64 KiB (a block), a truncate into the inline part, a sparse write.
python3 - "$A/f20000" "$B/f20000" "$L/f20000" <<'PY' || fail "mixed inline and block writes"
import os, sys
a, b, local = sys.argv[1:]
model = bytearray(open(local, 'rb').read())
def write(off, data):
    global model
    with open(a, 'r+b') as f:
        f.seek(off); f.write(data)
    if len(model) < off: model += bytes(off - len(model))
    model[off:off + len(data)] = data
def check(what):
    with open(b, 'rb') as f: got = f.read()
    assert got == bytes(model), f"{what}: the other mount read {len(got)} bytes, expected {len(model)}"
write(100, b'X' * 10); check("overwrite in the middle")
write(len(model), os.urandom(100000)); check("append past 64 KiB")
write(60000, b'Z' * 10000); check("write across the inline limit")
os.truncate(a, 50); model = model[:50]; check("truncate into the inline part")
write(5000, b'tail'); check("sparse write after the truncate")
write(0, os.urandom(200000)); check("overwrite of everything")
PY
log "inline: overwrites, appends past the limit, truncates and sparse writes read back byte-exact"

# 3. copy_file_range: inline bytes are copied by the master below 64 KiB; further out the
#    master refuses (EOPNOTSUPP) and the kernel copies through the mount.
python3 - "$A/f4096" "$A/copy" "$B/copy" "$L/f4096" <<'PY' || fail "copy_file_range of an inline file"
import os, sys
src, dst, other, local = sys.argv[1:]
data = open(local, 'rb').read()
fi = os.open(src, os.O_RDONLY); fo = os.open(dst, os.O_WRONLY | os.O_CREAT, 0o644)
assert os.copy_file_range(fi, fo, 4096, 0, 1000) == 4096
n = 0
while n < 4096: n += os.copy_file_range(fi, fo, 4096 - n, n, (1 << 20) + n)
os.close(fi); os.close(fo)
got = open(other, 'rb').read()
expect = bytearray((1 << 20) + 4096)
expect[1000:1000 + 4096] = data
expect[1 << 20:] = data
assert len(got) == len(expect), (len(got), len(expect))
assert got == expect, "copied bytes differ"
PY
# A big file whose head was rewritten (inline) copied far into another: the mount copies
# the first 64 KiB itself, the rest still shares the source's blocks (no new copies).
head -c $((8 * 1024 * 1024)) /dev/urandom >"$L/big"
base=$(copies)
cp "$L/big" "$A/big" || fail "write of 8 MiB"
printf 'HEAD!' | dd of="$L/big" conv=notrunc status=none
printf 'HEAD!' | dd of="$A/big" conv=notrunc status=none
# Its two 4 MiB blocks, two copies each: a quorum close may return before the second copy.
wait_until 30 "the 8 MiB file's 4 block copies" "(( \$(copies) >= base + 4 ))"
before_big=$(settled_copies)
python3 - "$A/big" "$A/bigcopy" <<'PY2' || fail "copy_file_range of a big file with an inline head"
import os, sys
fi = os.open(sys.argv[1], os.O_RDONLY); fo = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT, 0o644)
n, total = 0, 8 << 20
while n < total:
    got = os.copy_file_range(fi, fo, total - n, n, (1 << 20) + n)
    assert got > 0, "copy_file_range returned 0 before the end"
    n += got
os.close(fi); os.close(fo)
PY2
cmp <(head -c $((1024 * 1024)) /dev/zero; cat "$L/big") "$B/bigcopy" || fail "bytes of the copied big file"
after_big=$(settled_copies)
(( after_big <= before_big + 2 )) ||
  fail "copying a big file with an inline head wrote its data again: $before_big -> $after_big block copies"
log "inline: copy_file_range within and past the inline limit; a big file with an inline head still shares its blocks ($before_big -> $after_big block copies)"

# 4. Every chunk server down: small files are still read (fresh opens, caches dropped)
#    and written; a file too big for inline fails cleanly.
unmount_volume "$B"
for i in 0 1 2; do stop_chunkserver "$i"; done
mount_volume "$B" consistency=quorum
drop_caches
for size in 1 4095 65536; do same "$L/f$size" "$B/f$size" "inline file of $size bytes, no chunk server"; done
head -c 3000 /dev/urandom >"$L/down"
cp "$L/down" "$A/down" || fail "a small file could not be written with every chunk server down"
same "$L/down" "$B/down" "small file written with every chunk server down"
if timeout 60 cp "$L/f65537" "$A/big-down" 2>/dev/null; then
  fail "a 65537-byte file was written with every chunk server down"
fi
log "inline: small files read and written with every chunk server down; a bigger one fails"
for i in 0 1 2; do start_chunkserver "$i"; done
wait_nodes_healthy 3

# 5. Inline data is the master's: it survives the master being killed and restarted.
kill_master
restart_master
drop_caches
for size in 1 4095 65536; do same "$L/f$size" "$B/f$size" "inline file of $size bytes after a master restart"; done
log "inline: data kept across a master restart"

# 6. -o inline_data=0: small files go to the chunk servers as blocks.
unmount_volume "$A"
mount_volume "$A" consistency=quorum,inline_data=0
before=$(copies)
cp "$L/f100" "$A/noinline" || fail "write with inline_data=0"
wait_until 10 "two block copies of a small file written with inline_data=0" \
  '[[ $(copies) == $((before + 2)) ]]'
same "$L/f100" "$B/noinline" "small file written with inline_data=0"
log "inline: -o inline_data=0 writes small files as blocks"
