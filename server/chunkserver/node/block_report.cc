// Block report: one reportBlocks page at a time, each with a deadline.
#include "server/chunkserver/node/block_report.h"

#include "common/rpc/rpc.h"

namespace dfs {
namespace {

kj::Promise<void> sendPages(wire::NodeSession::Client session, kj::Array<StoredBlock> blocks,
                            size_t from, int64_t nowNs, kj::Timer& timer,
                            kj::Duration deadline) {
  size_t to = kj::min(blocks.size(), from + kBlockReportPageSize);
  auto req = session.reportBlocksRequest();
  auto list = req.initBlocks(to - from);
  for (size_t i = from; i < to; i++) {
    auto entry = list[i - from];
    auto& b = blocks[i];
    b.id.toWire(entry.initBlock());
    entry.setSize(b.size);
    entry.setAgeMs(b.storedNs < nowNs ? uint64_t(nowNs - b.storedNs) / 1'000'000 : 0);
  }
  bool last = to == blocks.size();
  req.setLast(last);
  auto sent = withDeadline(timer, deadline, req.send(), "reportBlocks");
  if (last) return sent.ignoreResult();
  return sent.then([session = kj::mv(session), blocks = kj::mv(blocks), to, nowNs, &timer,
                    deadline](auto&&) mutable {
    return sendPages(kj::mv(session), kj::mv(blocks), to, nowNs, timer, deadline);
  });
}

}  // namespace

kj::Promise<void> sendBlockReport(wire::NodeSession::Client session,
                                  kj::Array<StoredBlock> blocks, int64_t nowNs,
                                  kj::Timer& timer, kj::Duration deadline) {
  return sendPages(kj::mv(session), kj::mv(blocks), 0, nowNs, timer, deadline);
}

}  // namespace dfs
