#!/usr/bin/env bash
# Integration: extended attributes and POSIX ACLs behave as on ext4. The same checks run
# first on a local ext4/tmpfs reference directory (proving the checks) and then on a dfs
# mount; the ACL transcripts of both must match. Then dfs-only: persistence across
# remount and master restart, a second mount, deletion with the file.
# shellcheck source=../support/cluster.sh
source "$(dirname "$0")/../support/cluster.sh"

CHECKS=$(dirname "$0")/../support/xattr_checks.py
for tool in setfattr getfattr setfacl getfacl setpriv setcap getcap; do
  command -v "$tool" >/dev/null || skip "$tool not installed (packages attr, acl, libcap2-bin)"
done

as1000() { setpriv --reuid=1000 --regid=1000 --clear-groups "$@"; }
can() {  # can UID OP PATH: prints yes/no for whether uid may read/write/exec PATH
  local op=$2 path=$3
  case $op in
    r) setpriv --reuid="$1" --regid="$1" --clear-groups cat "$path" >/dev/null 2>&1 ;;
    w) setpriv --reuid="$1" --regid="$1" --clear-groups sh -c ": >>\"\$0\"" "$path" 2>/dev/null ;;
  esac && echo yes || echo no
}
acl() { getfacl --omit-header --absolute-names --numeric -- "$1" 2>&1; }
dacl() { getfacl --omit-header --absolute-names --numeric --default -- "$1" 2>&1; }
mode() { stat -c %a "$1"; }

