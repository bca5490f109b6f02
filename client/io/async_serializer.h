// AsyncSerializer: runs asynchronous operations one after another, in call order
// (an async mutex for the single-threaded event loop). A failed operation does not
// block the ones after it.
#pragma once

#include <kj/async.h>
#include <kj/function.h>

namespace dfs {

class AsyncSerializer {
public:
  kj::Promise<void> run(kj::Function<kj::Promise<void>()> op) {
    auto result = tail.addBranch().then([op = kj::mv(op)]() mutable { return op(); }).fork();
    tail = result.addBranch().catch_([](kj::Exception&&) {}).fork();
    return result.addBranch();
  }

private:
  kj::ForkedPromise<void> tail = kj::Promise<void>(kj::READY_NOW).fork();
};

}  // namespace dfs
