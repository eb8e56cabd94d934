# SPDX-License-Identifier: GPL-2.0-only
#
# dmabuf-vfio-pci: build, lint and test.
#
#   make [KERNEL=6.1|6.12]     build the module against Debian's headers
#   make KDIR=/path/to/tree    build against any kernel tree (KERNEL names it)
#   make tests                 build the static guest test programs
#   make lint                  checkpatch --strict and sparse, on both kernels
#   make demo                  boot a guest, bind the devices, move data
#   make check                 the whole suite on every kernel (KERNELS=...)
#   make check-debug           the same on one kernel (6.1, 6.12, debug)
#   make bench                 the mmap benchmark (BENCH_KERNEL=6.12|6.1)
#
# Everything lands under build/; scripts/setup installs what is missing.

KERNELS   ?= 6.1 6.12 debug
KERNEL    ?= 6.1
DVP_CACHE ?= /var/cache/dmabuf-vfio-pci
export DVP_CACHE

# $(DVP_CACHE)/kernels/NAME holds a Debian kernel release, or the folder
# of a kernel tree built here (the debug kernel).
krel       = $(shell cat $(DVP_CACHE)/kernels/$(1) 2>/dev/null)
KREL      ?= $(call krel,$(KERNEL))
KDIR      ?= $(if $(filter /%,$(KREL)),$(KREL),/usr/src/linux-headers-$(KREL))
B         := $(CURDIR)/build/$(KERNEL)
KSFT      := $(DVP_CACHE)/src/linux-source-6.1/tools/testing/selftests
CHECKPATCH := $(DVP_CACHE)/src/linux-source-6.1/scripts/checkpatch.pl

NPROC     := $(shell nproc)

MODULE_SRCS := Kbuild $(wildcard src/*.[ch] include/*.h uapi/*.h selftests/importer/*.[ch])

TEST_CFLAGS := -O2 -g -Wall -Werror -static -pthread -D_GNU_SOURCE \
	       -I$(CURDIR)/uapi -I$(CURDIR)/selftests/lib -I$(CURDIR)/selftests/importer -isystem $(KSFT)
TEST_LIB    := $(wildcard selftests/lib/*.c)
TEST_HDRS   := $(wildcard selftests/lib/*.h uapi/*.h selftests/importer/*.h)
TEST_PROGS  := $(patsubst selftests/%.c,build/tests/%,$(wildcard selftests/*.c))

.PHONY: all module tests lint checkpatch sparse sparse-one setup check demo bench clean

all: module

setup:
	@scripts/setup

# kbuild writes objects next to the sources, so each kernel gets its own
# tree of symlinks under build/ and the two builds never share an object.
module: $(B)/dmabuf-vfio-pci.ko

$(B)/dmabuf-vfio-pci.ko: $(MODULE_SRCS) $(wildcard $(KDIR)/Module.symvers)
	@test -d "$(KDIR)" || { echo "no kernel tree at '$(KDIR)': run 'make setup'"; exit 1; }
	@mkdir -p $(B)
	@find $(B) -xtype l -delete
	@mkdir -p $(B)/selftests
	@cp -asf $(CURDIR)/Kbuild $(CURDIR)/src $(CURDIR)/include $(CURDIR)/uapi $(B)/
	@cp -asf $(CURDIR)/selftests/importer $(B)/selftests/
	$(MAKE) -C $(KDIR) M=$(B) W=1 modules

tests: $(TEST_PROGS)

build/tests/%: selftests/%.c $(TEST_LIB) $(TEST_HDRS)
	@test -e $(KSFT)/kselftest_harness.h || { echo "no kselftest_harness.h: run 'make setup'"; exit 1; }
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TEST_LIB)

lint: checkpatch sparse

# Kernel code gets every --strict check; the static guest programs are
# userspace, where the kernel's own type names and BIT() do not exist.
CHECKPATCH_FLAGS := --strict --quiet --no-tree --show-types
# The compat headers are where version checks are the point.
COMPAT_H := include/dvp_compat.h selftests/importer/dvp_test_compat.h
KERNEL_C := $(filter-out $(COMPAT_H),$(wildcard src/*.[ch] uapi/*.h selftests/importer/*.[ch]))
USER_C   := $(wildcard selftests/*.c selftests/lib/*.[ch])

checkpatch:
	@test -x $(CHECKPATCH) || { echo "no checkpatch.pl: run 'make setup'"; exit 1; }
	@$(CHECKPATCH) $(CHECKPATCH_FLAGS) -f $(KERNEL_C)
	@$(CHECKPATCH) $(CHECKPATCH_FLAGS) --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f $(COMPAT_H)
	@$(CHECKPATCH) $(CHECKPATCH_FLAGS) --ignore PREFER_KERNEL_TYPES,BIT_MACRO -f $(USER_C)
	@echo "checkpatch: clean"

# Sparse and W=1 over every object, for every kernel; any warning fails.
sparse:
	@set -e; for k in $(KERNELS); do \
		$(MAKE) -s --no-print-directory KERNEL=$$k sparse-one; done

sparse-one: $(B)/dmabuf-vfio-pci.ko
	@find $(B) -name '*.o' -delete
	@out=$$($(MAKE) -s --no-print-directory -j$(NPROC) -C $(KDIR) M=$(B) W=1 C=1 modules 2>&1 | \
		grep -v -e '^Skipping BTF' -e 'the compiler differs' -e '^  You are using'); \
	if [ -n "$$out" ]; then echo "$$out"; echo "sparse/W=1 ($(KERNEL)): not clean"; exit 1; fi; \
	echo "sparse/W=1 ($(KERNEL)): clean"

demo: setup
	@for k in $(firstword $(KERNELS)); do $(MAKE) -s KERNEL=$$k module tests; done
	@scripts/vm-run -k $(firstword $(KERNELS)) -- build/tests/demo

# The mmap benchmark: a 1 GiB ivshmem BAR and a stock vfio-pci twin.
BENCH_KERNEL ?= 6.12
bench: setup
	@$(MAKE) -s KERNEL=$(BENCH_KERNEL) module tests
	@DVP_IVSHMEM_SIZE=1G DVP_STOCK_IVSHMEM=1 scripts/vm-run -k $(BENCH_KERNEL) -- build/tests/mmap_bench

check: setup
	@scripts/check $(KERNELS)

# One kernel alone: make check-6.1, check-6.12, check-debug.
check-%: setup
	@scripts/check $*

clean:
	rm -rf build
