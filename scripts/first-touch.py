#!/usr/bin/env python3
"""How long touching freed memory again takes on this machine, by how long it stayed free.

On a VM whose balloon driver reports free pages to the host (virtio_balloon with free page
reporting), memory the kernel gets back is returned to the host within seconds, and the next
touch of it pays the host's fault on top of the kernel's zeroing. That is why droste's prover
never trims its heap (`droste_sdk::tune_allocator_for_proving`): a process that proves job after
job reuses the memory it already holds.

Usage: python3 scripts/first-touch.py [GiB] [delays in seconds...]   (default: 2 GiB, 0 5 20)
"""
import mmap
import sys
import time

size = int(sys.argv[1] if len(sys.argv) > 1 else 2) << 30
delays = [float(d) for d in sys.argv[2:]] or [0, 5, 20]
HUGE_PAGE = 2 << 20


def touch():
    block = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    block.madvise(mmap.MADV_HUGEPAGE)
    start = time.time()
    for offset in range(0, size, HUGE_PAGE):
        block[offset] = 1
    elapsed = time.time() - start
    block.close()
    return elapsed


for delay in delays:
    touch()
    time.sleep(delay)
    elapsed = touch()
    print(f"{size >> 30} GiB freed and touched again after {delay:g} s: {elapsed:.2f} s "
          f"({elapsed / (size >> 30):.2f} s per GiB)")
