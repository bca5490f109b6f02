// PosixDisk: the Disk interface over open/pread/write/fsync/rename/unlink/readdir/stat/statvfs.
#include "server/chunkserver/blockstore/disk.h"

#include <kj/debug.h>
#include <kj/io.h>
#include <kj/vector.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace dfs {
namespace {

class PosixFile final : public ReadableFile {
public:
  explicit PosixFile(int fd) : fd(fd) {}
  ~PosixFile() noexcept(false) { ::close(fd); }
  KJ_DISALLOW_COPY(PosixFile);
  size_t readAt(uint64_t offset, kj::ArrayPtr<kj::byte> buf) override {
    size_t done = 0;
    while (done < buf.size()) {
      ssize_t n;
      KJ_SYSCALL(n = ::pread(fd, buf.begin() + done, buf.size() - done, offset + done));
      if (n == 0) break;
      done += n;
    }
    return done;
  }
  uint64_t size() override {
    struct stat st;
    KJ_SYSCALL(::fstat(fd, &st));
    return st.st_size;
  }
  void dropCached() override {
    // The whole file (length 0: to its end), as the kernel drops only whole folios (large
    // ones too) within the range. Advice only: a failure loses nothing.
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  }

private:
  int fd;
};

// Creates or truncates `path` and writes all of `data`; returns the open descriptor.
kj::AutoCloseFd writeAll(kj::StringPtr path, kj::ArrayPtr<const kj::byte> data) {
  int raw;
  KJ_SYSCALL(raw = ::open(path.cStr(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), path);
  kj::AutoCloseFd fd(raw);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n;
    KJ_SYSCALL(n = ::write(fd, data.begin() + done, data.size() - done), path);
    done += n;
  }
  return fd;
}

kj::AutoCloseFd openForSync(kj::StringPtr path) {
  int raw;
  KJ_SYSCALL(raw = ::open(path.cStr(), O_RDONLY | O_CLOEXEC), path);
  return kj::AutoCloseFd(raw);
}

class PosixDisk final : public Disk {
public:
  bool makeDir(kj::StringPtr path) override {
    if (::mkdir(path.cStr(), 0755) == 0) return true;
    int error = errno;
    if (error == EEXIST) return false;
    KJ_FAIL_SYSCALL("mkdir", error, path);
  }

  void writeFileSynced(kj::StringPtr path, kj::ArrayPtr<const kj::byte> data) override {
    auto fd = writeAll(path, data);
    KJ_SYSCALL(::fdatasync(fd), path);
  }

  void writeFile(kj::StringPtr path, kj::ArrayPtr<const kj::byte> data) override {
    writeAll(path, data);
  }

