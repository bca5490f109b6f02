// PendingAttrs: attribute changes (chmod, chown, utimes) a mount made to a file it is
// writing, kept with the file's data and sent to the master with its next commit
// (write-back, as NFSv4 does under a write delegation). Until then the mount shows them on
// top of the master's attributes. The kernel checked the caller's rights before (the mount
// runs with default_permissions), so nothing here can be refused later.
#pragma once

#include <kj/common.h>
#include <cstdint>
#include <master.capnp.h>
#include "client/cache/dir_cache.h"

namespace dfs {

struct PendingAttrs {
  kj::Maybe<uint32_t> mode;  // permission bits and S_ISUID/S_ISGID/S_ISVTX (07777)
  kj::Maybe<uint32_t> uid;
  kj::Maybe<uint32_t> gid;
  kj::Maybe<int64_t> atimeNs;
  kj::Maybe<int64_t> mtimeNs;
  int64_t ctimeNs = 0;  // when the last of them was made here (the ctime shown meanwhile)
  // The master's attributes the first of them was made over: if another mount changes a
  // field afterwards (seen through the master's invalidation), its change is the later
  // one and this mount's change of that field is dropped (reconcile()).
  kj::Maybe<AttrCopy> base;
  // A write by a caller without CAP_FSETID: the master clears the set-id bits (S_ISUID,
  // S_ISGID with group-execute) with the commit (SetAttrRequest.killSuidgid). Not a field:
  // alone it is sent only with data, and it moves no time.
  bool killSuidgid = false;

  // Nothing to send: no field and no change time (a setxattr of an ACL that restates
  // the mode changes only ctime, which must still move).
  bool empty() const { return !anyField() && ctimeNs == 0; }
  // Nothing for the master at all, not even a kill.
  bool nothingToSend() const { return empty() && !killSuidgid; }
  // A field is changed (not only the change time).
  bool anyField() const {
    return mode != nullptr || uid != nullptr || gid != nullptr || atimeNs != nullptr ||
           mtimeNs != nullptr;
  }
  // Later changes win over earlier ones field by field.
  void merge(const PendingAttrs& later);
  // A write after an explicit mtime: the write's time is the mtime again (ext4).
  void dropMtime() { mtimeNs = nullptr; }
  // The attributes as they will be once the master has these changes.
  void applyTo(AttrCopy& attr) const;
  // The master's attributes are now `current`: drops the changes of fields that differ
  // from `base` (another mount changed them later) and makes `current` the base.
  void reconcile(const AttrCopy& current);
  // Another mount set the fields in `set` after these changes were made (the master's
  // invalidation says so, also where it set a field to the value it had): its values
  // win, so this mount's changes of them are dropped.
  void dropSetElsewhere(wire::FieldsSet::Reader set);
  // The changes as a setAttr request of `ino` (size untouched).
  void toWire(uint64_t ino, wire::SetAttrRequest::Builder req) const;
};

}  // namespace dfs
