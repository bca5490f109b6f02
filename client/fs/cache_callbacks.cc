// Filesystem: the master's invalidations (CacheClient) and what this mount drops itself.
#include "filesystem.h"

#include <kj/debug.h>
#include <cerrno>
#include <cstring>

namespace dfs {

class Filesystem::CacheCallbacks final : public wire::CacheClient::Server {
public:
  explicit CacheCallbacks(Filesystem& fs) : fs(fs) {}

  kj::Promise<void> invalidate(InvalidateContext context) override {
    return fs.invalidateFromMaster(context.getParams());
  }
  kj::Promise<void> recallLease(RecallLeaseContext context) override {
    return fs.recallLeases(context.getParams().getDirs());
  }

private:
  Filesystem& fs;
};

kj::Own<wire::CacheClient::Server> Filesystem::makeCacheCallbacks() {
  return kj::heap<CacheCallbacks>(*this);
}

kj::Promise<void> Filesystem::invalidateFromMaster(
    wire::CacheClient::InvalidateParams::Reader what) {
  if (what.getForgotten()) forgetMastersWord();
  // Attribute changes this mount keeps for a file another mount just changed: that
  // change is the later one for the fields it touched (answered once reconciled). The
  // fields it set are known; others are found by comparing values (reconcileAttrs).
  for (auto set : what.getFieldsSet()) {
    KJ_IF_MAYBE(f, findOpen(set.getIno())) f->data->dropAttrsSetElsewhere(set);
  }
  kj::Vector<kj::Promise<void>> reconciled;
  auto reconcile = [&](uint64_t ino) {
    KJ_IF_MAYBE(f, findOpen(ino)) {
      if (f->data->attrsWaiting()) reconciled.add(reconcileAttrs(ino));
    }
  };
  KernelInvalidation out;
  for (uint64_t ino : what.getAttrs()) {
    reconcile(ino);
    attrsChanged(ino);
    out.attrs.add(toFuse(ino));
  }
  for (uint64_t ino : what.getData()) {
    // Another mount committed new contents: this mount's extent map of it is stale too.
    KJ_IF_MAYBE(f, findOpen(ino)) f->data->invalidateExtents();
    reconcile(ino);
    attrsChanged(ino);
    out.data.add(toFuse(ino));
  }
  for (auto e : what.getEntries()) {
    dirCache.nameChanged(e.getParent(), e.getName());
    out.entries.add(toFuse(e.getParent()), kj::heapArray<kj::byte>(e.getName()));
  }
  reconciled.add(notifier.invalidate(kj::mv(out)));
  return kj::joinPromises(reconciled.releaseAsArray());
}

kj::Promise<void> Filesystem::reconcileAttrs(uint64_t ino) {
  return master
      .call([ino](wire::Session::Client& s) {
        auto r = s.getAttrRequest();
        r.setIno(ino);
        return r.send();
      })
      .then([this, ino](capnp::Response<wire::Session::GetAttrResults> r) {
        if (r.getErr() != 0) return;
        KJ_IF_MAYBE(f, findOpen(ino)) f->data->reconcileAttrs(AttrCopy::of(r.getAttr()));
      })
      .catch_([](kj::Exception&& e) {
        // Unreachable master: the changes stay and go with the commit, as before.
        KJ_LOG(WARNING, "could not reconcile attribute changes", e.getDescription());
      });
}

void Filesystem::forgetMastersWord() {
  leasedDirs.clear();  // no listings to answer from (and, for a lost session, no leases)
  dirCache.clear();
  dirAttrs.clear();
  xattrFree.clear();
  for (auto& entry : openFiles) entry.second->attr = nullptr;
}

kj::Promise<void> Filesystem::refreshOwnAttrs(uint64_t ino) {
  if (attrTimeout == 0) return kj::READY_NOW;
  KernelInvalidation out;
  out.attrs.add(toFuse(ino));
  return notifier.invalidate(kj::mv(out));
}

void Filesystem::replyMissing(fuse_req_t req) {
  if (entryTimeout == 0) return (void)fuse_reply_err(req, ENOENT);
  // ino 0 with an entry timeout: the kernel remembers that the name does not exist.
  struct fuse_entry_param e;
  memset(&e, 0, sizeof(e));
  e.entry_timeout = entryTimeout;
  fuse_reply_entry(req, &e);
}

}  // namespace dfs