# ACL and umask checks on directory $1; prints a transcript (compared across file systems)
# and fails on the facts that must hold.
acl_checks() {
  local d=$1
  (
    set -euo pipefail
    cd "$d"
    # --- umask without default ACLs ---
    umask 022; : >u022; mkdir d022
    umask 077; : >u077; mkdir d077; mkfifo p077
    umask 022
    echo "umask: $(mode u022) $(mode d022) $(mode u077) $(mode d077) $(mode p077)"
    assert_eq "644 755 600 700 600" "$(mode u022) $(mode d022) $(mode u077) $(mode d077) $(mode p077)" "umask"

    # --- access ACL: setfacl sets the mode, enforcement for uid 1000/1001 ---
    echo secret >a; chmod 640 a
    assert_eq no "$(can 1000 r a)" "uid 1000 reads a 640 root file"
    setfacl -m u:1000:rw a
    echo "a: $(mode a)"; acl a
    assert_eq 660 "$(mode a)" "mode after setfacl -m u:1000:rw (group bits = mask)"
    assert_eq yes "$(can 1000 r a)" "uid 1000 reads through its ACL entry"
    assert_eq yes "$(can 1000 w a)" "uid 1000 writes through its ACL entry"
    assert_eq no "$(can 1001 r a)" "uid 1001 has no entry"
    getfattr -n system.posix_acl_access a >/dev/null 2>&1 || fail "no system.posix_acl_access on a"
    # chmod updates the mask
    chmod 600 a
    echo "a after chmod 600: $(mode a)"; acl a
    acl a | grep -q '^mask::---' || fail "chmod 600 did not clear the ACL mask"
    assert_eq no "$(can 1000 r a)" "uid 1000 after chmod 600 (mask ---)"
    chmod 640 a
    acl a | grep -q '^mask::r--' || fail "chmod 640 did not set the ACL mask to r--"
    assert_eq yes "$(can 1000 r a)" "uid 1000 reads after chmod 640 (mask r--)"
    assert_eq no "$(can 1000 w a)" "uid 1000 may not write with mask r--"
    # named group entry
    echo g >g1; chmod 600 g1
    setfacl -m g:1000:r g1
    assert_eq yes "$(can 1000 r g1)" "uid 1000 reads through its group entry"
    # an ACL the mode can say is kept as the mode alone
    echo m >m; setfacl -m u::rwx,g::r-x,o::- m
    echo "m: $(mode m)"; acl m
    assert_eq 750 "$(mode m)" "minimal ACL sets the mode"
    if getfattr -n system.posix_acl_access m >/dev/null 2>&1; then
      fail "a minimal ACL was stored as an xattr"
    fi
    # removing every entry: setfacl -b
    setfacl -b a
    echo "a after -b: $(mode a)"; acl a
    if getfattr -n system.posix_acl_access a >/dev/null 2>&1; then fail "setfacl -b left an ACL"; fi
    setfacl -b m  # no ACL to remove: succeeds
    # invalid ACL blobs
    if setfattr -n system.posix_acl_access -v 0x02000000010006 a 2>/dev/null; then
      fail "a truncated ACL blob was accepted"
    fi
    if setfattr -n system.posix_acl_access -v 0x0200000001000600ffffffff a 2>/dev/null; then
      fail "an ACL without group/other entries was accepted"
    fi
    # setting an ACL clears S_ISGID unless the caller is in the file's group (or root)
    : >s1; chown 1000:1234 s1; chmod 2755 s1
    : >s2; chown 1000:1000 s2; chmod 2755 s2
    : >s3; chown 1000:1234 s3; chmod 2755 s3
    as1000 setfacl -m u:1001:r s1
    as1000 setfacl -m u:1001:r s2
    setfacl -m u:1001:r s3
    echo "sgid: $(mode s1) $(mode s2) $(mode s3)"
    assert_eq "755 2755 2755" "$(mode s1) $(mode s2) $(mode s3)" "S_ISGID after setfacl"
    # default ACL only on directories
    if setfacl -d -m u:1000:r a 2>/dev/null; then fail "a default ACL on a file was accepted"; fi

    # --- default ACL inheritance ---
    mkdir -m 755 inh
    setfacl -m d:u:1000:rwx,d:g::r-x,d:o::--- inh
    echo "inh default:"; dacl inh
    umask 077  # ignored below inh: the default ACL decides
    : >inh/f; mkdir inh/sub; mkfifo inh/p; mkdir -m 700 inh/sub700
    python3 -c 'import os; os.close(os.open("inh/c640", os.O_CREAT | os.O_WRONLY, 0o640))'
    umask 022
    for x in inh/f inh/sub inh/p inh/sub700 inh/c640; do
      echo "$x: $(mode "$x")"; acl "$x"
    done
    echo "inh/sub default:"; dacl inh/sub
    assert_eq 660 "$(mode inh/f)" "file under a default ACL (mode 666 & ACL, umask ignored)"
    assert_eq 770 "$(mode inh/sub)" "dir under a default ACL"
    assert_eq 700 "$(mode inh/sub700)" "mkdir -m 700 under a default ACL"
    assert_eq 640 "$(mode inh/c640)" "open(0640) under a default ACL"
    acl inh/f | grep -q '^user:1000:rwx.*#effective:rw-' || fail "inh/f did not inherit user:1000"
    dacl inh/sub | grep -q '^user:1000:rwx' || fail "inh/sub did not inherit the default ACL"
    if dacl inh/f | grep -q user; then fail "a file got a default ACL"; fi
    assert_eq yes "$(can 1000 w inh/f)" "uid 1000 writes an inherited-ACL file"
    assert_eq no "$(can 1001 r inh/f)" "uid 1001 may not read it"
    : >inh/sub/deeper
    acl inh/sub/deeper | grep -q '^user:1000:rwx' || fail "two levels of inheritance"
    # setgid directories still pass their group on
    mkdir sg; chown 0:1234 sg; chmod 2775 sg; mkdir sg/x; : >sg/y
    echo "sg: $(stat -c '%a %g' sg/x) $(stat -c '%a %g' sg/y)"
    assert_eq "2755 1234" "$(stat -c '%a %g' sg/x)" "setgid dir: subdir keeps the bit and group"
    assert_eq "1234" "$(stat -c '%g' sg/y)" "setgid dir: file takes the group"
    # removing the default ACL
    setfacl -k inh
    : >inh/after-k
    echo "inh/after-k: $(mode inh/after-k)"
    assert_eq 644 "$(mode inh/after-k)" "umask applies again after setfacl -k"
  )
}

# File capabilities (security.capability) on directory $1: set, read, dropped by a write
# (the kernel removes them; dfs-mount remembers their absence for a second, see
# AbsentXattrs, and must forget that when they are set).
caps_checks() {
  local d=$1
  cp /bin/true "$d/t"
  [[ -z "$(getcap "$d/t")" ]] || fail "a new file has capabilities"
  echo x >>"$d/t"  # asks for security.capability (absent)
  setcap cap_net_raw+ep "$d/t"
  getcap "$d/t" | grep -q 'cap_net_raw=ep' || fail "setcap not seen: $(getcap "$d/t")"
  echo x >>"$d/t"
  [[ -z "$(getcap "$d/t")" ]] || fail "a write did not drop the capabilities"
}

