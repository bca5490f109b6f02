// Disk: the small file-system interface the block store uses, so tests can inject faults.
#pragma once

#include <kj/array.h>
#include <kj/common.h>
#include <kj/memory.h>
#include <kj/string.h>
#include <cstdint>

namespace dfs {

// A file opened for reading. Not thread-safe; one user at a time.
class ReadableFile {
public:
  virtual ~ReadableFile() noexcept(false) = default;
  // Reads up to buf.size() bytes at `offset`; returns the number read (short only at EOF).
  // Throws on I/O errors.
  virtual size_t readAt(uint64_t offset, kj::ArrayPtr<kj::byte> buf) = 0;
  virtual uint64_t size() = 0;
  // Tells the OS that the page cache need not keep the file (posix_fadvise DONTNEED:
  // its clean pages go now). The default does nothing.
  virtual void dropCached() {}
};

// What stat() reports about one file.
struct FileStat {
  uint64_t size = 0;
  int64_t mtimeNs = 0;  // last modification, nanoseconds since the Unix epoch
};

// Paths are absolute or relative to the process's working directory. Every method throws
// a kj::Exception on an unexpected OS error.
class Disk {
public:
  virtual ~Disk() noexcept(false) = default;
  // Creates directory `path` (not its parents). Returns true if it was created, false if it
  // already existed.
  virtual bool makeDir(kj::StringPtr path) = 0;
  // Creates or truncates `path`, writes `data` and fsyncs the file before returning.
  virtual void writeFileSynced(kj::StringPtr path, kj::ArrayPtr<const kj::byte> data) = 0;
  // Creates or truncates `path` and writes `data`, without fsync.
  virtual void writeFile(kj::StringPtr path, kj::ArrayPtr<const kj::byte> data) = 0;
  // writeFile() of padded[0, size) bypassing the page cache (O_DIRECT) where the file
  // system allows it: `padded` starts at an address aligned to 4096 and is a multiple of
  // 4096 bytes long (zeros after `size`); the file ends up exactly `size` bytes. Saves
  // the kernel's copy of the data; the default is a plain writeFile().
  virtual void writeFileDirect(kj::StringPtr path, kj::ArrayPtr<const kj::byte> padded,
                               size_t size) {
    writeFile(path, padded.slice(0, size));
  }
  // fdatasyncs file `path` (written earlier, possibly by another thread).
  virtual void syncFile(kj::StringPtr path) = 0;
  // fdatasyncs every file of `paths`; result[i] is false if paths[i] failed (the error is
  // logged). The default syncs one after another; a real disk starts the writeback of all
  // first, so one journal commit can cover many files.
  virtual kj::Array<bool> syncFiles(kj::ArrayPtr<const kj::String> paths);
  // Opens `path` for reading; nullptr if it does not exist.
  virtual kj::Maybe<kj::Own<ReadableFile>> openRead(kj::StringPtr path) = 0;
  // Atomically renames `from` to `to` (replacing `to`).
  virtual void rename(kj::StringPtr from, kj::StringPtr to) = 0;
  // fsyncs directory `path` so renames and unlinks inside it are durable.
  virtual void syncDir(kj::StringPtr path) = 0;
  // Removes file `path`; returns false if it did not exist.
  virtual bool unlink(kj::StringPtr path) = 0;
  // Names (not paths) of the entries of directory `path`, without "." and ".."; empty if the
  // directory does not exist.
  virtual kj::Array<kj::String> list(kj::StringPtr path) = 0;
  // Total size in bytes of the file system holding `path`.
  virtual uint64_t fileSystemSize(kj::StringPtr path) = 0;
  // Bytes of the file system holding `path` available to this (unprivileged) process
  // (statvfs f_bavail).
  virtual uint64_t fileSystemFree(kj::StringPtr path) = 0;
  // Size and mtime of file `path`; nullptr if it does not exist.
  virtual kj::Maybe<FileStat> stat(kj::StringPtr path) = 0;
};

// The real POSIX disk. Stateless, so any thread may use it.
kj::Own<Disk> newPosixDisk();

}  // namespace dfs
