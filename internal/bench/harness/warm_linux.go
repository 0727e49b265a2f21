//go:build linux

package harness

import (
	"fmt"
	"syscall"

	"github.com/rolemine/rolemine/internal/prefault"
)

// WarmMemory maps mib MiB of fresh anonymous memory, writes every page of it and unmaps
// it, so that the next process started finds that much memory the kernel (and, on a
// virtual machine, the hypervisor) has just backed (see MineOptions.WarmMiB). The pages
// are mapped in by one call where the kernel supports it (prefault), and written one by
// one after it, which costs no fault where that call mapped them.
func WarmMemory(mib int) error {
	if mib <= 0 {
		return nil
	}
	b, err := syscall.Mmap(-1, 0, mib<<20, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return fmt.Errorf("warm %d MiB of memory: %w", mib, err)
	}
	prefault.Populate(b)
	page := syscall.Getpagesize()
	for k := 0; k < len(b); k += page {
		b[k] = 1
	}
	if err := syscall.Munmap(b); err != nil {
		return fmt.Errorf("warm %d MiB of memory: %w", mib, err)
	}
	return nil
}