dfs_init
chmod 755 "$DFS_ROOT"  # uid 1000 must reach the directories below it
REF=$DFS_ROOT/ref
mkdir -m 755 "$REF" "$REF/x" "$REF/acl"
log "reference checks on $(df --output=fstype "$REF" | tail -1) at $REF"
python3 "$CHECKS" "$REF/x" >"$DFS_LOGS/ref-xattr.txt" || fail "xattr checks fail on the reference dir"
acl_checks "$REF/acl" >"$DFS_ROOT/ref-acl.txt" || fail "ACL checks fail on the reference dir"
caps_checks "$REF"

start_cluster 2
MNT=$DFS_ROOT/mnt
mount_volume "$MNT"
chmod 755 "$MNT"
mkdir -m 755 "$MNT/x" "$MNT/acl"
python3 "$CHECKS" "$MNT/x" --large >"$DFS_LOGS/dfs-xattr.txt" || {
  cat "$DFS_LOGS/dfs-xattr.txt" >&2; fail "xattr checks fail on dfs"; }
acl_checks "$MNT/acl" >"$DFS_ROOT/dfs-acl.txt" || { cat "$DFS_ROOT/dfs-acl.txt" >&2; fail "ACL checks fail on dfs"; }
diff -u "$DFS_ROOT/ref-acl.txt" "$DFS_ROOT/dfs-acl.txt" || fail "ACL transcript differs from the reference"
caps_checks "$MNT"
log "xattr and ACL checks match the reference"

# --- dfs only: a second mount, persistence, deletion ---
setfattr -n user.keep -v kept "$MNT/x/f"
setfacl -m u:1000:r "$MNT/acl/a"
M2=$DFS_ROOT/mnt2
mount_volume "$M2"
assert_eq kept "$(getfattr --only-values -n user.keep "$M2/x/f")" "xattr seen from a second mount"
setfattr -n user.from2 -v two "$M2/x/f"
assert_eq two "$(getfattr --only-values -n user.from2 "$MNT/x/f")" "xattr set on the second mount"
acl "$M2/acl/a" | grep -q '^user:1000:r--' || fail "ACL seen from a second mount"
# Revoked through the second mount: enforced on the first once its attributes expire
# (the kernel drops cached ACLs whenever it refreshes attributes for a permission check).
assert_eq yes "$(can 1000 r "$MNT/acl/a")" "uid 1000 reads through its ACL entry"
setfacl -x u:1000 "$M2/acl/a"
wait_until 5 "ACL revocation through another mount" '[[ $(can 1000 r "$MNT/acl/a") == no ]]'
setfacl -m u:1000:r "$M2/acl/a"
wait_until 5 "ACL grant through another mount" '[[ $(can 1000 r "$MNT/acl/a") == yes ]]'
unmount_volume "$M2"
snapshot() { getfattr -R -d -m - --absolute-names "$1" 2>/dev/null | sed "s#$1#M#"; }
snapshot "$MNT" >"$DFS_ROOT/before"
grep -q 'user.keep="kept"' "$DFS_ROOT/before" || fail "snapshot lacks user.keep"
unmount_volume "$MNT"
mount_volume "$MNT"
diff "$DFS_ROOT/before" <(snapshot "$MNT") || fail "xattrs differ after a remount"
unmount_volume "$MNT"
stop_all_daemons
restart_master
start_chunkserver 0; start_chunkserver 1
wait_nodes_healthy 2
mount_volume "$MNT"
diff "$DFS_ROOT/before" <(snapshot "$MNT") || fail "xattrs differ after a master restart"
assert_eq yes "$(can 1000 r "$MNT/acl/a")" "ACL enforced after a master restart"
log "xattrs survive remount and master restart"

# Deleted with the file: a new inode never shows an old one's xattrs, and the master's
# xattr count (keys 'X') drops (checked through a hard link that keeps the inode visible).
: >"$MNT/x/del"; setfattr -n user.del -v 1 "$MNT/x/del"
ln "$MNT/x/del" "$MNT/x/del2"
rm "$MNT/x/del"
assert_eq 1 "$(getfattr --only-values -n user.del "$MNT/x/del2")" "xattr kept while a link remains"
rm "$MNT/x/del2"
: >"$MNT/x/del"
assert_eq "" "$(getfattr -d -m - --absolute-names "$MNT/x/del" 2>/dev/null)" "recreated file is clean"
log "xattr_acl OK"
