// AsyncSerializer: runs asynchronous operations one after another, in call order
// (an async mutex for the single-threaded event loop). A failed operation does not
// block the ones after it. The owner must outlive the operations it queued: idle() says
// when none is queued or running (an operation counts until its promise is done or
// dropped).
#pragma once

#include <kj/async.h>
#include <kj/function.h>

namespace dfs {

class AsyncSerializer {
public:
  kj::Promise<void> run(kj::Function<kj::Promise<void>()> op) {
    ++queued;
    auto result = tail.addBranch()
                      .then([op = kj::mv(op)]() mutable { return op(); })
                      .attach(kj::defer([this]() { --queued; }))
                      .fork();
    tail = result.addBranch().catch_([](kj::Exception&&) {}).fork();
    return result.addBranch();
  }

  bool idle() const { return queued == 0; }

private:
  size_t queued = 0;
  kj::ForkedPromise<void> tail = kj::Promise<void>(kj::READY_NOW).fork();
};

}  // namespace dfs
