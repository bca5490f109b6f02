// keepBlockBuffersInHeap: mallopt thresholds.
#include "common/base/heap_tuning.h"

#include <malloc.h>

namespace dfs {

void keepBlockBuffersInHeap() {
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

}  // namespace dfs