  void writeFileDirect(kj::StringPtr path, kj::ArrayPtr<const kj::byte> padded,
                       size_t size) override {
    KJ_REQUIRE(size <= padded.size() && padded.size() % 4096 == 0 &&
               reinterpret_cast<uintptr_t>(padded.begin()) % 4096 == 0, "unaligned direct write");
    int raw = ::open(path.cStr(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_DIRECT, 0644);
    if (raw < 0 && errno == EINVAL) return writeFile(path, padded.slice(0, size));
    if (raw < 0) KJ_FAIL_SYSCALL("open", errno, path);
    kj::AutoCloseFd fd(raw);
    size_t done = 0;
    while (done < padded.size()) {
      ssize_t n = ::write(fd, padded.begin() + done, padded.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EINVAL && done == 0) {
        // This file system takes no direct I/O after all: the page cache it is.
        fd = nullptr;
        return writeFile(path, padded.slice(0, size));
      }
      if (n < 0) KJ_FAIL_SYSCALL("write", errno, path);
      done += n;
    }
    KJ_SYSCALL(::ftruncate(fd, size), path);
  }

  void syncFile(kj::StringPtr path) override {
    auto fd = openForSync(path);
    KJ_SYSCALL(::fdatasync(fd), path);
  }

  kj::Array<bool> syncFiles(kj::ArrayPtr<const kj::String> paths) override {
    // Start the writeback of every file, then wait for each: the block allocations of all
    // of them land in the same journal transaction, which the first fdatasync commits.
    auto ok = kj::heapArray<bool>(paths.size());
    auto fds = kj::heapArray<kj::AutoCloseFd>(paths.size());
    for (size_t i = 0; i < paths.size(); i++) {
      ok[i] = false;
      KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
        fds[i] = openForSync(paths[i]);
        ::sync_file_range(fds[i], 0, 0, SYNC_FILE_RANGE_WRITE);
      })) {
        KJ_LOG(ERROR, "cannot sync block file", paths[i], *e);
      }
    }
    for (size_t i = 0; i < paths.size(); i++) {
      if (fds[i] == nullptr) continue;
      if (::fdatasync(fds[i]) == 0) {
        ok[i] = true;
      } else {
        int error = errno;
        KJ_LOG(ERROR, "fdatasync failed", paths[i], strerror(error));
      }
    }
    return ok;
  }

  kj::Maybe<kj::Own<ReadableFile>> openRead(kj::StringPtr path) override {
    int raw = ::open(path.cStr(), O_RDONLY | O_CLOEXEC);
    if (raw < 0) {
      int error = errno;
      if (error == ENOENT) return nullptr;
      KJ_FAIL_SYSCALL("open", error, path);
    }
    return kj::Own<ReadableFile>(kj::heap<PosixFile>(raw));
  }

  void rename(kj::StringPtr from, kj::StringPtr to) override {
    KJ_SYSCALL(::rename(from.cStr(), to.cStr()), from, to);
  }

  void syncDir(kj::StringPtr path) override {
    int raw;
    KJ_SYSCALL(raw = ::open(path.cStr(), O_RDONLY | O_DIRECTORY | O_CLOEXEC), path);
    kj::AutoCloseFd fd(raw);
    KJ_SYSCALL(::fsync(fd), path);
  }

  bool unlink(kj::StringPtr path) override {
    if (::unlink(path.cStr()) == 0) return true;
    int error = errno;
    if (error == ENOENT) return false;
    KJ_FAIL_SYSCALL("unlink", error, path);
  }

  kj::Array<kj::String> list(kj::StringPtr path) override {
    kj::Vector<kj::String> names;
    DIR* dir = ::opendir(path.cStr());
    if (dir == nullptr) {
      int error = errno;
      if (error == ENOENT) return names.releaseAsArray();
      KJ_FAIL_SYSCALL("opendir", error, path);
    }
    KJ_DEFER(::closedir(dir));
    while (struct dirent* e = ::readdir(dir)) {
      kj::StringPtr name = e->d_name;
      if (name == "." || name == "..") continue;
      names.add(kj::heapString(name));
    }
    return names.releaseAsArray();
  }

  uint64_t fileSystemSize(kj::StringPtr path) override {
    struct statvfs st;
    KJ_SYSCALL(::statvfs(path.cStr(), &st), path);
    return uint64_t(st.f_blocks) * st.f_frsize;
  }

  uint64_t fileSystemFree(kj::StringPtr path) override {
    struct statvfs st;
    KJ_SYSCALL(::statvfs(path.cStr(), &st), path);
    return uint64_t(st.f_bavail) * st.f_frsize;
  }

  kj::Maybe<FileStat> stat(kj::StringPtr path) override {
    struct ::stat st;
    if (::stat(path.cStr(), &st) != 0) {
      int error = errno;
      if (error == ENOENT) return nullptr;
      KJ_FAIL_SYSCALL("stat", error, path);
    }
    FileStat out;
    out.size = st.st_size;
    out.mtimeNs = int64_t(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec;
    return out;
  }
};

}  // namespace

kj::Array<bool> Disk::syncFiles(kj::ArrayPtr<const kj::String> paths) {
  auto ok = kj::heapArray<bool>(paths.size());
  for (size_t i = 0; i < paths.size(); i++) {
    KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() { syncFile(paths[i]); })) {
      KJ_LOG(ERROR, "cannot sync block file", paths[i], *e);
      ok[i] = false;
    } else {
      ok[i] = true;
    }
  }
  return ok;
}

kj::Own<Disk> newPosixDisk() { return kj::heap<PosixDisk>(); }

}  // namespace dfs
