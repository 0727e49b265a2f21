//go:build linux

package harness

import (
	"fmt"
	"syscall"
)

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14), which the syscall package does
// not name.
const madvPopulateWrite = 23

// WarmMemory maps mib MiB of fresh anonymous memory, writes every page of it and unmaps
// it, so that the next process started finds that much memory the kernel (and, on a
// virtual machine, the hypervisor) has just backed (see MineOptions.WarmMiB). The pages
// are written by MADV_POPULATE_WRITE, or one by one where the kernel refuses it.
func WarmMemory(mib int) error {
	if mib <= 0 {
		return nil
	}
	b, err := syscall.Mmap(-1, 0, mib<<20, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return fmt.Errorf("warm %d MiB of memory: %w", mib, err)
	}
	if syscall.Madvise(b, madvPopulateWrite) != nil {
		for k := 0; k < len(b); k += 4096 {
			b[k] = 1
		}
	}
	if err := syscall.Munmap(b); err != nil {
		return fmt.Errorf("warm %d MiB of memory: %w", mib, err)
	}
	return nil
}
