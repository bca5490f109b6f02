// PendingAttrs: merging, showing and sending attribute changes kept for a commit.
#include "client/io/pending_attrs.h"

#include "common/mode/kill_suidgid.h"

namespace dfs {

void PendingAttrs::merge(const PendingAttrs& later) {
  if (later.mode != nullptr) {
    mode = later.mode;
    killSuidgid = false;  // a chmod after a write's kill wins over it
  }
  if (later.uid != nullptr) uid = later.uid;
  if (later.gid != nullptr) gid = later.gid;
  if (later.atimeNs != nullptr) atimeNs = later.atimeNs;
  if (later.mtimeNs != nullptr) mtimeNs = later.mtimeNs;
  ctimeNs = kj::max(ctimeNs, later.ctimeNs);
  killSuidgid = killSuidgid || later.killSuidgid;
  if (base == nullptr) base = later.base;
}

void PendingAttrs::reconcile(const AttrCopy& current) {
  KJ_IF_MAYBE(b, base) {
    if ((b->mode & 07777u) != (current.mode & 07777u)) mode = nullptr;
    if (b->uid != current.uid) uid = nullptr;
    if (b->gid != current.gid) gid = nullptr;
    if (b->atimeNs != current.atimeNs) atimeNs = nullptr;
    if (b->mtimeNs != current.mtimeNs) mtimeNs = nullptr;
  }
  base = current;
}

void PendingAttrs::dropSetElsewhere(wire::FieldsSet::Reader set) {
  bool hadFields = anyField();
  if (set.getMode()) mode = nullptr;
  if (set.getUid()) uid = nullptr;
  if (set.getGid()) gid = nullptr;
  if (set.getAtime()) atimeNs = nullptr;
  if (set.getMtime()) mtimeNs = nullptr;
  // Nothing of this mount's changes is left: neither is their change time.
  if (hadFields && !anyField()) ctimeNs = 0;
}

void PendingAttrs::applyTo(AttrCopy& attr) const {
  if (empty() && !killSuidgid) return;
  KJ_IF_MAYBE(m, mode) attr.mode = (attr.mode & ~07777u) | (*m & 07777u);
  if (killSuidgid) attr.mode = killSuidgidMode(attr.mode);  // the master's order
  KJ_IF_MAYBE(u, uid) attr.uid = *u;
  KJ_IF_MAYBE(g, gid) attr.gid = *g;
  KJ_IF_MAYBE(t, atimeNs) attr.atimeNs = *t;
  KJ_IF_MAYBE(t, mtimeNs) attr.mtimeNs = *t;
  attr.ctimeNs = kj::max(attr.ctimeNs, ctimeNs);
}

void PendingAttrs::toWire(uint64_t ino, wire::SetAttrRequest::Builder req) const {
  req.setIno(ino);
  KJ_IF_MAYBE(m, mode) { req.setSetMode(true); req.setMode(*m & 07777u); }
  KJ_IF_MAYBE(u, uid) { req.setSetUid(true); req.setUid(*u); }
  KJ_IF_MAYBE(g, gid) { req.setSetGid(true); req.setGid(*g); }
  KJ_IF_MAYBE(t, atimeNs) { req.setSetAtime(true); req.setAtimeNs(*t); }
  KJ_IF_MAYBE(t, mtimeNs) { req.setSetMtime(true); req.setMtimeNs(*t); }
  req.setCtimeNs(ctimeNs);  // the ctime shown meanwhile, so it does not move again
  req.setKillSuidgid(killSuidgid);
}

}  // namespace dfs
